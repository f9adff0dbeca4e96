"""Who may do what in a community: every actor × every action, status code AND resulting state.

The community under test is private and joined by request, so it also shows
that a private community is a 404 (not a 403) to those it does not know.
Actors: anonymous, a member of another community, a member who asked to
join, one who was invited, a member, a moderator, the (only) owner, an
editor (staff) and a superuser.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Community, Membership
from testing.clients import client_for
from testing.factories import CommunityFactory, MembershipFactory, UserFactory
from testing.worlds import ACTORS, LOGIN, WARD_MEMBERS_TITLE, PrivateCommunityWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return PrivateCommunityWorld()


def url(name, **kwargs):
    return reverse(f"communities:{name}", kwargs=kwargs)


# Each action: how to perform it, and what to read back from the database afterwards.
def do_view(world, client):
    response = client.get(world.community.get_absolute_url())
    return response, WARD_MEMBERS_TITLE in response.content.decode()


def do_join(world, client, actor):
    return client.post(url("join", slug="ward-seven")), world.status_of(world.people[actor])


def do_leave(world, client, actor):
    return client.post(url("leave", slug="ward-seven")), world.status_of(world.people[actor])


def do_approve(world, client):
    response = client.post(url("approve", pk=world.applicant.pk))
    return response, world.status_of(world.applicant.member)


def do_invite(world, client):
    response = client.post(url("invite", slug="ward-seven"), {"invitees": "newcomer"})
    return response, world.status_of(world.newcomer)


def do_change_role(world, client):
    response = client.post(url("role", pk=world.target.pk), {"role": Membership.Role.MODERATOR})
    return response, Membership.objects.get(pk=world.target.pk).role


def do_remove(world, client):
    response = client.post(url("remove", pk=world.target.pk))
    return response, Membership.objects.filter(pk=world.target.pk).exists()


def do_edit(world, client):
    data = {
        "name": "Renamed ward",
        "description": "New words.",
        "kind": Community.Kind.PRACTICE,
        "visibility": Community.Visibility.PRIVATE,
        "join_policy": Community.JoinPolicy.REQUEST,
        "parent": "",
    }
    response = client.post(url("edit", slug="ward-seven"), data)
    return response, Community.objects.get(pk=world.community.pk).name


ACTIONS = {
    "view": lambda world, client, actor: do_view(world, client),
    "join": do_join,
    "leave": do_leave,
    "approve": lambda world, client, actor: do_approve(world, client),
    "invite": lambda world, client, actor: do_invite(world, client),
    "change_role": lambda world, client, actor: do_change_role(world, client),
    "remove": lambda world, client, actor: do_remove(world, client),
    "edit": lambda world, client, actor: do_edit(world, client),
}

# (status code, resulting state) for every actor and action. 302 = done (or refused with a message).
ACTIVE, REQUESTED, INVITED = "active", "requested", "invited"
MANAGERS_ONLY = {  # actions of the members page: owners and staff
    "anonymous": LOGIN,
    "outsider": 404,  # the community does not exist for them
    "requested": 403,  # they know it exists, but may not manage it
    "invited": 403,
    "member": 403,
    "moderator": 403,
    "owner": 302,
    "editor": 302,
    "superuser": 302,
}


def managers_only(done, not_done):
    return {actor: (code, done if code == 302 else not_done) for actor, code in MANAGERS_ONLY.items()}


EXPECTED = {
    # The page (and whether the members-only post is on it).
    "view": {
        "anonymous": (404, False),
        "outsider": (404, False),
        "requested": (200, False),  # they asked to join: the header, "Request pending", nothing inside
        "invited": (200, False),  # the invitation is accepted on this page
        "member": (200, True),
        "moderator": (200, True),
        "owner": (200, True),
        "editor": (200, True),
        "superuser": (200, True),
    },
    # The actor's own membership status afterwards.
    "join": {
        "anonymous": (LOGIN, None),
        "outsider": (404, None),
        "requested": (302, REQUESTED),
        "invited": (302, ACTIVE),  # joining when invited accepts the invitation
        "member": (302, ACTIVE),
        "moderator": (302, ACTIVE),
        "owner": (302, ACTIVE),
        "editor": (302, REQUESTED),  # staff see it, and ask like anyone else
        "superuser": (302, REQUESTED),
    },
    "leave": {
        "anonymous": (LOGIN, None),
        "outsider": (404, None),
        "requested": (302, None),  # withdraws the request
        "invited": (302, None),  # declines the invitation
        "member": (302, None),
        "moderator": (302, None),
        "owner": (302, ACTIVE),  # the only owner cannot leave
        "editor": (302, None),  # not in it: nothing to do
        "superuser": (302, None),
    },
    "approve": managers_only(ACTIVE, REQUESTED),
    "invite": managers_only(INVITED, None),
    "change_role": managers_only(Membership.Role.MODERATOR, Membership.Role.MEMBER),
    "remove": managers_only(False, True),
    "edit": managers_only("Renamed ward", "Ward seven"),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_matrix(world, action, actor):
    expected_code, expected_state = EXPECTED[action][actor]

    response, state = ACTIONS[action](world, world.client(actor), actor)

    if expected_code == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == expected_code
    assert state == expected_state


def test_the_matrix_covers_every_actor_and_action():
    assert set(EXPECTED) == set(ACTIONS)
    for action, row in EXPECTED.items():
        assert list(row) == ACTORS, action


@pytest.mark.parametrize("actor", ACTORS)
def test_declining_a_request_is_for_owners_and_staff(world, actor):
    response = world.client(actor).post(url("decline", pk=world.applicant.pk))

    code = MANAGERS_ONLY[actor]
    if code == LOGIN:
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == code
    assert world.status_of(world.applicant.member) == (None if code == 302 else REQUESTED)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_members_page_is_for_owners_and_staff(world, actor):
    response = world.client(actor).get(url("members", slug="ward-seven"))

    code = {**MANAGERS_ONLY, "owner": 200, "editor": 200, "superuser": 200}[actor]
    if code == LOGIN:
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == code


@pytest.mark.parametrize("actor", ACTORS)
def test_the_edit_page_is_for_owners_and_staff(world, actor):
    response = world.client(actor).get(url("edit", slug="ward-seven"))

    code = {**MANAGERS_ONLY, "owner": 200, "editor": 200, "superuser": 200}[actor]
    if code == LOGIN:
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == code


# --- Forged requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data",
    [("approve", {}), ("decline", {}), ("role", {"role": "owner"}), ("remove", {})],
)
def test_an_owner_elsewhere_cannot_touch_this_communitys_memberships(world, name, data):
    """An owner of another community posts this community's membership ids: 404, nothing changes."""
    intruder = client_for(
        Membership.objects.get(community=world.elsewhere, role=Membership.Role.OWNER).member
    )
    before = list(Membership.objects.filter(community=world.community).values_list("pk", "role", "status"))

    for membership in (world.applicant, world.target):
        response = intruder.post(url(name, pk=membership.pk), data)
        assert response.status_code == 404  # private: not even a 403

    after = list(Membership.objects.filter(community=world.community).values_list("pk", "role", "status"))
    assert after == before


