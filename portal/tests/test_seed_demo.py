import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from accounts.models import Community, Membership, MembershipEvent, User
from blog.models import Category, LearningPath, LearningPathStep, Post, TaggedPost
from comments.models import Comment
from portal import demo_content as demo
from portal.demo_content import FLAGSHIP_SLUG
from testing.pages import form_values, link

pytestmark = pytest.mark.django_db

CREDENTIAL_LINE = re.compile(r"^\s+(?P<username>\S+)\s+/\s+(?P<password>\S+)\s+(?P<role>.+)$", re.MULTILINE)


class TerminalOutput(StringIO):
    """A stream that says it is a terminal, where tqdm draws its progress bar."""

    def isatty(self):
        return True


def seed(*, terminal=False, **options):
    out, err = StringIO(), (TerminalOutput() if terminal else StringIO())
    call_command("seed_demo", force=True, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot():
    """Every count a second run must leave alone."""
    return {
        "users": User.objects.count(),
        "email addresses": EmailAddress.objects.count(),
        "posts": Post.objects.count(),
        "comments": Comment.objects.count(),
        "comments by status": dict(
            Comment.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "tags": Tag.objects.count(),
        "tagged posts": TaggedPost.objects.count(),
        "post categories": Post.categories.through.objects.count(),
        "comment counts": Post.objects.aggregate(total=Sum("comment_count"))["total"],
        "communities": Community.objects.count(),
        "memberships by status": dict(
            Membership.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "membership events": MembershipEvent.objects.count(),
        "learning paths": LearningPath.objects.count(),
        "path steps": LearningPathStep.objects.count(),
    }


def assert_comment_counts_match():
    """Post.comment_count is the number of approved comments, on every post."""
    rows = Post.objects.annotate(
        approved=Count("comments", filter=Q(comments__status=Comment.Status.APPROVED))
    ).values_list("slug", "comment_count", "approved")
    assert [row for row in rows if row[1] != row[2]] == []


def test_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_running_twice_creates_nothing_new():
    seed()
    first = snapshot()
    output, _ = seed()
    assert snapshot() == first
    assert "0 members, 0 posts and 0 comments created" in output


def test_demo_content_covers_every_status_category_and_state():
    seed(verbosity=0)

    assert set(Comment.objects.values_list("status", flat=True)) == set(Comment.Status.values)
    for slug in ("individual-learning", "organizational-learning"):
        assert Category.objects.get(slug=slug).posts.count() >= 3
    in_both = Post.objects.annotate(n=Count("categories")).filter(n=2)
    assert in_both.exists()

    assert Post.objects.filter(status=Post.Status.DRAFT).count() == 1
    scheduled = [post for post in Post.objects.all() if post.is_scheduled]
    assert len(scheduled) == 1
    assert scheduled[0] not in Post.objects.published()
    assert Post.objects.published().count() >= 12

    publish_dates = sorted(Post.objects.published().values_list("publish_at", flat=True))
    assert (publish_dates[-1] - publish_dates[0]).days >= 150
    assert Tag.objects.filter(name__in=["web 2.0", "communities of practice", "networks"]).count() == 3
    assert not Post.objects.filter(body_html="").exists()
    assert not Comment.objects.filter(body_html="").exists()


def test_flagship_post_has_its_discussion():
    seed(verbosity=0)
    post = Post.objects.get(slug=FLAGSHIP_SLUG)

    approved = post.comments.approved()
    assert approved.count() >= 3
    assert post.comment_count == approved.count()
    assert_comment_counts_match()
    for tag in ("<h2>", "<ol>", "<blockquote>", '<a href="https://en.wikipedia.org/'):
        assert tag in post.body_html

    german = approved.get(author__username="jonas")
    assert "„Verbinder“" in german.body_html
    assert "—" in german.body_html
    assert "Schichtführer" in german.body_html
    spanish = approved.get(author__username="lucia")
    assert "¿y esto qué nos enseña a todos?" in spanish.body_html
    multi_paragraph = approved.get(author__username="priya")
    assert multi_paragraph.body_html.count("<p>") >= 4
    assert "<blockquote>" in multi_paragraph.body_html


def test_guest_comment_is_kept_as_imported():
    seed(verbosity=0)
    guest = Comment.objects.approved().get(author__isnull=True)
    assert guest.author_name == "Frank Delacroix"
    assert guest.author_url.startswith("https://")
    assert guest.created > guest.post.publish_at


def test_moderated_comments_record_the_moderator():
    seed(verbosity=0)
    moderated = Comment.objects.exclude(status=Comment.Status.PENDING)
    assert not moderated.filter(moderated_by__isnull=True).exists()
    assert not Comment.objects.pending().filter(moderated_by__isnull=False).exists()


def test_printed_credentials_sign_in(client):
    output, _ = seed()
    assert "http://127.0.0.1:8000/accounts/login/" in output
    credentials = {m["username"]: m["password"] for m in CREDENTIAL_LINE.finditer(output)}
    assert {"admin", "editor"} <= credentials.keys()
    assert len(credentials) >= 7

    for username, password in credentials.items():
        user = User.objects.get(username=username)
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()
        assert client.login(username=username, password=password), username
        client.logout()

    # Through allauth's own form, where an unverified address would be stopped.
    response = client.post(reverse("account_login"), {"login": "editor", "password": credentials["editor"]})
    assert response.status_code == 302
    assert response.url == reverse("blog:home")

    admin, editor = User.objects.get(username="admin"), User.objects.get(username="editor")
    assert admin.is_superuser and admin.is_staff
    assert editor.is_staff and not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()
    assert editor.has_perm("comments.change_comment")


def test_the_printed_sign_in_address_is_the_sites_own(settings):
    """`make run PORT=8031` passes PORTAL_BASE_URL=http://127.0.0.1:8031 (portal/tests/test_make_run.py)."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8031"

    output, _ = seed()

    assert "Sign in at http://127.0.0.1:8031/accounts/login/" in output
    assert ":8000" not in output


def test_existing_account_keeps_its_password():
    User.objects.create_user("admin", "admin@example.org", "my own password")
    output, _ = seed()
    assert User.objects.get(username="admin").check_password("my own password")
    assert "already existed and kept theirs: admin." in output


def test_bulk_mode_creates_posts_with_approved_comments():
    seed(verbosity=0)
    demo_posts = Post.objects.count()
    output, errors = seed(posts=30, comments_per_post=3, terminal=True)

    benchmark = Post.objects.filter(slug__startswith="benchmark-post-")
    assert benchmark.count() == 30
    assert Post.objects.count() == demo_posts + 30
    assert set(benchmark.values_list("comment_count", flat=True)) == {3}
    assert Comment.objects.filter(post__in=benchmark).count() == 90
    assert Comment.objects.approved().filter(post__in=benchmark).count() == 90
    assert_comment_counts_match()

    post = Post.objects.get(slug="benchmark-post-7")
    assert post.title == "Benchmark post 7"
    assert post.is_published
    assert "<h2>" in post.body_html
    assert post.excerpt_html.startswith("<p>")
    assert post.categories.exists()
    assert post.tags.count() == 2
    assert all(c.body_html and c.created > post.publish_at for c in post.comments.all())
    assert "30 posts with 90 comments created" in output
    # tqdm's bar on a terminal: count, elapsed<remaining, rate.
    assert re.search(r"Benchmark posts: 100%.*30/30 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+ ?\w*post/s\]", errors)


def test_bulk_mode_progress_bar_only_on_a_terminal_and_not_at_verbosity_0():
    _, errors = seed(posts=3, comments_per_post=1)
    assert errors == ""  # stderr is not a terminal (a pipe, a log file)
    _, errors = seed(posts=6, comments_per_post=1, terminal=True, verbosity=0)
    assert errors == ""
    assert Post.objects.filter(slug__startswith="benchmark-post-").count() == 6


def test_bulk_mode_is_idempotent_and_only_adds_missing_posts():
    seed(posts=30, comments_per_post=3, verbosity=0)
    first = snapshot()
    seed(posts=30, comments_per_post=3, verbosity=0)
    assert snapshot() == first

    seed(posts=35, comments_per_post=3, verbosity=0)
    assert Post.objects.filter(slug__startswith="benchmark-post-").count() == 35
    assert Comment.objects.filter(post__slug__startswith="benchmark-post-").count() == 105
    assert_comment_counts_match()


def test_bulk_mode_creates_communities_with_members_and_community_posts():
    """The benchmark's 50 communities: owners and members through the services, some posts members-only."""
    from accounts.models import Community, Membership

    output, _ = seed(posts=60, comments_per_post=1, communities=10)

    communities = Community.objects.filter(slug__startswith="benchmark-community-")
    assert communities.count() == 10
    for community in communities:
        active = Membership.objects.active().filter(community=community)
        assert active.filter(role=Membership.Role.OWNER).count() == 1
        assert active.count() >= 3  # the owner and the members who joined
        assert (
            not Membership.objects.filter(community=community)
            .exclude(status=Membership.Status.ACTIVE)
            .exists()
        )
    private = Community.objects.get(slug="benchmark-community-10")
    assert private.visibility == Community.Visibility.PRIVATE
    assert private.join_policy == Community.JoinPolicy.REQUEST
    assert set(communities.exclude(pk=private.pk).values_list("visibility", flat=True)) == {"public"}

    # Posts 20, 40 and 60 moved into communities 3, 4 and 5 (the 2nd, 3rd and 4th); 60 is members-only.
    in_communities = Post.objects.filter(
        community__isnull=False, slug__startswith="benchmark-post-"
    ).order_by("publish_at")
    assert sorted(in_communities.values_list("slug", "community__slug", "visibility")) == [
        ("benchmark-post-20", "benchmark-community-2", "public"),
        ("benchmark-post-40", "benchmark-community-3", "public"),
        ("benchmark-post-60", "benchmark-community-4", "members"),
    ]
    members_only = Post.objects.get(slug="benchmark-post-60")
    assert members_only not in Post.objects.visible_to(None)
    member = Membership.objects.active().filter(community__slug="benchmark-community-4").first().member
    assert members_only in Post.objects.visible_to(member)
    outsider = User.objects.exclude(memberships__community__slug="benchmark-community-4").filter(
        is_staff=False
    )
    assert members_only not in Post.objects.visible_to(outsider.first())
    assert "10 communities created (0 already existed), 3 benchmark posts in communities" in output


def test_community_seeding_is_idempotent_and_extends_an_older_data_set(client):
    """An older bench database (posts, no communities) gets them on the next run.

    A third run changes nothing.
    """
    from accounts.models import Community, Membership

    seed(posts=40, comments_per_post=1, verbosity=0)
    assert not Post.objects.filter(community__isnull=False, slug__startswith="benchmark-post-").exists()

    seed(posts=40, comments_per_post=1, communities=3, verbosity=0)
    first = {
        **snapshot(),
        "communities": Community.objects.count(),
        "memberships": Membership.objects.count(),
        "community posts": sorted(
            Post.objects.filter(community__isnull=False, slug__startswith="benchmark-post-").values_list(
                "slug", "community_id"
            )
        ),
    }
    assert first["community posts"] != []
    output, _ = seed(posts=40, comments_per_post=1, communities=3)
    assert {
        **snapshot(),
        "communities": Community.objects.count(),
        "memberships": Membership.objects.count(),
        "community posts": sorted(
            Post.objects.filter(community__isnull=False, slug__startswith="benchmark-post-").values_list(
                "slug", "community_id"
            )
        ),
    } == first
    assert "0 communities created (3 already existed)" in output

    community = Community.objects.get(slug="benchmark-community-3")  # post 40: 40 // 20 % 3 = 2, the third
    response = client.get(community.get_absolute_url())
    assert response.status_code == 200
    assert "Benchmark post 40" in response.content.decode()


def test_negative_community_count_is_refused():
    with pytest.raises(CommandError, match="zero or more"):
        seed(communities=-1)


# --- The content files of portal/demo/ ------------------------------------------------------


@pytest.mark.parametrize("path", demo.post_paths(), ids=lambda path: path.name)
def test_every_post_file_parses(path):
    post = demo.parse_post(path)
    assert post.slug == path.stem
    assert post.title and post.excerpt and post.body.endswith("\n")
    assert all(comment.body for comment in post.comments)


def test_content_files_load_with_the_flagship_and_the_benchmark_text():
    posts = demo.load_posts()
    assert len(posts) == len(demo.post_paths()) >= 12
    assert FLAGSHIP_SLUG in {post.slug for post in posts}
    assert [post.days_ago for post in posts] == sorted((post.days_ago for post in posts), reverse=True)
    benchmark = demo.load_benchmark()
    assert benchmark.excerpt and len(benchmark.bodies) >= 2 and len(benchmark.comments) >= 2


def test_the_loader_knows_the_models_statuses():
    assert set(demo.POST_STATUSES) == set(Post.Status.values)
    assert set(demo.POST_VISIBILITIES) == set(Post.Visibility.values)
    assert set(demo.COMMENT_STATUSES) == set(Comment.Status.values)


def test_seed_creates_each_content_file_post_with_its_discussion():
    seed(verbosity=0)
    for spec in demo.load_posts():
        post = Post.objects.get(slug=spec.slug)
        assert (post.title, post.author.username, post.excerpt, post.body, post.status) == (
            spec.title,
            spec.author,
            spec.excerpt,
            spec.body,
            spec.status,
        ), spec.slug
        assert set(post.categories.values_list("slug", flat=True)) == set(spec.categories), spec.slug
        assert (post.community.slug if post.community else "", post.visibility) == (
            spec.community,
            spec.visibility,
        ), spec.slug
        assert set(post.tags.names()) == set(spec.tags), spec.slug
        comments = post.comments.order_by("created", "pk")
        assert [(c.author.username if c.author else c.author_name, c.body, c.status) for c in comments] == [
            (c.author or c.guest_name, c.body, c.status) for c in spec.comments
        ], spec.slug


WELL_FORMED = """+++
title = "A title"
author = "editor"
days_ago = 3
categories = ["individual-learning"]
tags = []
excerpt = "An excerpt."

[[comments]]
author = "tomas"
body = '''
A *comment*.
'''
+++

The body.
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace("+++\n", "", 1), "must start with a line '+++'"),
        (lambda text: text.replace("days_ago = 3", 'days_ago = "3"'), "days_ago must be a whole number"),
        (
            lambda text: text.replace('author = "editor"', 'author = "nobody"'),
            "'nobody' is not a demo member",
        ),
        (lambda text: text.replace("tags = []", "tag = []"), "unknown keys tag"),
        (lambda text: text.replace('excerpt = "An excerpt."\n', ""), "missing excerpt"),
        (lambda text: text.replace('"individual-learning"', '"individual"'), "unknown categories"),
        (lambda text: text.replace('author = "tomas"', 'status = "aproved"'), "comment 1: a guest comment"),
        (lambda text: text.replace('author = "tomas"', 'status = "aproved"\nguest_name = "G"'), "'aproved'"),
        (lambda text: text.replace("The body.", ""), "the body after the front matter is empty"),
        (
            lambda text: text.replace("tags = []", 'tags = []\ncommunity = "nowhere"'),
            "community 'nowhere' is not a demo community",
        ),
        (
            lambda text: text.replace("tags = []", 'tags = []\nvisibility = "members"'),
            "a members-only post needs a community",
        ),
        (lambda text: text.replace("tags = []", 'tags = []\nvisibility = "secret"'), "visibility 'secret'"),
        (lambda text: text.replace("title =", "title = = "), "not valid TOML"),
    ],
)
def test_content_mistakes_are_reported_with_the_file_name(tmp_path, change, message):
    good = tmp_path / "a-good-post.md"
    good.write_text(WELL_FORMED, encoding="utf-8")
    post = demo.parse_post(good)
    assert (post.slug, post.body, post.comments[0].body, post.comments[0].hours_after) == (
        "a-good-post",
        "The body.\n",
        "A *comment*.",
        6,
    )

    bad = tmp_path / "a-bad-post.md"
    bad.write_text(change(WELL_FORMED), encoding="utf-8")
    with pytest.raises(demo.DemoContentError, match=re.escape(message)) as raised:
        demo.parse_post(bad)
    assert str(bad) in str(raised.value)


# --- The communities and the journeys they start ----------------------------------------------------


JOURNEY_LINE = re.compile(
    r"^  (?P<who>[a-z]+(?: [a-z]+)*)\s{2,}(?P<username>\(signed out\)|\S+)\s{2,}(?P<what>.+)$", re.M
)


def signed_in(output, username):
    """A client signed in through the sign-in form with the password the command printed."""
    password = {m["username"]: m["password"] for m in CREDENTIAL_LINE.finditer(output)}[username]
    client = Client()
    response = client.post(reverse("account_login"), {"login": username, "password": password})
    assert response.status_code == 302, username
    return client


def test_the_output_says_who_to_sign_in_as_for_each_journey():
    output, _ = seed()

    journeys = output[output.index("Journeys: sign in as") :]
    found = {m["who"]: m["username"] for m in JOURNEY_LINE.finditer(journeys)}
    assert found == {journey.who: journey.username or "(signed out)" for journey in demo.JOURNEYS}
    assert {"invited member", "organization owner", "editor", "visitor"} <= found.keys()
    # Every journey's member is a demo sign-in printed above it.
    credentials = {m["username"] for m in CREDENTIAL_LINE.finditer(output[: output.index("Journeys")])}
    assert {journey.username for journey in demo.JOURNEYS if journey.username} <= credentials


def test_the_demo_seeds_an_organization_a_private_and_a_public_community_and_a_learning_path():
    seed(verbosity=0)

    trust = Community.objects.get(slug=demo.ORGANIZATION_SLUG)
    night = Community.objects.get(slug=demo.PRIVATE_COMMUNITY_SLUG)
    circle = Community.objects.get(slug=demo.PRACTICE_SLUG)
    assert (trust.kind, trust.visibility) == ("organization", "public")
    assert (night.kind, night.visibility, night.join_policy, night.parent) == (
        "study_group",
        "private",
        "invitation",
        trust,
    )
    assert (circle.kind, circle.visibility, circle.join_policy) == ("practice", "public", "open")
    owner = Membership.objects.get(community=night, role=Membership.Role.OWNER)
    assert owner.member.username == "priya" and owner.status == Membership.Status.ACTIVE
    invited = Membership.objects.get(community=night, status=Membership.Status.INVITED)
    assert (invited.member.username, invited.invited_by.username) == ("sam", "priya")
    assert Membership.objects.get(community=circle, member__username="tomas").role == "moderator"
    members_only = Post.objects.published().filter(visibility=Post.Visibility.MEMBERS)
    assert set(members_only.values_list("community__slug", flat=True)) == {night.slug, circle.slug}
    path = LearningPath.objects.get(published=True)
    steps = list(path.steps.select_related("post"))
    assert len(steps) == 3 and all(step.post in Post.objects.visible_to(None) for step in steps)
    assert [step.stage for step in steps] == ["dependence", "independence", "interdependence"]


def test_the_invited_member_journey_starts_from_the_demo():
    output, _ = seed()
    night = Community.objects.get(slug=demo.PRIVATE_COMMUNITY_SLUG)
    secret = Post.objects.get(community=night, visibility=Post.Visibility.MEMBERS)
    sam = signed_in(output, "sam")

    home = sam.get(reverse("blog:home")).content.decode()
    header = home[home.index("<header") : home.index("</header>")]
    assert '1<span class="visually-hidden"> invitation waiting' in header
    assert link(header, "Night shift handovers").href == night.get_absolute_url()
    accept = reverse("communities:accept", kwargs={"pk": Membership.objects.get(member__username="sam").pk})
    response = sam.post(accept, form_values(home, action=accept), follow=True)

    assert response.redirect_chain[-1][0] == night.get_absolute_url()
    assert secret.title in response.content.decode()


def test_the_owner_outsider_and_visitor_journeys_start_from_the_demo():
    output, _ = seed()
    night = Community.objects.get(slug=demo.PRIVATE_COMMUNITY_SLUG)
    secret_titles = list(
        Post.objects.filter(visibility=Post.Visibility.MEMBERS).values_list("title", flat=True)
    )

    page = signed_in(output, "priya").get(night.get_absolute_url()).content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    for action in ("Write a post", "Insights", "Manage members"):
        assert action in main, action

    assert signed_in(output, "tomas").get(night.get_absolute_url()).status_code == 404

    visitor = Client()
    assert visitor.get(night.get_absolute_url()).status_code == 404
    directory = visitor.get(reverse("communities:directory")).content.decode()
    assert "Riverside Health Trust" in directory and "Reflective practice circle" in directory
    assert "Night shift handovers" not in directory and "No communities yet." not in directory
    home = visitor.get(reverse("blog:home")).content.decode()
    assert not [title for title in secret_titles if title in home]
    paths = visitor.get(reverse("blog:learning_paths")).content.decode()
    assert "Learning together in three steps" in paths


def test_a_second_run_leaves_the_communities_as_their_members_left_them():
    output, _ = seed()
    sam = signed_in(output, "sam")
    invitation = Membership.objects.get(member__username="sam")
    sam.post(reverse("communities:refuse", kwargs={"pk": invitation.pk}))
    first = snapshot()

    output, _ = seed()

    assert snapshot() == first
    assert not Membership.objects.filter(member__username="sam").exists()  # not invited again
    assert "Demo communities: 0 created; learning paths: 0 created." in output
