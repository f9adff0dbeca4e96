"""The world of the authorization matrix (``portal/tests/test_authorization_matrix.py``, and
``portal/tests/test_spanish_everywhere.py`` which reads the same pages in Spanish).

One site with every role and every kind of object the URLs act on:

* **Circle** — a public community joined by request: its owner, a moderator,
  a second moderator who wrote its posts (the *post author*), a member, a
  member who asked to join and one who was invited, and an emailed
  invitation to an address without an account. It has a public post and a
  members-only post, a draft, comments (approved and held) and a learning
  path through both posts.
* **Ward** — a private community by invitation, owned by *other member*, with
  a members-only post, a held comment and a pending request: everything in it
  is a 404 to those it does not know.
* A published and a draft site page; signed tokens for the unsubscribe links.

Every secret text (``SECRET_*``) is one word no public page contains, so a
page that shows it to a role that may not read it is a leak.
"""

# ruff: noqa: S105 - the SECRET_* words are page texts, not passwords

from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from taggit.models import Tag

from accounts.models import Community, Invitation, Membership
from accounts.services import invite, member_invitation_token
from blog.models import LearningPath, LearningPathStep, Page, Post
from blog.services import digest_unsubscribe_token
from comments.models import Comment
from comments.notifications import unsubscribe_token
from comments.services import comment_flag, comment_submit
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    SuperuserFactory,
    UserFactory,
)

CSRF_TOKEN = "authzmatrixcsrftoken0123456789ab"  # a 32-character secret, as Django's cookie holds

ROLES = [
    "anonymous",
    "member",  # signed in, in no community, wrote nothing
    "author",  # wrote the comments on Circle's public post (one approved, one held); in no community
    "other_member",  # owns the private community Ward: a leader elsewhere, nobody in Circle
    "community_member",
    "community_moderator",
    "post_author",  # a moderator of Circle who wrote its posts
    "community_owner",
    "editor",  # staff, in the Editors group
    "superuser",
]
# Who belongs to Circle (and so reads its members-only post), and who leads it.
CIRCLE_READERS = {
    "community_member",
    "community_moderator",
    "post_author",
    "community_owner",
    "editor",
    "superuser",
}
CIRCLE_LEADERS = {"community_moderator", "post_author", "community_owner", "editor", "superuser"}
CIRCLE_MANAGERS = {"community_owner", "editor", "superuser"}
WARD_READERS = {"other_member", "editor", "superuser"}
STAFF = {"editor", "superuser"}

SECRET_POST = "Quillwort"  # the title word of Circle's members-only post
SECRET_COMMENT = "Bramblejack"  # a comment on that post
SECRET_WARD = "Zephyrine"  # Ward's name and its post's title
SECRET_HELD = "Marrowfat"  # the author's held comment on the public post
SECRET_DRAFT = "Nettlebed"  # the post author's draft


