"""Invitation emails are written like the site's other emails, and their link works signed out.

They used to be one unstyled line: no greeting, no ``lang``, nothing about the
site, no "ignore this if unexpected", no "[<site>]" subject prefix; and a
member's link opened the community page, a 404 for a signed-out reader of a
private community and silent about the invitation otherwise. Now: the layout of
``templates/email/`` (HTML and text, in the recipient's language), a greeting by
name, what the community and the site are, why the email came; a member's link
explains the invitation to a signed-out reader and signs them in back to the
community's page, where they accept.
"""

import re

import pytest
from django.contrib import auth
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Community, Membership
from testing.clients import client_for
from testing.factories import PASSWORD, CommunityFactory, UserFactory
from testing.mail import html_of, inbox
from testing.pages import form_values, link

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/communities/invitation/[^\s]+/)")


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Run enqueued tasks at once, as the worker would (the test settings only record them)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def ward():
    owner = UserFactory(username="olga", display_name="Olga Owner")
    community = CommunityFactory(
        name="Night ward",
        slug="night-ward",
        description="We *hand over* at the bedside, & learn from it.",
        visibility=Community.Visibility.PRIVATE,
        join_policy=Community.JoinPolicy.INVITATION,
        owner=owner,
    )
    return community, owner


def invite(owner, community, invitee, capture, language="en"):
    """The owner invites from the members page, as on the site; the email task runs on commit."""
    client = client_for(owner, language=language)
    action = reverse("communities:invite", kwargs={"slug": community.slug})
    page = client.get(reverse("communities:members", kwargs={"slug": community.slug})).content.decode()
    with capture(execute=True):
        client.post(action, {**form_values(page, action=action), "invitees": invitee})


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", fragment).split())


@pytest.mark.parametrize(
    "language, subject, greeting, ignore, about",
    [
        (
            "en",
            "[Learning Together] Olga Owner invites you to join Night ward",
            "Hello Ada Lovelace,",
            "If you did not expect it, you can ignore it: nothing happens unless you accept.",
            "About Learning Together:",
        ),
        (
            "es",
            "[Learning Together] Olga Owner te invita a unirte a Night ward",
            "Hola, Ada Lovelace:",
            "Si no la esperabas, puedes ignorarla: no pasa nada a menos que la aceptes.",
            "Sobre Learning Together:",
        ),
    ],
)
def test_a_members_invitation_greets_them_and_says_what_and_why_in_their_language(
    ward, django_capture_on_commit_callbacks, language, subject, greeting, ignore, about
):
    community, owner = ward
    ada = UserFactory(username="ada", display_name="Ada Lovelace", language=language)

    invite(owner, community, "ada", django_capture_on_commit_callbacks)

    (message,) = inbox(ada)
    assert message.subject == subject
    page = html_of(message)
    assert f'<html lang="{language}">' in page
    assert message.body.startswith(f"{greeting}\n")
    for body in (message.body, text_of(page)):
        assert greeting in body
        assert "Olga Owner" in body and "Night ward" in body
        assert "We hand over at the bedside, & learn from it." in body.replace("&amp;", "&")
        assert ignore in body and about in body
        assert "ada@example.org" in body  # to whom it was sent
    link_path = LINK.search(message.body).group(1)
    assert f'href="http://127.0.0.1:8000{link_path}"' in page  # the button: the same link
    assert "Message-ID" in message.extra_headers  # core.mail.set_message_id, kept


