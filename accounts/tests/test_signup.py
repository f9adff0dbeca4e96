"""The allauth journey through the real views: sign up, confirm, sign out, sign in."""

import re
from email.utils import parseaddr

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import auth
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from testing.pages import link

pytestmark = pytest.mark.django_db

PASSWORD = "Learning-in-the-open 42"
CONFIRMATION_PATH = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")


def sign_up(client, *, username="grace", email="grace@example.org"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )


def sign_in(client, login, password=PASSWORD, **kwargs):
    return client.post(reverse("account_login"), {"login": login, "password": password}, **kwargs)


def confirmation_path(message):
    match = CONFIRMATION_PATH.search(message.body)
    assert match, f"No confirmation link in the email body:\n{message.body}"
    return match.group(1)


def test_sign_up_confirm_email_then_sign_out_and_back_in(client):
    response = sign_up(client)

    # Signed up but not signed in: the member is asked to check their email.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    page = client.get(response.url)
    assert "Verify Your Email Address" in page.content.decode()
    assert not auth.get_user(client).is_authenticated
    user = User.objects.get(username="grace")
    assert not EmailAddress.objects.get(user=user).verified

    # The confirmation email carries a link to the confirmation page.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["grace@example.org"]
    assert message.subject.startswith(f"[{settings.PORTAL_NAME}] ")
    assert f"Hello from {settings.PORTAL_NAME}!" in message.body
    path = confirmation_path(message)

    # Opening the link does not confirm by itself (ACCOUNT_CONFIRM_EMAIL_ON_GET=False)...
    page = client.get(path)
    content = page.content.decode()
    assert page.status_code == 200
    assert "Confirm Email Address" in content
    assert "grace@example.org" in content
    assert re.search(
        r'<button[^>]*type="submit"[^>]*class="btn btn-primary"[^>]*>\s*Confirm\s*</button>', content
    )
    assert not EmailAddress.objects.get(user=user).verified

    # ...pressing the button does, and signs the member in.
    page = client.post(path, follow=True)
    content = page.content.decode()
    assert EmailAddress.objects.get(user=user).verified
    assert auth.get_user(client) == user
    assert "You have confirmed grace@example.org." in content
    assert "Sign out" in content

    # Sign out with a POST.
    page = client.post(reverse("account_logout"), follow=True)
    assert not auth.get_user(client).is_authenticated
    assert "You have signed out." in page.content.decode()

    # Sign in with the username...
    page = sign_in(client, "grace", follow=True)
    assert auth.get_user(client) == user
    assert "Successfully signed in as grace." in page.content.decode()
    client.post(reverse("account_logout"))
    assert not auth.get_user(client).is_authenticated

    # ...and with the email address.
    page = sign_in(client, "grace@example.org", follow=True)
    assert auth.get_user(client) == user
    assert "Successfully signed in as grace." in page.content.decode()


def test_wrong_password_shows_an_error_and_keeps_the_username(client):
    sign_up(Client(), username="grace")
    EmailAddress.objects.filter(user__username="grace").update(verified=True)

    response = sign_in(client, "grace", password="not my password")

    content = response.content.decode()
    assert response.status_code == 200
    assert "The username and/or password you specified are not correct." in content
    assert 'class="alert alert-block alert-danger"' in content
    assert re.search(r'<input[^>]*name="login"[^>]*value="grace"', content)
    # The password is not echoed back.
    assert "not my password" not in content
    assert not auth.get_user(client).is_authenticated


def test_sign_up_errors_are_shown_beside_the_fields(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "username": "grace", "password1": PASSWORD, "password2": "different"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in content
    assert "You must type the same password each time." in content
    assert "invalid-feedback" in content
    assert re.search(r'<input[^>]*name="username"[^>]*value="grace"', content)
    assert not User.objects.filter(username="grace").exists()


def test_sign_in_before_confirming_the_email_is_refused(client):
    sign_up(Client(), username="grace")
    mail.outbox.clear()

    response = sign_in(client, "grace", follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    assert "Verify Your Email Address" in response.content.decode()
    assert not auth.get_user(client).is_authenticated
    # A fresh confirmation email is sent.
    assert len(mail.outbox) == 1
    assert confirmation_path(mail.outbox[0])


CONTACT = "help@learn.example.org"
WRITE_TO_US = f'Write to us at <a href="mailto:{CONTACT}">{CONTACT}</a>.'


def test_the_check_your_email_page_says_where_to_write_if_nothing_arrives(client, settings):
    settings.PORTAL_CONTACT_EMAIL = CONTACT

    page = client.get(sign_up(client).url).content.decode()

    assert "Verify Your Email Address" in page
    assert WRITE_TO_US in page
    assert "contact us" not in page.lower()  # allauth's text, with no address anywhere
    assert link(page, CONTACT, region="footer").href == f"mailto:{CONTACT}"


def test_the_password_reset_pages_say_where_to_write(client, settings):
    settings.PORTAL_CONTACT_EMAIL = CONTACT

    form_page = client.get(reverse("account_reset_password")).content.decode()
    done_page = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"}, follow=True)

    assert f"Any trouble resetting your password? {WRITE_TO_US}" in form_page
    assert WRITE_TO_US in done_page.content.decode()
    for page in (form_page, done_page.content.decode()):
        assert "contact us" not in page.lower()


def test_the_check_your_email_page_in_spanish(settings):
    settings.PORTAL_CONTACT_EMAIL = CONTACT
    client = Client()
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "es"})

    with translation.override("en"):  # back to English after the requests in Spanish
        page = client.get(sign_up(client).url).content.decode()

    assert "Confirma tu dirección de correo" in page
    assert f'Escríbenos a <a href="mailto:{CONTACT}">{CONTACT}</a>.' in page
    assert "Contacto:" in page


def test_the_contact_address_defaults_to_the_address_emails_come_from(settings):
    assert parseaddr(settings.DEFAULT_FROM_EMAIL)[1] == settings.PORTAL_CONTACT_EMAIL
    page = Client().get(reverse("account_login")).content.decode()
    assert link(page, settings.PORTAL_CONTACT_EMAIL, region="footer")


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_entrance_pages_use_the_site_layout(client, url_name):
    response = client.get(reverse(url_name))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="main"' in content  # The site's base.html...
    assert "site-footer" in content
    assert 'name="robots" content="noindex"' in content
    assert "<h1 class=" in content  # ...with allauth's pages styled by the element templates.


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "account_logout"])
def test_account_management_pages_use_the_site_layout(client, url_name):
    user = User.objects.create_user("grace", "grace@example.org", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    client.force_login(user)

    response = client.get(reverse(url_name))

    content = response.content.decode()
    assert response.status_code == 200
    assert "site-footer" in content
    assert 'class="btn btn-' in content


def test_password_reset_from_the_emailed_link(client):
    sign_up(Client(), username="grace")
    EmailAddress.objects.filter(user__username="grace").update(verified=True)
    mail.outbox.clear()

    page = client.post(reverse("account_reset_password"), {"email": "grace@example.org"}, follow=True)
    assert "We have sent you an email." in page.content.decode()
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    reset_path = match.group(1)

    page = client.get(reset_path, follow=True)  # allauth moves the key out of the URL.
    content = page.content.decode()
    assert "Change Password" in content
    assert 'class="passwordinput form-control"' in content
    new_password = "A new way of learning 7"
    page = client.post(
        page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}, follow=True
    )
    assert "Your password is now changed." in page.content.decode()
    assert User.objects.get(username="grace").check_password(new_password)
