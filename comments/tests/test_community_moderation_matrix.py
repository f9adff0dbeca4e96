"""The community role × action matrix, continued: writing members-only posts and moderating comments.

Same community and actors as ``accounts/tests/test_community_matrix.py``
(``testing.worlds.PrivateCommunityWorld``: a private community joined by
request; anonymous, a member of another community, a member who asked to
join, one who was invited, a member, a moderator, the owner, an editor and a
superuser), with two more columns:

* "post members-only": the site's post editor (``blog:post_create``) opened
  with ``?community=<slug>`` and sent with ``community=<pk>``;
* "moderate comment": a held comment on the community's members-only post
  approved through the moderation queue (``comments:moderate``), sent back
  through ``comments:return``, and a published one removed through
  ``comments:remove``.

Each cell checks the status code AND what the database holds afterwards.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from blog.models import Post
from comments.models import Comment
from comments.services import comment_submit
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
)
from testing.worlds import ACTORS, LOGIN, PrivateCommunityWorld

pytestmark = pytest.mark.django_db

Status = Comment.Status
NEW_TITLE = "Minutes of the ward seven retrospective"


class ModerationWorld(PrivateCommunityWorld):
    """The matrix's community, with a members-only post, a held comment and a published one on it."""

    def __init__(self):
        super().__init__()
        self.post = Post.objects.get(community=self.community)
        writer = MembershipFactory(community=self.community).member
        self.published = CommentFactory(post=self.post, author=writer, body="A published thought.")
        # A member's first comment is held for moderation.
        newcomer = MembershipFactory(community=self.community).member
        self.held = comment_submit(post=self.post, author=newcomer, body="My first thought on the handover.")
        assert self.held.status == Status.PENDING


@pytest.fixture
def world():
    return ModerationWorld()


def post_form_data(community, **overrides):
    return {
        "title": NEW_TITLE,
        "community": community.pk,
        "visibility": Post.Visibility.MEMBERS,
        "categories": [individual_learning().pk],
        "tags": "handover",
        "excerpt": "",
        "body": "What we *learned*.",
        "status": Post.Status.PUBLISHED,
        "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "comments_open": "on",
        **overrides,
    }


def held_state(world):
    comment = Comment.objects.get(pk=world.held.pk)
    return comment.status, comment.is_returned


# --- The actions ----------------------------------------------------------------------------


def do_open_post_form(world, client):
    response = client.get(reverse("blog:post_create"), {"community": world.community.slug})
    preselected = (
        response.status_code == 200 and response.context["form"].initial.get("community") == world.community
    )
    return response, preselected


def do_write_members_only_post(world, client):
    response = client.post(reverse("blog:post_create"), post_form_data(world.community))
    created = Post.objects.filter(title=NEW_TITLE).first()
    if created is None:
        return response, None
    return response, (created.community_id == world.community.pk, created.visibility)


def do_approve_in_queue(world, client):
    response = client.post(reverse("comments:moderate"), {"action": "approve", "ids": [world.held.pk]})
    return response, held_state(world)


def do_send_back(world, client):
    url = reverse("comments:return", kwargs={"comment_id": world.held.pk})
    response = client.post(url, {"note": "Please say which handover you mean."})
    return response, held_state(world)


def do_remove(world, client):
    url = reverse("comments:remove", kwargs={"comment_id": world.published.pk})
    response = client.post(url, {"reason": "Names a patient."})
    return response, Comment.objects.get(pk=world.published.pk).is_removed


ACTIONS = {
    "open post form": do_open_post_form,
    "post members-only": do_write_members_only_post,
    "approve in queue": do_approve_in_queue,
    "send back": do_send_back,
    "remove": do_remove,
}

LEADERS = {"moderator", "owner", "editor", "superuser"}
HELD = (Status.PENDING, False)


def row(allowed, unchanged, *, refused=403):
    """The owner, the moderator and staff get ``allowed`` (code, state); anonymous visitors the
    sign-in page; everyone else ``refused``; all of those leave the state ``unchanged``."""
    return {
        actor: allowed if actor in LEADERS else (LOGIN if actor == "anonymous" else refused, unchanged)
        for actor in ACTORS
    }