def test_a_signed_out_invitee_follows_the_link_signs_in_and_accepts(ward, django_capture_on_commit_callbacks):
    community, owner = ward
    ada = UserFactory(username="ada", display_name="Ada Lovelace")
    invite(owner, community, "ada", django_capture_on_commit_callbacks)
    link_path = LINK.search(inbox(ada)[0].body).group(1)
    phone = client_for()  # a phone's mail app: not signed in

    landing = phone.get(link_path)

    assert landing.status_code == 200
    page = landing.content.decode()
    assert "Olga Owner invites you to join Night ward on Learning Together." in text_of(page)
    assert "Sign in as ada" in text_of(page)
    sign_in = link(page, "Sign in to answer", region="main")
    assert sign_in.href == f"{reverse('account_login')}?next=%2Fcommunities%2Fnight-ward%2F"

    login_page = phone.get(sign_in.href).content.decode()
    fields = {**form_values(login_page), "login": "ada", "password": PASSWORD}
    response = phone.post(sign_in.href, fields, follow=True)

    assert auth.get_user(phone) == ada
    assert response.redirect_chain[-1][0] == community.get_absolute_url()
    page = response.content.decode()
    assert "Olga Owner invited you to join this community." in page
    accept = reverse("communities:accept", kwargs={"pk": Membership.objects.get(member=ada).pk})
    response = phone.post(accept, form_values(page, action=accept), follow=True)
    assert "Welcome to Night ward!" in response.content.decode()
    assert Membership.objects.get(member=ada).status == Membership.Status.ACTIVE


def test_the_link_sends_the_signed_in_invitee_to_the_community_and_explains_itself_to_others(
    ward, django_capture_on_commit_callbacks
):
    community, owner = ward
    ada = UserFactory(username="ada")
    invite(owner, community, "ada", django_capture_on_commit_callbacks)
    link_path = LINK.search(inbox(ada)[0].body).group(1)

    response = client_for(ada).get(link_path)
    assert response.status_code == 302 and response.url == community.get_absolute_url()

    # Someone else signed in (a shared computer): whose invitation it is, and a way to switch.
    page = client_for(UserFactory()).get(link_path).content.decode()
    assert "This invitation is for the account ada" in text_of(page)
    assert f'action="{reverse("account_logout")}"' in page and "csrfmiddlewaretoken" in page

    # Answered since: it says so, and the link is no key to the community.
    services.invitation_accept(membership=Membership.objects.get(member=ada), member=ada)
    assert "This invitation has already been accepted." in client_for().get(link_path).content.decode()
    services.membership_leave(community=community, member=ada)
    page = client_for().get(link_path).content.decode()
    assert "This invitation is no longer open" in page and "Night ward" not in page

    # A link not signed by the site is nothing.
    forged = link_path.replace(link_path.rsplit("/", 2)[1], "WzEsMl0:forged:signature")
    assert client_for().get(forged).status_code == 404
    assert client_for().post(link_path).status_code == 405


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_address_invitation_greets_without_a_name_and_leads_to_sign_up(
    ward, django_capture_on_commit_callbacks, language
):
    community, owner = ward

    invite(owner, community, "newcomer@example.org", django_capture_on_commit_callbacks, language=language)

    (message,) = inbox("newcomer@example.org")
    assert message.subject.startswith("[Learning Together] Olga Owner ")
    page = html_of(message)
    assert f'<html lang="{language}">' in page
    assert message.body.startswith({"en": "Hello,\n", "es": "Hola:\n"}[language])
    link_path = LINK.search(message.body).group(1)
    landing = client_for().get(link_path).content.decode()
    assert reverse("account_signup") in landing  # sign up there with the address


def test_names_in_the_email_are_escaped_and_the_subject_is_one_line(django_capture_on_commit_callbacks):
    owner = UserFactory(display_name='<img src=x onerror="alert(1)">\nOlga')
    community = CommunityFactory(name="<b>Ward</b> & co", owner=owner)
    ada = UserFactory(username="ada")

    invite(owner, community, "ada", django_capture_on_commit_callbacks)

    (message,) = inbox(ada)
    assert "\n" not in message.subject and "<b>Ward</b> & co" in message.subject
    page = html_of(message)
    assert "<img" not in page and "<b>Ward" not in page
    assert "&lt;img src=x" in page and "&lt;b&gt;Ward&lt;/b&gt; &amp; co" in page
    assert len(mail.outbox) == 1
