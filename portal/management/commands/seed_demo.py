"""Fill the portal with demo members, posts and discussions, or with bulk data for benchmarks.

``manage.py seed_demo`` creates the demo members of ``portal/demo_content.py``,
its communities (an organization with a private community, where a member has
a pending invitation, and an open community of practice) through the membership
services, as on the site, the posts and discussions of ``portal/demo/``
(Markdown files read by that module, some of them members-only posts of those
communities) through the models' ``save()`` (so Markdown is rendered) and the
comments services (so comment counts are right), and a learning path. It ends
by printing the demo sign-ins and who to sign in as for each journey. ``--posts N`` adds N generated posts
with ``--comments-per-post`` approved comments each, inserted in bulk.
``--communities N`` adds N benchmark communities through the membership services
(an owner and members each; one in ten private, joined by request) and moves
every ``COMMUNITY_POST_EVERY``-th benchmark post into one of them, one in three
of those members-only.
Every mode is idempotent: rows are keyed on usernames and slugs, and a second
run creates nothing.
"""

import time
from contextlib import contextmanager
from datetime import timedelta
from itertools import batched

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from accounts import services as community_services
from accounts.models import Community, Membership
from blog.models import Category, LearningPath, LearningPathStep, Post, TaggedPost
from blog.search import post_search_fields
from comments.models import Comment, comment_search_text
from comments.services import comments_moderate, refresh_comment_counts
from core.markup import render_markdown
from core.page_cache import bump_content_version
from core.progress import command_progress
from portal import demo_content as demo

EDITORS_GROUP = "Editors"
BENCHMARK_SLUG_PREFIX = "benchmark-post-"
BENCHMARK_SPAN = timedelta(days=730)
POSTS_PER_BATCH = 1000
BENCHMARK_COMMUNITY_SLUG_PREFIX = "benchmark-community-"
COMMUNITY_POST_EVERY = 20  # benchmark posts 20, 40, 60, … belong to a community
MEMBERS_PER_COMMUNITY = 3  # besides the owner


