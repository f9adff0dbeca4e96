"""Sign-in security: a new session key at sign-in, other sessions end when the password changes or is reset,
and sign-in, sign-up and password reset never tell whether an address or account exists.

Through the real allauth views with the test client; mail is django's locmem outbox.
"""

import re
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "A brand-new passphrase 77"
RESET_PATH = re.compile(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)")


def session_store() -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore()


def sign_in(client, login="ada", password=PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def is_signed_in(client):
    client.get(reverse("blog:home"))  # a request, so the session is checked again
    return auth.get_user(client).is_authenticated


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.org")


# --- The session key changes at sign-in ------------------------------------------------


def test_signing_in_rotates_the_session_key(client, ada):
    """A session id planted before sign-in (session fixation) is worth nothing after it."""
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = sign_in(client)
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert auth.get_user(client) == ada
    assert not session_store().exists(before), "the old session is deleted, not just abandoned"

    # A second client holding the planted id is not signed in.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = before
    assert not is_signed_in(attacker)


def test_signing_out_ends_the_session_on_the_server(client, ada):
    sign_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))
    assert not session_store().exists(key)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not is_signed_in(replay)


# --- Other sessions end when the password changes --------------------------------------


def test_changing_the_password_signs_out_every_other_session(ada):
    laptop, phone = Client(), Client()
    assert sign_in(laptop).status_code == 302
    assert sign_in(phone).status_code == 302
    assert is_signed_in(laptop) and is_signed_in(phone)

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_signed_in(laptop), "the session that changed the password stays signed in"
    assert not is_signed_in(phone), "another session with the old password is signed out"
    assert sign_in(Client(), password=PASSWORD).status_code == 200, "the old password no longer works"
    assert sign_in(Client(), password=NEW_PASSWORD).status_code == 302


def test_resetting_the_password_signs_out_every_session(ada):
    stolen = Client()
    assert sign_in(stolen).status_code == 302
    assert is_signed_in(stolen)

    owner = Client()
    response = owner.post(reverse("account_reset_password"), {"email": "ada@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = RESET_PATH.search(mail.outbox[0].body).group(1)
    form = owner.get(link, follow=True)
    assert form.status_code == 200
    response = owner.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert not is_signed_in(stolen), "a session opened with the old password ends"
    assert sign_in(Client(), password=NEW_PASSWORD).status_code == 302


# --- No enumeration ---------------------------------------------------------------------


def _sign_up(client, *, username, email):
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_sign_up_with_a_taken_email_looks_the_same_and_mails_the_owner(ada):
    known = _sign_up(Client(), username="someone", email="ada@example.org")
    unknown = _sign_up(Client(), username="someone-else", email="nobody@example.org")

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("account_email_verification_sent")
    page_known = Client().get(known.url).content.decode()
    assert "already" not in page_known.lower()
    assert not User.objects.filter(username="someone").exists(), "no second account for the address"

    # The owner of the taken address is told by email; the new address gets its confirmation.
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"ada@example.org", "nobody@example.org"}
    assert "already" in by_recipient["ada@example.org"].body.lower()


def test_the_sign_up_form_never_says_an_email_is_taken(ada):
    """Even with the form otherwise wrong, the error for the email field does not reveal the account."""
    response = Client().post(
        reverse("account_signup"),
        {"email": "ada@example.org", "username": "someone", "password1": "x", "password2": "y"},
    )
    content = response.content.decode().lower()
    assert response.status_code == 200
    assert "already registered" not in content and "already exists" not in content and "in use" not in content


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(ada):
    known = Client().post(reverse("account_reset_password"), {"email": "ada@example.org"})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    done_known = Client().get(known.url).content.decode()
    done_unknown = Client().get(unknown.url).content.decode()
    assert done_known == done_unknown
    # The known address gets a reset link; the unknown one only a note that no account uses it.
    by_recipient = {message.to[0]: message.body for message in mail.outbox}
    assert RESET_PATH.search(by_recipient["ada@example.org"])
    assert not RESET_PATH.search(by_recipient["nobody@example.org"])


def test_sign_in_errors_do_not_tell_a_wrong_password_from_an_unknown_member(ada):
    wrong_password = sign_in(Client(), login="ada", password="not the password").content.decode()
    unknown_member = sign_in(Client(), login="nobody", password="not the password").content.decode()
    message = "The username and/or password you specified are not correct."
    assert message in wrong_password and message in unknown_member
    wrong_by_email = sign_in(Client(), login="ada@example.org", password="nope").content.decode()
    unknown_email = sign_in(Client(), login="nobody@example.org", password="nope").content.decode()
    assert ("not correct" in wrong_by_email) and ("not correct" in unknown_email)
    assert "does not exist" not in unknown_email.lower() and "not assigned" not in unknown_email.lower()
