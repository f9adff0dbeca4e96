"""Creating and editing communities, the members page, invitations, profiles, the menu and the admin."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from PIL import Image

from accounts import services
from accounts.forms import split_invitees
from accounts.models import Community, Invitation, Membership, User
from testing.clients import client_for
from testing.factories import (
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    SuperuserFactory,
    UserFactory,
)
from testing.pages import form_values, link
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

PASSWORD = "Learning-in-the-open 42"
CREATE_URL = reverse("communities:create")
CONFIRMATION_PATH = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")
INVITATION_PATH = re.compile(r"https?://[^/\s]+(/communities/invitation/[^/\s]+/)")
MEMBER_INVITATION_LINK = re.compile(r"https?://[^/\s]+(/communities/invitation/member/[^/\s]+/)")


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks at once (the test settings only record them)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def url(name, **kwargs):
    return reverse(f"communities:{name}", kwargs=kwargs)


def png(size=(300, 200), color=(31, 95, 91)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def community_data(**overrides):
    return {
        "name": "Night shift learners",
        "description": "We *learn* at night.",
        "kind": Community.Kind.PRACTICE,
        "visibility": Community.Visibility.PUBLIC,
        "join_policy": Community.JoinPolicy.OPEN,
        "parent": "",
        **overrides,
    }


def owner_of(community):
    return Membership.objects.get(community=community, role=Membership.Role.OWNER).member


# --- Create ------------------------------------------------------------------------------------


def test_creating_a_community_makes_the_creator_its_owner():
    creator = UserFactory()
    client = client_for(creator)
    assert client.get(CREATE_URL).status_code == 200

    response = client.post(CREATE_URL, community_data())

    community = Community.objects.get(name="Night shift learners")
    assert response.status_code == 302
    assert response.url == community.get_absolute_url() == "/communities/night-shift-learners/"
    assert community.created_by == creator
    assert community.description_html.strip() == "<p>We <em>learn</em> at night.</p>"
    membership = Membership.objects.get(community=community)
    assert (membership.member, membership.role, membership.status) == (creator, "owner", "active")
    page = client.get(response.url).content.decode()
    assert "Night shift learners is created. Anyone can see it and join it. You are its owner." in page
    assert "Manage members" in page


def test_sign_in_is_needed_to_create_and_staff_only_mode_is_respected(settings):
    response = Client().get(CREATE_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    response = Client().post(CREATE_URL, community_data())
    assert response.status_code == 302 and not Community.objects.exists()

    settings.COMMUNITY_CREATION_STAFF_ONLY = True
    member = client_for(UserFactory())
    assert member.get(CREATE_URL).status_code == 403
    assert member.post(CREATE_URL, community_data()).status_code == 403
    assert not Community.objects.exists()
    assert client_for(EditorFactory()).post(CREATE_URL, community_data()).status_code == 302
    assert Community.objects.count() == 1


def test_a_community_named_new_does_not_take_the_create_pages_address():
    client = client_for(UserFactory())

    client.post(CREATE_URL, community_data(name="New"))

    community = Community.objects.get(name="New")
    assert community.slug != "new"
    assert client.get(community.get_absolute_url()).status_code == 200


def test_form_errors_keep_what_was_typed():
    client = client_for(UserFactory())

    response = client.post(
        CREATE_URL, community_data(name="", description="Kept *words*", kind="empire", logo=png())
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The community was not saved." in page
    assert "This field is required." in page
    assert "Select a valid choice." in page
    assert "Kept *words*" in page
    assert "If you chose a new logo, choose it again." in page
    assert not Community.objects.exists()


def test_a_logo_is_verified_re_encoded_and_gets_a_thumbnail():
    client = client_for(UserFactory())

    response = client.post(CREATE_URL, community_data(logo=png(size=(1200, 800))))

    assert response.status_code == 302
    community = Community.objects.get()
    assert community.logo and community.logo_thumbnail
    with Image.open(community.logo.path) as logo:
        assert max(logo.size) == 512
    with Image.open(community.logo_thumbnail.path) as thumbnail:
        assert max(thumbnail.size) == 96
    assert community.logo_thumbnail.url in client.get(url("directory")).content.decode()


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png"),
            "Upload a valid image.",
        ),
        (
            SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            "Upload a valid image.",
        ),
    ],
    ids=["garbage", "svg"],
)
def test_a_bad_logo_is_a_form_error_and_keeps_the_other_fields(upload, message):
    client = client_for(UserFactory())

    response = client.post(CREATE_URL, community_data(name="Kept name", logo=upload))

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="Kept name"' in page
    assert not Community.objects.exists()


def parent_select(page):
    """The parent organization <select> of the community form (the navigation lists communities too)."""
    return re.search(r'<select name="parent".*?</select>', page, re.S).group(0)


def test_parent_choices_are_the_organizations_the_actor_owns():
    creator = UserFactory()
    mine = CommunityFactory(name="My hospital", kind=Community.Kind.ORGANIZATION, owner=creator)
    theirs = CommunityFactory(name="Their hospital", kind=Community.Kind.ORGANIZATION, owner=UserFactory())
    CommunityFactory(name="My study group", kind=Community.Kind.STUDY_GROUP, owner=creator)
    client = client_for(creator)

    page = parent_select(client.get(CREATE_URL).content.decode())
    assert "My hospital" in page and "Their hospital" not in page and "My study group" not in page

    response = client.post(CREATE_URL, community_data(parent=theirs.pk))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    response = client.post(CREATE_URL, community_data(parent=mine.pk))
    assert response.status_code == 302
    assert Community.objects.get(name="Night shift learners").parent == mine

    editor_page = parent_select(client_for(EditorFactory()).get(CREATE_URL).content.decode())
    assert "My hospital" in editor_page and "Their hospital" in editor_page


# --- Edit ----------------------------------------------------------------------------------------


def test_an_owner_edits_the_community():
    community = CommunityFactory(name="Old name", description="Old words", owner=UserFactory())
    client = client_for(owner_of(community))

    page = client.get(url("edit", slug=community.slug)).content.decode()
    assert 'value="Old name"' in page and "Old words" in page

    response = client.post(
        url("edit", slug=community.slug),
        community_data(name="New name", description="**New** words", join_policy="request", logo=png()),
    )

    assert response.status_code == 302 and response.url == community.get_absolute_url()
    community.refresh_from_db()
    assert (community.name, community.join_policy, community.slug) == ("New name", "request", community.slug)
    assert "<strong>New</strong>" in community.description_html
    assert community.logo_thumbnail


def test_an_edit_with_errors_keeps_the_saved_header_and_the_typed_text():
    owner = UserFactory()
    community = CommunityFactory(name="Saved name", owner=owner)

    response = client_for(owner).post(
        url("edit", slug=community.slug), community_data(name="x" * 200, description="Typed words")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Edit Saved name" in page
    assert "Ensure this value has at most 120 characters" in page
    assert "Typed words" in page
    community.refresh_from_db()
    assert community.name == "Saved name"


def test_an_organization_cannot_be_put_under_itself_or_its_own_community():
    owner = UserFactory()
    organization = CommunityFactory(kind=Community.Kind.ORGANIZATION, owner=owner)
    CommunityFactory(name="Child org", kind=Community.Kind.ORGANIZATION, parent=organization, owner=owner)
    other = CommunityFactory(name="Sister org", kind=Community.Kind.ORGANIZATION, owner=owner)
    client = client_for(owner)
    edit = url("edit", slug=organization.slug)

    page = parent_select(client.get(edit).content.decode())
    assert "Sister org" in page and "Child org" not in page
    for parent in (organization, Community.objects.get(name="Child org")):
        data = community_data(name=organization.name, kind="organization", parent=parent.pk)
        assert client.post(edit, data).status_code == 200
    assert client.post(edit, community_data(kind="organization", parent=other.pk)).status_code == 302


def test_removing_the_logo():
    owner = UserFactory()
    client = client_for(owner)
    client.post(CREATE_URL, community_data(logo=png()))
    community = Community.objects.get()
    assert "Remove the logo" in client.get(url("edit", slug=community.slug)).content.decode()

    client.post(url("edit", slug=community.slug), community_data(remove_logo="on"))

    community.refresh_from_db()
    assert not community.logo and not community.logo_thumbnail


# --- The members page ----------------------------------------------------------------------------


@pytest.fixture
def circle():
    owner = UserFactory(username="olga", display_name="Olga Owner")
    community = CommunityFactory(name="Reading circle", slug="reading-circle", owner=owner)
    return community, owner


def test_the_members_page_lists_requests_invitations_and_members(circle):
    community, owner = circle
    MembershipFactory(
        community=community, member=UserFactory(display_name="Rita Requester"), status="requested"
    )
    MembershipFactory(community=community, member=UserFactory(display_name="Ivan Invited"), status="invited")
    MembershipFactory(community=community, member=UserFactory(display_name="Mona Member"))
    Invitation.objects.create(community=community, email="stranger@example.org", token="t1", invited_by=owner)
    Invitation.objects.create(
        community=community, email="used@example.org", token="t2", accepted_at="2020-01-01T00:00Z"
    )

    page = client_for(owner).get(url("members", slug=community.slug)).content.decode()

    requests_section = page[page.index("Requests to join") : page.index("Invite people")]
    assert "Rita Requester" in requests_section and "Approve" in requests_section
    invitations = page[page.index("Pending invitations") : page.index('id="members-heading"')]
    assert "Ivan Invited" in invitations and "stranger@example.org" in invitations
    assert "used@example.org" not in page
    members = page[page.index('id="members-heading"') :]
    assert "Mona Member" in members and "Olga Owner" in members and "Rita Requester" not in members
    assert page.count("csrfmiddlewaretoken") >= 6


def test_an_unknown_username_is_shown_in_the_form_with_the_text_kept(circle):
    community, owner = circle

    response = client_for(owner).post(url("invite", slug=community.slug), {"invitees": "nobody-here"})

    page = response.content.decode()
    assert response.status_code == 200
    assert escape("No member is called “nobody-here”.") in page
    assert re.search(r'<textarea[^>]*name="invitees"[^>]*>\s*nobody-here</textarea>', page)
    assert "is-invalid" in page
    assert not Membership.objects.filter(status="invited").exists()


def test_inviting_an_existing_member_twice_is_a_form_error(circle):
    community, owner = circle
    member = MembershipFactory(community=community).member

    response = client_for(owner).post(url("invite", slug=community.slug), {"invitees": member.username})

    assert response.status_code == 200
    assert "is already in this community or invited." in response.content.decode()


def test_inviting_someone_who_asked_to_join_approves_them(circle):
    community, owner = circle
    requested = MembershipFactory(community=community, status="requested")

    response = client_for(owner).post(
        url("invite", slug=community.slug), {"invitees": requested.member.username}, follow=True
    )

    assert "had asked to join and is now a member." in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == "active"


def test_inviting_a_member_emails_them_a_link_to_the_community(
    circle, immediate_tasks, django_capture_on_commit_callbacks
):
    community, owner = circle
    guest = UserFactory(username="guest", email="guest@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(url("invite", slug=community.slug), {"invitees": "GUEST"})

    assert response.status_code == 302 and response.url == url("members", slug=community.slug)
    assert Membership.objects.get(community=community, member=guest).status == "invited"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["guest@example.org"]
    # The email's link leads the signed-in member to the community's page.
    link = MEMBER_INVITATION_LINK.search(mail.outbox[0].body).group(1)
    response = client_for(guest).get(link)
    assert response.status_code == 302 and response.url == community.get_absolute_url()

    page = client_for(guest).get(response.url).content.decode()
    assert "Olga Owner invited you to join this community." in page
    assert "Accept invitation" in page


def test_inviting_an_unknown_address_emails_a_sign_up_link(
    circle, immediate_tasks, django_capture_on_commit_callbacks
):
    community, owner = circle

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            url("invite", slug=community.slug), {"invitees": "  Newcomer@Example.org "}, follow=True
        )

    assert "An invitation to sign up has been sent to Newcomer@example.org." in response.content.decode()
    invitation = Invitation.objects.get(community=community)
    assert invitation.email == "Newcomer@example.org"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Newcomer@example.org"]
    assert "Reading circle" in message.subject
    path = INVITATION_PATH.search(message.body).group(1)
    assert path == invitation.get_absolute_url()

    page = Client().get(path).content.decode()
    signup = f"{reverse('account_signup')}?email=Newcomer%40example.org"
    assert f'href="{signup}"' in page
    assert f'href="{reverse("account_login")}?next={path.replace("/", "%2F")}"' in page
    # The sign-up page comes with the address filled in.
    signup_page = Client().get(signup).content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*value="Newcomer@example.org"', signup_page)


def test_an_owner_invites_many_people_at_once(circle, immediate_tasks, django_capture_on_commit_callbacks):
    community, owner = circle
    members = [UserFactory(username=f"colleague{n}", email=f"colleague{n}@example.org") for n in range(3)]
    requested = MembershipFactory(community=community, status="requested")
    pasted = (
        "colleague0, colleague1;colleague2\n"
        "Ada Lovelace <ada@example.org>, grace@example.org\n"
        f"{requested.member.username}\n"
        "COLLEAGUE0 ada@example.org"  # pasted twice: invited once
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            url("invite", slug=community.slug), {"invitees": pasted}, follow=True
        )

    page = response.content.decode()
    assert (
        "3 members invited. 2 invitations to sign up sent. 1 who had asked to join is now a member." in page
    )
    assert response.redirect_chain[-1][0] == url("members", slug=community.slug)
    statuses = dict(Membership.objects.filter(member__in=members).values_list("member__username", "status"))
    assert statuses == {"colleague0": "invited", "colleague1": "invited", "colleague2": "invited"}
    assert set(Invitation.objects.values_list("email", flat=True)) == {"ada@example.org", "grace@example.org"}
    requested.refresh_from_db()
    assert requested.status == "active"
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.org",
        "colleague0@example.org",
        "colleague1@example.org",
        "colleague2@example.org",
        "grace@example.org",
    ]


def test_the_ones_not_invited_stay_in_the_box_with_the_reason(circle):
    community, owner = circle
    UserFactory(username="known")
    already = MembershipFactory(community=community, member=UserFactory(display_name="Already Here")).member

    response = client_for(owner).post(
        url("invite", slug=community.slug),
        {"invitees": f"known, nobody-here, {already.username}, not-an-address@, fine@example.org"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 member invited. 1 invitation to sign up sent." in page
    box = re.search(r'<textarea[^>]*name="invitees"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box.split() == ["nobody-here", already.username, "not-an-address@"]
    assert escape("No member is called “nobody-here”.") in page
    assert "Already Here is already in this community or invited." in page
    assert escape("“not-an-address@” is not a valid email address.") in page
    assert not Invitation.objects.filter(email="not-an-address@").exists()
    assert Membership.objects.get(community=community, member__username="known").status == "invited"


def test_more_than_a_hundred_at_once_is_refused_whole_and_kept(circle):
    community, owner = circle
    pasted = "\n".join(f"person{n}@example.org" for n in range(101))

    response = client_for(owner).post(url("invite", slug=community.slug), {"invitees": pasted})

    page = response.content.decode()
    assert "That is 101 people: invite at most 100 at once." in page
    assert "person100@example.org" in page
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("pasted", "invitees"),
    [
        ("ada", ["ada"]),
        ("  ada  ,, bob ;\r\n\n carol  ", ["ada", "bob", "carol"]),
        ("ada bob\tcarol", ["ada", "bob", "carol"]),
        ('"Ada L." <ada@example.org>; Bob <bob@example.org>', ["ada@example.org", "bob@example.org"]),
        (
            "Ada Lovelace ada@example.org, bob\ncarol carol@example.org",
            ["ada@example.org", "bob", "carol@example.org"],
        ),
        ("ada, ADA, Ada@Example.org, ada@example.org", ["ada", "Ada@Example.org"]),
        (" ,;\n ", []),
    ],
)
def test_pasted_lists_are_split_into_usernames_and_addresses(pasted, invitees):
    assert split_invitees(pasted) == invitees


def test_an_owner_withdraws_a_mistyped_address_and_its_link_stops_working(circle):
    community, owner = circle
    invitation = services.invite(community=community, inviter=owner, username_or_email="ada@exmaple.org")
    members_page = client_for(owner).get(url("members", slug=community.slug)).content.decode()
    withdraw = url("withdraw_invitation", pk=invitation.pk)
    assert f'action="{withdraw}"' in members_page
    assert 'aria-label="Withdraw the invitation of ada@exmaple.org"' in members_page

    response = client_for(owner).post(withdraw, follow=True)

    page = response.content.decode()
    assert "The invitation of ada@exmaple.org was withdrawn." in page
    assert "ada@exmaple.org</span>" not in page
    assert not Invitation.objects.exists()
    assert Client().get(invitation.get_absolute_url()).status_code == 404
    event = community.membership_events.latest("pk")
    assert (event.action, event.actor) == ("invitation_withdrawn", owner)


def test_only_the_communitys_managers_withdraw_its_invitations(circle):
    community, owner = circle
    invitation = services.invite(community=community, inviter=owner, username_or_email="ada@example.org")
    member = MembershipFactory(community=community).member
    private_owner = UserFactory()
    private = CommunityFactory(visibility=Community.Visibility.PRIVATE, owner=private_owner)
    hidden = services.invite(community=private, inviter=private_owner, username_or_email="b@example.org")

    assert client_for(member).post(url("withdraw_invitation", pk=invitation.pk)).status_code == 403
    assert client_for(member).post(url("withdraw_invitation", pk=hidden.pk)).status_code == 404
    assert client_for(member).get(url("withdraw_invitation", pk=invitation.pk)).status_code == 405
    assert Invitation.objects.count() == 2


def invited_newcomer_journey(community, owner, capture):
    """Invitation email → sign-up with that address → confirmation email → press Confirm."""
    community.visibility = Community.Visibility.PRIVATE
    community.save()
    with capture(execute=True):
        client_for(owner).post(url("invite", slug=community.slug), {"invitees": "ada@example.org"})
    invitation_path = INVITATION_PATH.search(mail.outbox[0].body).group(1)
    mail.outbox.clear()

    visitor = Client()
    assert "Sign up" in visitor.get(invitation_path).content.decode()
    assert visitor.get(community.get_absolute_url()).status_code == 404  # still private to them
    with capture(execute=True):
        response = visitor.post(
            reverse("account_signup"),
            {"email": "ada@example.org", "username": "ada", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    ada = User.objects.get(username="ada")
    assert not Membership.objects.filter(member=ada).exists()  # not before the address is confirmed

    assert len(mail.outbox) == 1
    confirmation = CONFIRMATION_PATH.search(mail.outbox[0].body).group(1)
    return visitor, ada, visitor.post(confirmation, follow=True)


def test_the_invited_newcomer_signs_up_confirms_and_becomes_a_member(
    circle, immediate_tasks, django_capture_on_commit_callbacks
):
    community, owner = circle

    visitor, ada, response = invited_newcomer_journey(community, owner, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Welcome to Reading circle!" in response.content.decode()
    assert auth.get_user(visitor) == ada
    membership = Membership.objects.get(community=community, member=ada)
    assert (membership.status, membership.role, membership.invited_by) == ("active", "member", owner)
    assert Invitation.objects.get().accepted_by == ada
    page = visitor.get(community.get_absolute_url()).content.decode()
    assert "Leave" in page


def test_the_invited_newcomer_lands_on_the_community_page(
    circle, immediate_tasks, django_capture_on_commit_callbacks
):
    community, owner = circle

    _visitor, _ada, response = invited_newcomer_journey(community, owner, django_capture_on_commit_callbacks)

    assert response.redirect_chain[-1][0] == community.get_absolute_url()


def test_a_signed_in_member_with_the_invited_verified_address_accepts_on_the_landing_page(circle):
    community, owner = circle
    invitation = services.invite(community=community, inviter=owner, username_or_email="second@example.org")
    member = UserFactory(username="grace", email="grace@example.org")
    EmailAddress.objects.create(user=member, email="Second@Example.org", verified=True)
    client = client_for(member)

    page = client.get(invitation.get_absolute_url()).content.decode()
    assert "Accept the invitation" in page

    response = client.post(invitation.get_absolute_url())

    assert response.status_code == 302 and response.url == community.get_absolute_url()
    assert Membership.objects.get(community=community, member=member).status == "active"
    assert client.get(invitation.get_absolute_url()).content.decode().count("already been used") == 1


def test_an_unverified_or_other_address_cannot_accept_the_invitation(circle):
    community, owner = circle
    invitation = services.invite(community=community, inviter=owner, username_or_email="second@example.org")
    member = UserFactory(username="grace", email="grace@example.org")
    EmailAddress.objects.create(user=member, email="second@example.org", verified=False)
    client = client_for(member)

    page = client.get(invitation.get_absolute_url()).content.decode()
    assert "Accept the invitation" not in page
    assert "is not a confirmed address of your account" in page

    response = client.post(invitation.get_absolute_url(), follow=True)
    assert "This invitation was sent to another address" in response.content.decode()
    assert not Membership.objects.filter(community=community, member=member).exists()
    assert Invitation.objects.get().accepted_at is None

    response = Client().post(invitation.get_absolute_url())
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert Client().get(url("invitation", token="not-a-token")).status_code == 404


def test_approve_and_decline_requests(circle):
    community, owner = circle
    first = MembershipFactory(community=community, status="requested")
    second = MembershipFactory(community=community, status="requested")
    client = client_for(owner)

    response = client.post(url("approve", pk=first.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("members", slug=community.slug)
    assert "is now a member." in response.content.decode()
    first.refresh_from_db()
    assert (first.status, first.approved_by) == ("active", owner)

    response = client.post(url("decline", pk=second.pk), follow=True)
    assert "was declined." in response.content.decode()
    assert not Membership.objects.filter(pk=second.pk).exists()

    # Approving an active member, or declining one, changes nothing.
    response = client.post(url("decline", pk=first.pk), follow=True)
    assert "There is no pending request to decline." in response.content.decode()
    assert Membership.objects.filter(pk=first.pk, status="active").exists()


@pytest.mark.parametrize(
    "language, role, message",
    [
        ("en", Membership.Role.MODERATOR, "Lucía Mendoza is now a moderator."),
        ("en", Membership.Role.OWNER, "Lucía Mendoza is now an owner."),
        ("en", Membership.Role.MEMBER, "Lucía Mendoza is now a member."),
        ("es", Membership.Role.MODERATOR, "Lucía Mendoza ahora modera esta comunidad."),
        ("es", Membership.Role.OWNER, "Lucía Mendoza ahora es titular de esta comunidad."),
        ("es", Membership.Role.MEMBER, "Lucía Mendoza ahora es miembro de esta comunidad."),
    ],
)
def test_changing_a_role_says_what_the_member_now_is_in_a_sentence(circle, language, role, message):
    community, owner = circle
    lucia = MembershipFactory(
        community=community,
        member=UserFactory(display_name="Lucía Mendoza"),
        role=Membership.Role.MEMBER if role != Membership.Role.MEMBER else Membership.Role.MODERATOR,
    )
    client = client_for(owner, language=language)

    with translation.override(language):  # and back to English after the requests in Spanish
        community_page = client.get(community.get_absolute_url()).content.decode()
        manage_members = link(community_page, gettext("Manage members"), region="main")
        members_page = client.get(manage_members.href).content.decode()
        form = form_values(members_page, action=url("role", pk=lucia.pk))
        response = client.post(url("role", pk=lucia.pk), {**form, "role": role}, follow=True)

    assert message in response.content.decode()
    lucia.refresh_from_db()
    assert lucia.role == role


def test_withdrawing_an_invitation(circle):
    community, owner = circle
    invited = MembershipFactory(community=community, status="invited")

    response = client_for(owner).post(url("remove", pk=invited.pk), follow=True)

    assert "was withdrawn." in response.content.decode()
    assert not Membership.objects.filter(pk=invited.pk).exists()


def test_members_page_queries_do_not_grow_with_members(circle):
    """Guards a query per member row (avatar, name) and per pending request or invitation."""
    community, owner = circle
    client = client_for(owner)

    def count():
        return count_queries(client, url("members", slug=community.slug)).count

    MembershipFactory(community=community, status="requested")
    MembershipFactory(community=community, status="invited")
    MembershipFactory(community=community)
    Invitation.objects.create(community=community, email="a@example.org", token="a", invited_by=owner)
    small = count()
    for _ in range(10):
        MembershipFactory(community=community, status="requested")
        MembershipFactory(community=community, status="invited", invited_by=UserFactory())
        MembershipFactory(community=community)
    for number in range(5):
        Invitation.objects.create(community=community, email=f"x{number}@example.org", token=f"x{number}")
    assert count() == small


# --- The profile's communities -------------------------------------------------------------------------


def test_the_profile_lists_the_members_communities_private_ones_only_to_fellow_members():
    member = UserFactory(username="ada")
    public = CommunityFactory(name="Open circle")
    private = CommunityFactory(name="Closed ward", visibility=Community.Visibility.PRIVATE)
    requested = CommunityFactory(name="Pending circle")
    MembershipFactory(community=public, member=member, role=Membership.Role.MODERATOR)
    MembershipFactory(community=private, member=member)
    MembershipFactory(community=requested, member=member, status="requested")
    fellow = MembershipFactory(community=private).member
    profile = member.get_absolute_url()

    for visitor in (None, UserFactory()):
        client = client_for(visitor)
        page = client.get(profile).content.decode()
        assert "Open circle" in page and "Moderator" in page
        assert "Closed ward" not in page and "Pending circle" not in page
    for visitor in (fellow, member, EditorFactory()):
        page = client_for(visitor).get(profile).content.decode()
        assert "Open circle" in page and "Closed ward" in page and "Pending circle" not in page


def test_the_profiles_communities_cost_one_query_whatever_their_number():
    """Guards a query per community (name, logo) in the profile's communities section."""
    member = UserFactory()
    client = Client()

    def count():
        return count_queries(client, member.get_absolute_url()).count

    without = count()
    MembershipFactory(member=member)
    small = count()
    MembershipFactory.create_batch(8, member=member)
    assert count() == small == without