@contextmanager
def given_timestamps(model, *field_names):
    """Let saves and bulk inserts keep the dates we give to ``auto_now``/``auto_now_add`` fields.

    Demo comments are dated hours after their post, not at the moment the
    command runs. Only for this command; the flags are restored on exit.
    """
    fields = [model._meta.get_field(name) for name in field_names]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class Command(BaseCommand):
    help = (
        "Create demo members, posts and comments (idempotent: a second run creates nothing). "
        "With --posts N, also add N generated posts with --comments-per-post approved comments "
        "each, inserted in bulk for benchmarks, with a progress bar on a terminal. "
        "Use -v 0 to hide the progress bar and summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--posts",
            type=int,
            default=0,
            metavar="N",
            help='Also create N benchmark posts ("Benchmark post 1" … "Benchmark post N"); '
            "ones that already exist are skipped.",
        )
        parser.add_argument(
            "--comments-per-post",
            type=int,
            default=5,
            metavar="M",
            help="Approved comments on each new benchmark post (default: 5).",
        )
        parser.add_argument(
            "--communities",
            type=int,
            default=0,
            metavar="N",
            help="Also create N benchmark communities with an owner and members, and move every "
            f"{COMMUNITY_POST_EVERY}th benchmark post into one of them (one in three members-only).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts have published passwords; "
            "never use this on a public site.",
        )

    def handle(self, *args, posts, comments_per_post, communities, force, verbosity, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with published passwords, so it only runs with DEBUG on. "
                "Pass --force to run it anyway on a private, non-public database."
            )
        if posts < 0 or comments_per_post < 0 or communities < 0:
            raise CommandError("--posts, --comments-per-post and --communities must be zero or more.")
        self.verbosity = verbosity

        with transaction.atomic():
            users, created_users = self.seed_members()
            created_communities = self.seed_communities(users)
            created_posts, created_comments = self.seed_posts(users)
            created_paths = self.seed_learning_paths()
        self.log(
            f"Demo content: {created_users} members, {created_posts} posts and "
            f"{created_comments} comments created "
            f"({Post.objects.count()} posts and {Comment.objects.count()} comments in all)."
        )
        self.log(f"Demo communities: {created_communities} created; learning paths: {created_paths} created.")

        if posts:
            started = time.monotonic()
            authors = [users[m.username] for m in demo.MEMBERS if not m.is_superuser]
            new_posts = self.seed_benchmark(count=posts, comments_per_post=comments_per_post, authors=authors)
            self.log(
                f"Benchmark: {new_posts} posts with {new_posts * comments_per_post} comments created "
                f"in {time.monotonic() - started:.1f}s ({posts - new_posts} already existed)."
            )

        if communities:
            started = time.monotonic()
            authors = [users[m.username] for m in demo.MEMBERS if not m.is_superuser]
            new_communities, community_posts = self.seed_benchmark_communities(
                count=communities, members=authors, editor=users[demo.EDITOR_USERNAME]
            )
            self.log(
                f"Benchmark: {new_communities} communities created ({communities - new_communities} already "
                f"existed), {community_posts} benchmark posts in communities, "
                f"in {time.monotonic() - started:.1f}s."
            )

        self.print_credentials(created_usernames=self.created_usernames)
        self.print_journeys()

    def log(self, message):
        if self.verbosity >= 1:
            self.stdout.write(message)

    # --- Members -------------------------------------------------------------

    def seed_members(self):
        """Create the demo accounts; existing accounts keep their passwords and profiles."""
        User = get_user_model()
        editors = Group.objects.get(name=EDITORS_GROUP)
        hashes = {}  # one (slow) hash per distinct demo password, not one per account
        users, self.created_usernames = {}, set()
        for member in demo.MEMBERS:
            user, created = User.objects.get_or_create(
                username=member.username,
                defaults={
                    "email": member.email,
                    "display_name": member.display_name,
                    "first_name": member.first_name,
                    "last_name": member.last_name,
                    "bio": member.bio,
                    "website": member.website,
                    "is_staff": member.is_staff,
                    "is_superuser": member.is_superuser,
                },
            )
            if created:
                password = demo_password(member.username)
                if password not in hashes:
                    hashes[password] = make_password(password)
                user.password = hashes[password]
                user.save(update_fields=["password"])
                self.created_usernames.add(user.username)
            if member.editor:
                user.groups.add(editors)
            if user.email:
                # Verified and primary, so the member can sign in at once despite
                # ACCOUNT_EMAIL_VERIFICATION = "mandatory".
                EmailAddress.objects.update_or_create(
                    user=user, email=user.email, defaults={"verified": True, "primary": True}
                )
            users[user.username] = user
        return users, len(self.created_usernames)

    # --- Demo communities ---------------------------------------------------

    def seed_communities(self, users):
        """Create the demo communities that don't exist yet (by slug), with their people.

        Each is created by its owner (by the editor when only staff may create
        communities) through ``accounts.services``, so the audit trail and the
        insights read as on the site: members join an open community and are
        invited and accept in any other; moderators are then given their role;
        ``invited`` members are invited and left to answer. A community that
        exists is left as it is, whatever its members did since: a second run
        creates nothing and invites nobody again.
        """
        existing = set(
            Community.objects.filter(slug__in=demo.community_slugs()).values_list("slug", flat=True)
        )
        editor = users[demo.EDITOR_USERNAME]
        created = 0
        for spec in demo.COMMUNITIES:
            if spec.slug in existing:
                continue
            owner = users[spec.owner]
            creator = owner if community_services.may_create_community(owner) else editor
            community = community_services.community_create(
                creator=creator,
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                kind=spec.kind,
                visibility=spec.visibility,
                join_policy=spec.join_policy,
                parent=Community.objects.get(slug=spec.parent) if spec.parent else None,
            )
            people = [(owner, Membership.Role.OWNER)] if creator != owner else []
            people += [(users[name], Membership.Role.MODERATOR) for name in spec.moderators]
            people += [(users[name], Membership.Role.MEMBER) for name in spec.members]
            for member, role in people:
                self.add_member(community, member, role=role, actor=creator)
            for name in spec.invited:
                community_services.invite(community=community, inviter=owner, username_or_email=name)
            created += 1
        return created

    @staticmethod
    def add_member(community, member, *, role, actor):
        """``member`` joins (an open community) or is invited by ``actor`` and accepts, then gets ``role``."""
        if community.join_policy == Community.JoinPolicy.OPEN and not community.is_private:
            membership = community_services.membership_join(community=community, member=member)
        else:
            invited = community_services.invite(
                community=community, inviter=actor, username_or_email=member.username
            )
            membership = community_services.invitation_accept(membership=invited, member=member)
        if role != Membership.Role.MEMBER:
            community_services.membership_change_role(membership=membership, role=role, actor=actor)

    # --- Learning paths -----------------------------------------------------

    @staticmethod
    def seed_learning_paths():
        """Create the demo learning paths that don't exist yet (by slug), published, with their steps."""
        created = 0
        for spec in demo.LEARNING_PATHS:
            path, was_created = LearningPath.objects.get_or_create(
                slug=spec.slug,
                defaults={"title": spec.title, "description": spec.description, "published": True},
            )
            if not was_created:
                continue
            posts = Post.objects.in_bulk([step.post for step in spec.steps], field_name="slug")
            LearningPathStep.objects.bulk_create(
                LearningPathStep(
                    path=path, post=posts[step.post], order=order, stage=step.stage, note=step.note
                )
                for order, step in enumerate(spec.steps, start=1)
            )
            created += 1
        return created

    # --- Demo posts and discussions -----------------------------------------

    def seed_posts(self, users):
        """Create the demo posts that don't exist yet (by slug), each with its discussion."""
        categories = {c.slug: c for c in Category.objects.filter(slug__in=demo.CATEGORIES)}
        if len(categories) != 2:
            raise CommandError("The default categories are missing; run migrate first.")
        communities = Community.objects.in_bulk(demo.community_slugs(), field_name="slug")
        now = timezone.now().replace(second=0, microsecond=0)
        created_posts = created_comments = 0
        for spec in demo.load_posts():
            publish_at = (now - timedelta(days=spec.days_ago)).replace(hour=9 + len(spec.slug) % 8, minute=15)
            with given_timestamps(Post, "created"):
                post, created = Post.objects.get_or_create(
                    slug=spec.slug,
                    defaults={
                        "title": spec.title,
                        "author": users[spec.author],
                        "excerpt": spec.excerpt,
                        "body": spec.body,
                        "status": spec.status,
                        "community": communities[spec.community] if spec.community else None,
                        "visibility": spec.visibility,
                        "publish_at": publish_at,
                        "created": min(publish_at, now),
                    },
                )
            if not created:
                continue
            created_posts += 1
            post.categories.set([categories[slug] for slug in spec.categories])
            post.tags.set(list(spec.tags))
            created_comments += self.seed_discussion(post, spec.comments, users=users, now=now)
        return created_posts, created_comments

    def seed_discussion(self, post, specs, *, users, now):
        """Save each comment as pending (rendering its Markdown), then moderate it as an editor would."""
        moderator = users[demo.EDITOR_USERNAME]
        by_status = {}
        with given_timestamps(Comment, "created"):
            for spec in specs:
                author = users[spec.author] if spec.author else None
                comment = Comment.objects.create(
                    post=post,
                    author=author,
                    author_name=author.public_name if author else spec.guest_name,
                    author_url=author.website if author else spec.guest_url,
                    author_email=author.email if author else spec.guest_email,
                    body=spec.body,
                    status=Comment.Status.PENDING,
                    created=min(post.publish_at + timedelta(hours=spec.hours_after), now),
                )
                by_status.setdefault(spec.status, []).append(comment.pk)
        for status, pks in by_status.items():
            if status != Comment.Status.PENDING:
                comments_moderate(
                    comments=Comment.objects.filter(pk__in=pks), status=status, moderator=moderator
                )
        refresh_comment_counts(post_ids=[post.pk])
        return len(specs)

    # --- Bulk mode ----------------------------------------------------------

    def seed_benchmark(self, *, count, comments_per_post, authors):
        """Insert benchmark posts 1..count that don't exist yet, with approved comments, in bulk.

        ``Post.save()`` and ``Comment.save()`` are bypassed, so slugs, HTML and the
        folded search fields are set here, from a few templates rendered once.
        """
        existing = set(
            Post.objects.filter(slug__startswith=BENCHMARK_SLUG_PREFIX).values_list("slug", flat=True)
        )
        numbers = [n for n in range(1, count + 1) if f"{BENCHMARK_SLUG_PREFIX}{n}" not in existing]
        if not numbers:
            return 0

        categories = list(Category.objects.filter(slug__in=demo.CATEGORIES).order_by("slug"))
        tags = [self.get_tag(name) for name in demo.TAG_NAMES]
        benchmark = demo.load_benchmark()
        bodies = [(body, render_markdown(body)) for body in benchmark.bodies]
        excerpt_html = render_markdown(benchmark.excerpt)
        comment_bodies = [
            (body, html, comment_search_text(html))
            for body in benchmark.comments
            for html in [render_markdown(body, comment=True)]
        ]
        category_link = Post.categories.through
        now = timezone.now()

        progress = command_progress(
            self, total=len(numbers), desc="Benchmark posts", unit="post", verbosity=self.verbosity
        )
        for batch in batched(numbers, POSTS_PER_BATCH):
            with (
                transaction.atomic(),
                given_timestamps(Post, "created", "updated"),
                given_timestamps(Comment, "created"),
            ):
                posts = []
                for n in batch:
                    body, body_html = bodies[n % len(bodies)]
                    publish_at = now - BENCHMARK_SPAN * n / count
                    title = f"Benchmark post {n}"
                    post_tags = (tags[n % len(tags)], tags[(n + 3) % len(tags)])  # two different tags
                    posts.append(
                        Post(
                            title=title,
                            slug=f"{BENCHMARK_SLUG_PREFIX}{n}",
                            author=authors[n % len(authors)],
                            excerpt=benchmark.excerpt,
                            excerpt_html=excerpt_html,
                            body=body,
                            body_html=body_html,
                            status=Post.Status.PUBLISHED,
                            publish_at=publish_at,
                            created=publish_at,
                            updated=publish_at,
                            # save() is bypassed: fill the folded copies the search index reads.
                            **post_search_fields(
                                title=title,
                                excerpt_html=excerpt_html,
                                body_html=body_html,
                                tag_names=[tag.name for tag in post_tags],
                            ),
                        )
                    )
                Post.objects.bulk_create(posts, batch_size=500)

                category_link.objects.bulk_create(
                    [
                        category_link(post_id=post.pk, category_id=category.pk)
                        for n, post in zip(batch, posts, strict=True)
                        # Every third post is in both categories, the rest alternate.
                        for category in (categories if n % 3 == 0 else [categories[n % 2]])
                    ],
                    batch_size=1000,
                )
                TaggedPost.objects.bulk_create(
                    [
                        TaggedPost(content_object_id=post.pk, tag_id=tag.pk)
                        for n, post in zip(batch, posts, strict=True)
                        for tag in (tags[n % len(tags)], tags[(n + 3) % len(tags)])  # as in search_tags
                    ],
                    batch_size=1000,
                )
                comments = []
                for n, post in zip(batch, posts, strict=True):
                    gap = (now - post.publish_at) / (comments_per_post + 1)
                    for i in range(comments_per_post):
                        author = authors[(n + i + 1) % len(authors)]
                        body, body_html, search_body = comment_bodies[(n + i) % len(comment_bodies)]
                        comments.append(
                            Comment(
                                post_id=post.pk,
                                author=author,
                                author_name=author.public_name,
                                author_url=author.website,
                                author_email=author.email,
                                body=body,
                                body_html=body_html,
                                search_body=search_body,
                                status=Comment.Status.APPROVED,
                                created=post.publish_at + gap * (i + 1),
                            )
                        )
                Comment.objects.bulk_create(comments, batch_size=1000)
                refresh_comment_counts(post_ids=[post.pk for post in posts])
            progress.update(len(batch))
        progress.close()
        return len(numbers)

    def seed_benchmark_communities(self, *, count, members, editor):
        """Create benchmark communities 1..count that don't exist yet, and give them benchmark posts.

        Each community is created by its owner and joined by ``MEMBERS_PER_COMMUNITY``
        other members through ``accounts.services`` (a private one by request,
        approved by the owner), as on the site. Then benchmark post ``n`` with
        ``n % COMMUNITY_POST_EVERY == 0`` goes to community ``(n // COMMUNITY_POST_EVERY) % count``,
        members-only when that quotient is a multiple of three: a few queries per
        community, whatever the number of posts, and the same result on every run.
        """
        existing = {
            c.slug: c for c in Community.objects.filter(slug__startswith=BENCHMARK_COMMUNITY_SLUG_PREFIX)
        }
        kinds = list(Community.Kind.values)
        communities, created = [], 0
        for i in range(1, count + 1):
            slug = f"{BENCHMARK_COMMUNITY_SLUG_PREFIX}{i}"
            community = existing.get(slug)
            if community is None:
                community = self.create_benchmark_community(
                    i, slug, kind=kinds[i % len(kinds)], members=members, editor=editor
                )
                created += 1
            communities.append(community)

        slugs = Post.objects.filter(slug__startswith=BENCHMARK_SLUG_PREFIX).values_list("slug", flat=True)
        suffixes = [slug.removeprefix(BENCHMARK_SLUG_PREFIX) for slug in slugs]
        numbers = [int(suffix) for suffix in suffixes if suffix.isdigit()]
        groups = {}
        for n in numbers:
            if n % COMMUNITY_POST_EVERY:
                continue
            step = n // COMMUNITY_POST_EVERY
            visibility = Post.Visibility.MEMBERS if step % 3 == 0 else Post.Visibility.PUBLIC
            groups.setdefault((step % count, visibility), []).append(f"{BENCHMARK_SLUG_PREFIX}{n}")
        moved = 0
        with transaction.atomic():
            for (index, visibility), slugs in sorted(groups.items()):
                moved += Post.objects.filter(slug__in=slugs).update(
                    community=communities[index], visibility=visibility
                )
        if moved:
            bump_content_version()
        return created, moved

    @staticmethod
    def create_benchmark_community(i, slug, *, kind, members, editor):
        owner = members[i % len(members)]
        private = i % 10 == 0
        creator = owner if community_services.may_create_community(owner) else editor
        with transaction.atomic():
            community = community_services.community_create(
                creator=creator,
                name=f"Benchmark community {i}",
                slug=slug,
                description=f"A generated {Community.Kind(kind).label.lower()} for benchmarks.",
                kind=kind,
                visibility=Community.Visibility.PRIVATE if private else Community.Visibility.PUBLIC,
                join_policy=Community.JoinPolicy.REQUEST if private else Community.JoinPolicy.OPEN,
            )
            for k in range(1, MEMBERS_PER_COMMUNITY + 1):
                member = members[(i + k) % len(members)]
                if member.pk == creator.pk:
                    continue
                membership = community_services.membership_join(community=community, member=member)
                if membership.status == Membership.Status.REQUESTED:
                    community_services.membership_approve(membership=membership, actor=creator)
        return community

    @staticmethod
    def get_tag(name):
        # TAGGIT_CASE_INSENSITIVE: reuse "Networks" if it exists as such.
        tag = Tag.objects.filter(name__iexact=name).first()
        return tag or Tag.objects.create(name=name)

    # --- Output -------------------------------------------------------------

    def print_credentials(self, *, created_usernames):
        if self.verbosity < 1:
            return
        roles = {demo.ADMIN_USERNAME: "superuser", demo.EDITOR_USERNAME: "staff, Editors group"}
        self.stdout.write("")
        # PORTAL_BASE_URL: `make run` sets it to the address it serves on (HOST, PORT).
        self.stdout.write(
            f"Sign in at {settings.PORTAL_BASE_URL}{reverse('account_login')}", self.style.SUCCESS
        )
        for member in demo.MEMBERS:
            role = roles.get(member.username, "member")
            self.stdout.write(f"  {member.username:<8} / {demo_password(member.username):<18} {role}")
        kept = [m.username for m in demo.MEMBERS if m.username not in created_usernames]
        if kept:
            self.stdout.write(
                "Passwords are set only when an account is created; these accounts already existed "
                f"and kept theirs: {', '.join(kept)}."
            )
        self.stdout.write(
            self.style.WARNING("These passwords are public. Never run seed_demo on a public site.")
        )

    def print_journeys(self):
        """Who to sign in as for each journey through the demo (``demo.JOURNEYS``, also in the README)."""
        if self.verbosity < 1:
            return
        self.stdout.write("")
        self.stdout.write("Journeys: sign in as", self.style.SUCCESS)
        for journey in demo.JOURNEYS:
            username = journey.username or "(signed out)"
            self.stdout.write(f"  {journey.who:<20}  {username:<14}  {journey.what}")


def demo_password(username):
    return {
        demo.ADMIN_USERNAME: demo.ADMIN_PASSWORD,
        demo.EDITOR_USERNAME: demo.EDITOR_PASSWORD,
    }.get(username, demo.MEMBER_PASSWORD)