EXPECTED = {
    "open post form": row((200, True), False),
    "post members-only": row((302, (True, Post.Visibility.MEMBERS)), None),
    "approve in queue": row((302, (Status.APPROVED, False)), HELD),
    "send back": row((302, (Status.PENDING, True)), HELD),
    # The post is a 404 to those outside; a member may not remove another's comment, and is
    # not told more about it than that it does not exist for them.
    "remove": row((302, True), False, refused=404),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_matrix(world, action, actor):
    expected_code, expected_state = EXPECTED[action][actor]

    response, state = ACTIONS[action](world, world.client(actor))

    if expected_code == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == expected_code
    assert state == expected_state


def test_the_matrix_covers_every_actor_and_action():
    assert set(EXPECTED) == set(ACTIONS)
    for action, cells in EXPECTED.items():
        assert list(cells) == ACTORS, action


def test_nothing_else_changed_for_those_refused(world):
    """A refused actor leaves no trace: no post, no audit event, no status change on either comment."""
    before = list(Comment.objects.order_by("pk").values_list("pk", "status", "removed_at", "returned_at"))
    events = world.held.events.count() + world.published.events.count()
    for actor in ("anonymous", "outsider", "requested", "invited", "member"):
        client = world.client(actor)
        for action in ACTIONS.values():
            action(world, client)
    assert (
        list(Comment.objects.order_by("pk").values_list("pk", "status", "removed_at", "returned_at"))
        == before
    )
    assert world.held.events.count() + world.published.events.count() == events
    assert not Post.objects.filter(title=NEW_TITLE).exists()


# --- Forged requests across communities -------------------------------------------------------


@pytest.fixture
def neighbours():
    """Community A (public) and community B (public, with a public post), each with its moderator."""
    moderator_a, moderator_b = UserFactory(username="mod-a"), UserFactory(username="mod-b")
    a = CommunityFactory(slug="a", owner=UserFactory())
    b = CommunityFactory(slug="b", owner=UserFactory())
    MembershipFactory(community=a, member=moderator_a, role=Membership.Role.MODERATOR)
    MembershipFactory(community=b, member=moderator_b, role=Membership.Role.MODERATOR)
    post_b = PostFactory(community=b, visibility=Post.Visibility.PUBLIC)
    held_b = comment_submit(post=post_b, author=UserFactory(), body="Held on B's post.")
    published_b = CommentFactory(post=post_b, body="Published on B's post.")
    client_a = client_for(moderator_a)
    return {"a": a, "b": b, "held_b": held_b, "published_b": published_b, "client_a": client_a}


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "dismiss"])
def test_a_moderator_of_a_cannot_moderate_bs_comment_by_forging_its_id(neighbours, action):
    held = neighbours["held_b"]

    response = neighbours["client_a"].post(
        reverse("comments:moderate"), {"action": action, "ids": [held.pk]}, follow=True
    )

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == Status.PENDING
    assert held.moderated_by is None
    assert not held.events.exclude(action__in=["submitted", "held"]).exists()


def test_a_forged_id_among_own_ones_changes_only_the_own_ones(neighbours):
    post_a = PostFactory(community=neighbours["a"], visibility=Post.Visibility.MEMBERS)
    own = comment_submit(post=post_a, author=UserFactory(), body="Held on A's post.")
    held_b = neighbours["held_b"]

    response = neighbours["client_a"].post(
        reverse("comments:moderate"), {"action": "approve", "ids": [own.pk, held_b.pk]}, follow=True
    )

    assert "1 comment approved." in response.content.decode()
    own.refresh_from_db()
    held_b.refresh_from_db()
    assert (own.status, held_b.status) == (Status.APPROVED, Status.PENDING)


def test_a_moderator_of_a_cannot_send_back_or_remove_bs_comments(neighbours):
    client, held, published = neighbours["client_a"], neighbours["held_b"], neighbours["published_b"]
    return_url = reverse("comments:return", kwargs={"comment_id": held.pk})

    assert client.get(return_url).status_code == 404
    assert client.post(return_url, {"note": "Rephrase."}).status_code == 404
    response = client.post(
        reverse("comments:remove", kwargs={"comment_id": published.pk}), {"reason": "Rude."}
    )
    assert response.status_code == 404

    held.refresh_from_db()
    published.refresh_from_db()
    assert (held.status, held.is_returned) == (Status.PENDING, False)
    assert not published.is_removed


def test_a_moderator_of_a_does_not_see_bs_comments_in_the_queue(neighbours):
    post_a = PostFactory(community=neighbours["a"])
    own = comment_submit(post=post_a, author=UserFactory(), body="Held on A's post.")

    response = neighbours["client_a"].get(reverse("comments:queue"))

    assert response.status_code == 200
    assert [c.pk for c in response.context["items"]] == [own.pk]
    assert response.context["counts"] == {"held": 1, "flagged": 0, "total": 1}
    assert "Held on B&#x27;s post." not in response.content.decode()


def test_a_leader_elsewhere_cannot_write_into_this_community(world):
    """Owning another community opens the editor, but this community is not among the choices."""
    intruder = client_for(
        Membership.objects.get(community=world.elsewhere, role=Membership.Role.OWNER).member
    )

    response = intruder.post(reverse("blog:post_create"), post_form_data(world.community))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Post.objects.filter(title=NEW_TITLE).exists()