# --- The menu tag ------------------------------------------------------------------------------------


def render_menu(user):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load community_tags %}<ul>{% my_communities_menu %}</ul>").render(
        Context({"request": request})
    )


def test_the_menu_lists_the_members_communities_in_one_query(django_assert_num_queries):
    member = UserFactory()
    for name in ("Zebra circle", "Alpha circle"):
        MembershipFactory(member=member, community=CommunityFactory(name=name))
    MembershipFactory(member=member, community=CommunityFactory(name="Requested circle"), status="requested")

    with django_assert_num_queries(1):
        html = render_menu(member)

    assert html.index("Alpha circle") < html.index("Zebra circle")
    assert "Requested circle" not in html
    assert f'href="{url("directory")}"' in html and "All communities" in html
    assert f'href="{url("create")}"' in html


def test_the_menu_for_a_member_without_communities_and_for_staff_only_creation(settings):
    html = render_menu(UserFactory())
    assert "My communities" not in html and "All communities" in html and "Create a community" in html
    settings.COMMUNITY_CREATION_STAFF_ONLY = True
    assert "Create a community" not in render_menu(UserFactory())
    assert "Create a community" not in render_menu(AnonymousUser())


# --- Admin -----------------------------------------------------------------------------------------------


def test_the_admin_lists_communities_with_member_counts_memberships_and_invitations():
    owner = UserFactory()
    community = CommunityFactory(name="Admin circle", owner=owner)
    MembershipFactory.create_batch(2, community=community)
    MembershipFactory(community=community, status="requested")
    Invitation.objects.create(community=community, email="x@example.org", token="tok", invited_by=owner)
    admin = client_for(SuperuserFactory())

    page = admin.get(reverse("admin:accounts_community_changelist")).content.decode()
    assert "Admin circle" in page
    assert re.search(r'class="field-member_count">3<', page)
    assert admin.get(reverse("admin:accounts_community_change", args=[community.pk])).status_code == 200
    assert admin.get(reverse("admin:accounts_community_add")).status_code == 200
    page = admin.get(reverse("admin:accounts_membership_changelist"), {"q": community.name}).content.decode()
    assert "Admin circle" in page
    assert admin.get(reverse("admin:accounts_invitation_changelist")).status_code == 200
    invitation = Invitation.objects.get()
    assert admin.get(reverse("admin:accounts_invitation_change", args=[invitation.pk])).status_code == 200
    assert admin.get(reverse("admin:accounts_invitation_add")).status_code == 403


def test_the_admin_refuses_a_reserved_slug_and_a_bad_logo():
    admin = client_for(SuperuserFactory())
    data = {
        "name": "New",
        "slug": "new",
        "description": "",
        "kind": "practice",
        "visibility": "public",
        "join_policy": "open",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "logo": SimpleUploadedFile("logo.png", b"not an image"),
    }

    response = admin.post(reverse("admin:accounts_community_add"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "is reserved for the site" in page
    assert "Upload a valid image." in page
    assert not Community.objects.exists()