@pytest.mark.parametrize("name", ["approve", "decline", "role", "remove"])
def test_an_owner_elsewhere_gets_403_on_a_public_community(name):
    public = CommunityFactory(owner=UserFactory())
    requested = MembershipFactory(community=public, status=Membership.Status.REQUESTED)
    other_owner = UserFactory()
    CommunityFactory(owner=other_owner)
    intruder = client_for(other_owner)

    response = intruder.post(url(name, pk=requested.pk), {"role": "owner"})

    assert response.status_code == 403
    requested.refresh_from_db()
    assert (requested.status, requested.role) == (REQUESTED, Membership.Role.MEMBER)


def test_a_moderator_cannot_promote_themselves(world):
    moderator = world.people["moderator"]
    own = Membership.objects.get(community=world.community, member=moderator)

    response = world.client("moderator").post(url("role", pk=own.pk), {"role": "owner"})

    assert response.status_code == 403
    assert Membership.objects.get(pk=own.pk).role == Membership.Role.MODERATOR


@pytest.mark.parametrize("name", ["accept", "refuse"])
def test_nobody_answers_someone_elses_invitation(world, name):
    invited = Membership.objects.get(community=world.community, member=world.people["invited"])
    for actor in ("member", "owner", "editor", "outsider"):
        response = world.client(actor).post(url(name, pk=invited.pk))
        assert response.status_code == 404, actor
    assert Membership.objects.get(pk=invited.pk).status == INVITED


@pytest.mark.parametrize("name", ["accept", "refuse"])
def test_the_invited_member_answers_their_invitation(world, name):
    invited = Membership.objects.get(community=world.community, member=world.people["invited"])

    response = world.client("invited").post(url(name, pk=invited.pk))

    assert response.status_code == 302
    if name == "accept":
        assert response.url == world.community.get_absolute_url()
        assert Membership.objects.get(pk=invited.pk).status == ACTIVE
    else:
        assert response.url == url("directory")  # the private page is a 404 for them now
        assert not Membership.objects.filter(pk=invited.pk).exists()


def test_accepting_twice_or_a_request_as_an_invitation_changes_nothing(world):
    requested = Membership.objects.get(community=world.community, member=world.people["requested"])

    response = world.client("requested").post(url("accept", pk=requested.pk))

    assert response.status_code == 302
    assert Membership.objects.get(pk=requested.pk).status == REQUESTED