class World:
    def __init__(self):
        now = timezone.now()
        self.users = {
            "member": UserFactory(username="plain-member"),
            "author": UserFactory(username="comment-author"),
            "other_member": UserFactory(username="ward-owner"),
            "community_member": UserFactory(username="circle-member"),
            "community_moderator": UserFactory(username="circle-moderator"),
            "post_author": UserFactory(username="circle-writer"),
            "community_owner": UserFactory(username="circle-owner"),
            "editor": EditorFactory(username="the-editor"),
            "superuser": SuperuserFactory(username="the-superuser"),
        }
        u = self.users
        self.circle = CommunityFactory(
            name="Circle of practice",
            slug="circle",
            join_policy=Community.JoinPolicy.REQUEST,
            owner=u["community_owner"],
        )
        circle = {"community": self.circle}
        self.membership = {
            "community_member": MembershipFactory(**circle, member=u["community_member"]),
            "community_moderator": MembershipFactory(
                **circle, member=u["community_moderator"], role=Membership.Role.MODERATOR
            ),
            "post_author": MembershipFactory(
                **circle, member=u["post_author"], role=Membership.Role.MODERATOR
            ),
        }
        self.owner_membership = Membership.objects.get(community=self.circle, member=u["community_owner"])
        self.applicant = MembershipFactory(**circle, status=Membership.Status.REQUESTED)
        self.invited = MembershipFactory(**circle, status=Membership.Status.INVITED)
        self.invited_token = member_invitation_token(self.invited)  # the link of their invitation email
        self.invitation = invite(
            community=self.circle, inviter=u["community_owner"], username_or_email="newcomer@example.org"
        )
        assert isinstance(self.invitation, Invitation)

        self.ward = CommunityFactory(
            name=f"{SECRET_WARD} ward",
            slug="ward",
            visibility=Community.Visibility.PRIVATE,
            join_policy=Community.JoinPolicy.INVITATION,
            owner=u["other_member"],
        )
        self.ward_member = ward_member = MembershipFactory(community=self.ward).member
        self.ward_applicant = MembershipFactory(community=self.ward, status=Membership.Status.REQUESTED)
        self.ward_membership = Membership.objects.get(community=self.ward, member=ward_member)

        tag = Tag.objects.create(name="practice", slug="practice")
        self.tag = tag
        self.public_post = PostFactory(
            title="Notes from the open circle",
            author=u["post_author"],
            community=self.circle,
            visibility=Post.Visibility.PUBLIC,
            tags=[tag],
            publish_at=now - timedelta(days=2),
        )
        self.members_post = PostFactory(
            title=f"{SECRET_POST} handover notes",
            author=u["post_author"],
            community=self.circle,
            visibility=Post.Visibility.MEMBERS,
            tags=[tag],
            publish_at=now - timedelta(days=1),
        )
        self.draft = PostFactory(
            title=f"{SECRET_DRAFT} draft",
            author=u["post_author"],
            community=self.circle,
            status=Post.Status.DRAFT,
        )
        self.ward_post = PostFactory(
            title=f"{SECRET_WARD} minutes",
            body="The fennelworth rota.",
            author=u["other_member"],
            community=self.ward,
            visibility=Post.Visibility.MEMBERS,
            tags=[tag],
        )
        # The author's first comment is held (a member's first comment is), the second approved.
        self.held = comment_submit(
            post=self.public_post, author=u["author"], body=f"{SECRET_HELD} first try."
        )
        assert self.held.status == Comment.Status.PENDING
        self.comment = CommentFactory(post=self.public_post, author=u["author"], body="An approved thought.")
        self.members_comment = CommentFactory(
            post=self.members_post,
            author=u["community_member"],
            body=f"{SECRET_COMMENT} is the tussock word.",
        )
        self.flag = comment_flag(comment=self.comment, member=ward_member, reason="off_topic", note="")
        self.ward_held = comment_submit(post=self.ward_post, author=ward_member, body="Held in the ward.")
        assert self.ward_held.status == Comment.Status.PENDING

        self.path = LearningPath.objects.create(title="Start here", slug="start-here", published=True)
        self.public_step = LearningPathStep.objects.create(path=self.path, post=self.public_post, order=1)
        self.members_step = LearningPathStep.objects.create(path=self.path, post=self.members_post, order=2)
        self.page = Page.objects.create(title="About", slug="about", status=Page.Status.PUBLISHED)
        self.draft_page = Page.objects.create(title="Plans", slug="plans", status=Page.Status.DRAFT)

        self.unsubscribe_token = unsubscribe_token(u["author"], "reply")
        u["author"].digest = u["author"].Digest.WEEKLY
        u["author"].save(update_fields=["digest"])
        self.digest_token = digest_unsubscribe_token(u["author"])
        self.editors = Group.objects.get(name="Editors")
        self.task_result = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="comments.notifications.send_moderation_digest",
            backend_name="default",
            run_after=now,
            exception_class_path="",
            traceback="",
        )

        # One signed-in session per role, made once: each test's clients reuse the cookie.
        self.sessions = {}
        for role, user in self.users.items():
            self.sessions[role] = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value

    def user(self, role):
        return self.users.get(role)

    def client(self, role, *, csrf=True, language=None):
        """A client that enforces CSRF checks, in ``role``'s session (none when anonymous).

        ``csrf``: CSRF_TOKEN in the CSRF cookie (the requests send it in the form); ``language``
        in the language cookie.
        """
        client = Client(enforce_csrf_checks=True)
        if role != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        if csrf:
            client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_TOKEN
        if language is not None:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client


@contextmanager
def world_rolled_back(django_db_blocker):
    """A World built inside a transaction that is rolled back when the block ends (module fixtures)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield World()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
