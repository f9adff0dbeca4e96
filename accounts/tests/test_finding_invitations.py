"""An invited member finds the invitation where they look, and answers it there.

A member invited by username to a private community used to see nothing: no
invitation under "My communities", "No communities yet" in the directory, and a
community page nothing led to. Now the communities menu counts and lists the
pending invitations with Accept and Refuse, so does the member's own profile,
the directory lists the community marked "You are invited", and its page opens
to the invitee: its header, description and Accept / Refuse, never what is
inside (who is in it, its members-only posts), which stays for active members.

The tests follow the links and press the buttons a member would, with CSRF checks on.
"""

import html
import re

import pytest
from django.urls import reverse

from accounts.models import Community, Membership
from blog.models import Post
from testing.clients import client_for
from testing.factories import CommunityFactory, MembershipFactory, PostFactory, UserFactory
from testing.pages import form_values, link
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

HOME = reverse("blog:home")
SECRET_TITLE = "Bedside handover notes of the night ward"


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: its text, spaces collapsed (inline tags join their words)."""
    inline_joined = re.sub(r"</?(?:a|strong|em|span)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline_joined)).split())


def header_of(page: str) -> str:
    return page[page.index("<header") : page.index("</header>")]


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


@pytest.fixture
def ward():
    """A private community by invitation, with a member and a members-only post; its owner invites Ada."""
    owner = UserFactory(username="olga", display_name="Olga Owner")
    community = CommunityFactory(
        name="Night ward",
        slug="night-ward",
        visibility=Community.Visibility.PRIVATE,
        join_policy=Community.JoinPolicy.INVITATION,
        owner=owner,
    )
    MembershipFactory(community=community, member=UserFactory(display_name="Ines Insider"))
    PostFactory(community=community, visibility=Post.Visibility.MEMBERS, title=SECRET_TITLE)
    ada = UserFactory(username="ada", display_name="Ada Lovelace")
    # As the owner does it: the members page's invite box, by username.
    owner_client = client_for(owner)
    members_page = owner_client.get(reverse("communities:members", kwargs={"slug": community.slug}))
    invite = reverse("communities:invite", kwargs={"slug": community.slug})
    fields = form_values(members_page.content.decode(), action=invite)
    owner_client.post(invite, {**fields, "invitees": "ada"})
    assert Membership.objects.get(community=community, member=ada).status == Membership.Status.INVITED
    return community, ada


def press(client, page: str, action: str):
    """Press the button of the form posting to ``action`` on ``page``, as a browser would send it."""
    return client.post(action, form_values(page, action=action), follow=True)


def test_the_communities_menu_counts_and_lists_the_invitation_and_accepts_it_in_place(ward):
    community, ada = ward
    client = client_for(ada, enforce_csrf_checks=True)

    home = client.get(HOME).content.decode()
    header = text_of(header_of(home))
    assert "My communities 1 invitation waiting" in header
    assert "Olga Owner invites you to join Night ward." in header
    assert "Accept" in header and "Refuse" in header
    # The community's name leads to its page, which the invitee may open.
    assert link(header_of(home), "Night ward").href == community.get_absolute_url()

    accept = reverse("communities:accept", kwargs={"pk": Membership.objects.get(member=ada).pk})
    response = press(client, home, accept)

    assert response.redirect_chain[-1][0] == community.get_absolute_url()
    page = response.content.decode()
    assert "Welcome to Night ward!" in page
    assert SECRET_TITLE in main_of(page)  # a member now: the members-only post
    assert Membership.objects.get(member=ada).status == Membership.Status.ACTIVE
    header = text_of(header_of(client.get(HOME).content.decode()))
    assert "invitation" not in header and "Night ward" in header  # in My communities now


def test_refusing_in_the_menu_leaves_the_private_community_unseen(ward):
    community, ada = ward
    client = client_for(ada, enforce_csrf_checks=True)
    home = client.get(HOME).content.decode()

    refuse = reverse("communities:refuse", kwargs={"pk": Membership.objects.get(member=ada).pk})
    response = press(client, home, refuse)

    assert "You declined the invitation." in response.content.decode()
    assert not Membership.objects.filter(member=ada).exists()
    assert "Night ward" not in response.content.decode()
    assert client.get(community.get_absolute_url()).status_code == 404


def test_the_members_own_profile_lists_the_invitation_with_accept_and_refuse(ward):
    community, ada = ward
    client = client_for(ada, enforce_csrf_checks=True)
    home = client.get(HOME).content.decode()

    profile = client.get(link(header_of(home), "My profile").href).content.decode()

    section = main_of(profile)
    assert "Invitations waiting for your answer" in text_of(section)
    assert "Olga Owner invites you to join Night ward." in text_of(section)
    accept = reverse("communities:accept", kwargs={"pk": Membership.objects.get(member=ada).pk})
    assert f'action="{accept}"' in section
    # Nobody else sees them on Ada's profile, not even the community's owner.
    for visitor in (None, UserFactory(), Membership.objects.get(role="owner").member):
        other_view = main_of(client_for(visitor).get(ada.get_absolute_url()).content.decode())
        assert "Invitations waiting" not in other_view and "Night ward" not in other_view

    response = client.post(accept, form_values(section, action=accept), follow=True)
    assert "Welcome to Night ward!" in response.content.decode()
    profile = main_of(client.get(ada.get_absolute_url()).content.decode())
    assert "Invitations waiting" not in profile and "Night ward" in text_of(profile)


def test_the_invitee_opens_the_private_communitys_page_but_not_what_is_inside(ward):
    community, ada = ward
    client = client_for(ada)
    secret_post = Post.objects.get(title=SECRET_TITLE)

    # The directory lists it for them, marked; its link opens the page.
    directory = client.get(reverse("communities:directory")).content.decode()
    assert "No communities yet." not in directory
    assert "You are invited" in text_of(main_of(directory))
    response = client.get(link(main_of(directory), "Night ward").href)

    assert response.status_code == 200
    page = main_of(response.content.decode())
    assert "Olga Owner invited you to join this community." in text_of(page)
    assert "Accept invitation" in page and "Refuse invitation" in page
    # Inside stays inside: no member, no members-only post, no following it.
    assert "Ines Insider" not in page and SECRET_TITLE not in page and "Follow" not in page
    assert client.get(secret_post.get_absolute_url()).status_code == 404
    assert SECRET_TITLE not in client.get(HOME).content.decode()
    follow = reverse("blog:follow", kwargs={"kind": "community", "pk": community.pk})
    assert client.post(follow).status_code == 404
    # To anyone it does not know, the community is still a 404.
    assert client_for(UserFactory()).get(community.get_absolute_url()).status_code == 404
    assert client_for().get(community.get_absolute_url()).status_code == 404


def test_an_invitee_does_not_learn_who_is_in_the_community_from_profiles(ward):
    community, ada = ward
    insider = Membership.objects.get(member__display_name="Ines Insider").member

    profile = main_of(client_for(ada).get(insider.get_absolute_url()).content.decode())

    assert "Night ward" not in profile
    assert "Night ward" in main_of(client_for(insider).get(insider.get_absolute_url()).content.decode())


def test_the_header_costs_the_same_queries_whatever_the_number_of_invitations():
    member = UserFactory()
    MembershipFactory(member=member)
    MembershipFactory(member=member, status=Membership.Status.INVITED)
    client = client_for(member)

    few = count_queries(client, HOME, cold_cache=True)
    for _ in range(14):
        MembershipFactory(member=member, status=Membership.Status.INVITED)
        MembershipFactory(member=member)
    many = count_queries(client, HOME, cold_cache=True)

    assert_same_count(few, many)
    page = many.response.content.decode()
    # The menu shows the first ten rows, the count all fifteen, and leads to the rest.
    assert "My communities 15 invitations waiting" in text_of(header_of(page))
    assert "Invitations (15)" in text_of(header_of(page))
    profile = client.get(link(header_of(page), "All your invitations").href).content.decode()
    assert text_of(main_of(profile)).count("You are invited to join") == 15