def test_an_unknown_role_is_a_message_not_an_error(world):
    response = world.client("owner").post(url("role", pk=world.target.pk), {"role": "emperor"}, follow=True)

    assert response.status_code == 200
    assert "Unknown role." in response.content.decode()
    assert Membership.objects.get(pk=world.target.pk).role == Membership.Role.MEMBER


@pytest.mark.parametrize("name", ["join", "leave", "invite", "edit", "members"])
def test_get_on_an_action_changes_nothing(world, name):
    before = Membership.objects.count()
    response = world.client("owner").get(url(name, slug="ward-seven"))
    assert response.status_code in (200, 405)
    assert Membership.objects.count() == before
    assert Community.objects.get(pk=world.community.pk).name == "Ward seven"


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor, action",
    [
        ("outsider", "join"),
        ("member", "leave"),
        ("owner", "approve"),
        ("owner", "invite"),
        ("owner", "change_role"),
        ("owner", "remove"),
        ("owner", "edit"),
    ],
)
def test_posts_without_a_csrf_token_are_refused(world, actor, action):
    if action == "join":
        world.community.visibility = Community.Visibility.PUBLIC
        world.community.save()
    client = world.client(actor, enforce_csrf_checks=True)
    _response, before = ACTIONS[action](world, Client(), actor)  # anonymous: changes nothing

    response, after = ACTIONS[action](world, client, actor)

    assert response.status_code == 403
    assert after == before


def test_the_invitation_answers_need_a_csrf_token(world):
    invited = Membership.objects.get(community=world.community, member=world.people["invited"])
    client = world.client("invited", enforce_csrf_checks=True)

    assert client.post(url("accept", pk=invited.pk)).status_code == 403
    assert client.post(url("refuse", pk=invited.pk)).status_code == 403
    assert Membership.objects.get(pk=invited.pk).status == INVITED


# --- At least one owner ------------------------------------------------------------------------


def test_the_last_owner_cannot_leave_be_demoted_or_removed(world):
    own = Membership.objects.get(community=world.community, member=world.owner)
    message = "A community needs at least one owner"

    page = world.client("owner").post(url("leave", slug="ward-seven"), follow=True).content.decode()
    assert "You are the only owner" in page
    page = (
        world.client("owner").post(url("role", pk=own.pk), {"role": "member"}, follow=True).content.decode()
    )
    assert message in page
    page = world.client("editor").post(url("remove", pk=own.pk), follow=True).content.decode()
    assert message in page
    page = world.client("superuser").post(url("role", pk=own.pk), {"role": "moderator"}, follow=True)
    assert message in page.content.decode()

    own.refresh_from_db()
    assert (own.role, own.status) == (Membership.Role.OWNER, ACTIVE)


def test_with_a_second_owner_the_first_may_step_down_and_leave(world):
    own = Membership.objects.get(community=world.community, member=world.owner)
    owner = world.client("owner")
    assert owner.post(url("role", pk=world.target.pk), {"role": "owner"}).status_code == 302

    assert owner.post(url("role", pk=own.pk), {"role": "member"}).status_code == 302
    assert Membership.objects.get(pk=own.pk).role == Membership.Role.MEMBER
    # Now a plain member, they may no longer manage...
    assert owner.post(url("remove", pk=world.target.pk)).status_code == 403
    # ...but they may leave, and land on the directory (the private page is now a 404 for them).
    response = owner.post(url("leave", slug="ward-seven"))
    assert response.url == url("directory")
    assert world.status_of(world.owner) is None
    assert Membership.objects.filter(community=world.community, role=Membership.Role.OWNER).count() == 1


def test_an_owner_who_removes_themselves_while_another_owner_remains(world):
    own = Membership.objects.get(community=world.community, member=world.owner)
    MembershipFactory(community=world.community, role=Membership.Role.OWNER)

    response = world.client("owner").post(url("remove", pk=own.pk))

    assert response.status_code == 302
    assert response.url == url("directory")
    assert not Membership.objects.filter(pk=own.pk).exists()


# --- Join policies on public communities ----------------------------------------------------


@pytest.mark.parametrize(
    "visibility, policy, expected",
    [
        ("public", "open", ACTIVE),
        ("public", "request", REQUESTED),
        ("public", "invitation", None),
        ("private", "open", 404),
        ("private", "invitation", 404),
    ],
)
def test_joining_follows_the_policy(visibility, policy, expected):
    community = CommunityFactory(visibility=visibility, join_policy=policy, owner=UserFactory())
    user = UserFactory()
    client = client_for(user)

    response = client.post(url("join", slug=community.slug), follow=True)

    status = (
        Membership.objects.filter(community=community, member=user).values_list("status", flat=True).first()
    )
    if expected == 404:
        assert response.status_code == 404
        assert status is None
    else:
        assert response.status_code == 200
        assert status == expected
    if policy == "invitation" and visibility == "public":
        assert "This community is by invitation only." in response.content.decode()
