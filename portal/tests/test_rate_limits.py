"""Rate limits: django-allauth's (sign-in, sign-up, password reset, email confirmation, password change)
and the portal's own (search, invitations, flags), each hit and answered with a clear message.

portal/settings_test.py turns allauth's and the portal's limits off for the
rest of the suite; these tests turn the production values (portal/settings.py)
back on. Comments
are limited per member by the discussion settings: see
comments/tests/test_spam_defenses.py (per minute and per day, text kept).
"""

import re
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib import auth
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation
from comments.models import CommentFlag
from core import ratelimit
from portal import settings as production
from testing.clients import client_for
from testing.factories import PASSWORD, CommentFactory, CommunityFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_limits(settings):
    """allauth's limits as in production."""
    settings.ACCOUNT_RATE_LIMITS = production.ACCOUNT_RATE_LIMITS
    return production.ACCOUNT_RATE_LIMITS


@pytest.fixture(autouse=True)
def portal_limits(settings, monkeypatch):
    """The portal's own limits as in production (the suite's settings turn them off).

    Their counters' clock stands still during a test: the windows are fixed, and
    a test that crossed a window's end would start counting again from zero.
    """
    settings.PORTAL_RATE_LIMITS = production.PORTAL_RATE_LIMITS
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    return production.PORTAL_RATE_LIMITS


def from_address(address):
    return Client(REMOTE_ADDR=address)


def assert_429_page(response):
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many requests" in content
    assert "Wait a minute, then try again." in content
    assert 'class="navbar' in content, "the site's own page, not a bare error"


# --- django-allauth ---------------------------------------------------------------------


def test_the_production_limits_are_configured():
    limits = production.ACCOUNT_RATE_LIMITS
    for action in ("login", "login_failed", "signup", "reset_password", "confirm_email", "change_password"):
        assert limits.get(action), action
    for name in ("search", "invite", "flag"):
        count, seconds = production.PORTAL_RATE_LIMITS[name]
        assert count > 0 and seconds > 0, name


def test_failed_sign_ins_lock_the_account_for_a_while(client, rate_limits):
    UserFactory(username="ada")
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "ada", "password": "wrong guess"})
        assert "The username and/or password you specified are not correct." in response.content.decode()
    response = client.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not auth.get_user(client).is_authenticated, "even the right password waits"


def test_failed_sign_ins_of_one_account_do_not_lock_another(client, rate_limits):
    UserFactory(username="ada")
    UserFactory(username="bo")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "ada", "password": "wrong guess"})
    response = client.post(reverse("account_login"), {"login": "bo", "password": PASSWORD})
    assert response.status_code == 302
    assert auth.get_user(client).username == "bo"


def test_sign_in_attempts_per_address(rate_limits, settings):
    amount = int(rate_limits["login"].split("/")[0])
    client = from_address("203.0.113.7")
    for n in range(amount):
        response = client.post(reverse("account_login"), {"login": f"nobody{n}", "password": "x"})
        assert response.status_code == 200, n
    assert_429_page(client.post(reverse("account_login"), {"login": "nobody", "password": "x"}))
    # Another address is not affected.
    other = from_address("198.51.100.9")
    assert other.post(reverse("account_login"), {"login": "nobody", "password": "x"}).status_code == 200


def test_sign_ups_per_address(rate_limits):
    amount = int(rate_limits["signup"].split("/")[0])
    client = from_address("203.0.113.8")
    for n in range(amount):
        assert client.post(reverse("account_signup"), {"username": f"x{n}"}).status_code == 200
    assert_429_page(
        client.post(
            reverse("account_signup"),
            {
                "email": "late@example.org",
                "username": "late",
                "password1": "A-long pass 42",
                "password2": "A-long pass 42",
            },
        )
    )
    assert not auth.get_user_model().objects.filter(username="late").exists()


def test_password_reset_emails_per_address_are_limited(client, rate_limits):
    UserFactory(username="ada", email="ada@example.org")
    amount = int(rate_limits["reset_password"].split(",")[1].split("/")[0])
    for _ in range(amount):
        response = client.post(reverse("account_reset_password"), {"email": "ada@example.org"})
        assert response.status_code == 302
    assert len(mail.outbox) == amount
    assert_429_page(client.post(reverse("account_reset_password"), {"email": "ada@example.org"}))
    assert len(mail.outbox) == amount, "no more mail to the same inbox"


def _sign_up(client, username="grace"):
    return client.post(
        reverse("account_signup"),
        {
            "email": f"{username}@example.org",
            "username": username,
            "password1": "Learning-in-the-open 42",
            "password2": "Learning-in-the-open 42",
        },
    )


def test_confirmation_emails_are_not_resent_at_once(client, rate_limits):
    """Trying to sign in before confirming sends the confirmation again, but not within the cooldown."""
    assert _sign_up(client).status_code == 302
    assert len(mail.outbox) == 1
    response = client.post(
        reverse("account_login"), {"login": "grace", "password": "Learning-in-the-open 42"}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1, "a second confirmation email right away is not sent"


def test_without_the_limit_the_confirmation_would_be_resent(client, settings):
    """The test above could fail: with no limit, the same sign-in sends a second email."""
    settings.ACCOUNT_RATE_LIMITS = False
    _sign_up(client)
    client.post(reverse("account_login"), {"login": "grace", "password": "Learning-in-the-open 42"})
    assert len(mail.outbox) == 2


def test_password_changes_per_member(client, rate_limits):
    member = UserFactory()
    client.force_login(member)
    amount = int(rate_limits["change_password"].split("/")[0])
    for _ in range(amount):
        response = client.post(
            reverse("account_change_password"), {"oldpassword": "wrong", "password1": "x", "password2": "x"}
        )
        assert response.status_code == 200
    assert_429_page(
        client.post(
            reverse("account_change_password"), {"oldpassword": "wrong", "password1": "x", "password2": "x"}
        )
    )


# --- Search ------------------------------------------------------------------------------


def test_searches_per_address_get_a_429_page_that_says_so():
    PostFactory(title="Reflection in practice")
    amount, seconds = settings.PORTAL_RATE_LIMITS["search"]
    client = from_address("203.0.113.10")
    for n in range(amount):
        # A different query each time: the anonymous page cache would answer a repeated one.
        response = client.get(reverse("search"), {"q": f"reflection {n}"})
        assert response.status_code == 200, n
    response = client.get(reverse("search"), {"q": "reflection again"})
    assert_429_page(response)
    assert response["Retry-After"] == str(seconds)
    assert "no-cache" in response["Cache-Control"]
    # A visitor elsewhere still searches.
    other = from_address("198.51.100.10")
    assert other.get(reverse("search"), {"q": "reflection again"}).status_code == 200


def test_the_empty_search_page_does_not_count():
    amount, _seconds = settings.PORTAL_RATE_LIMITS["search"]
    client = from_address("203.0.113.11")
    for _ in range(amount + 5):
        assert client.get(reverse("search")).status_code == 200


def test_searches_per_member_count_for_the_member_not_the_address(client):
    amount, _seconds = settings.PORTAL_RATE_LIMITS["search"]
    member = UserFactory()
    client.force_login(member)
    for n in range(amount):
        assert client.get(reverse("search"), {"q": f"word{n}"}).status_code == 200
    assert_429_page(client.get(reverse("search"), {"q": "one more"}))
    other = client_for(UserFactory())  # same address (the test client's), another member
    assert other.get(reverse("search"), {"q": "one more"}).status_code == 200


# --- Invitations --------------------------------------------------------------------------


def test_invitations_per_inviter_and_hour_keep_what_was_typed(client):
    owner = UserFactory()
    community = CommunityFactory(owner=owner)
    second = CommunityFactory(owner=owner)
    client.force_login(owner)
    amount, _seconds = settings.PORTAL_RATE_LIMITS["invite"]
    for n in range(amount):
        target = community if n % 2 else second  # the limit is per inviter, across communities
        response = client.post(
            reverse("communities:invite", kwargs={"slug": target.slug}),
            {"invitees": f"friend{n}@example.org"},
        )
        assert response.status_code == 302, n
    response = client.post(
        reverse("communities:invite", kwargs={"slug": community.slug}),
        {"invitees": "one-more@example.org"},
    )
    content = response.content.decode()
    assert (
        f"You have sent {amount} invitations in the last hour, the most allowed. Try again later." in content
    )
    assert re.search(r"<textarea[^>]*>\s*one-more@example.org</textarea>", content), "the address is kept"
    assert not Invitation.objects.filter(email="one-more@example.org").exists()
    assert Invitation.objects.count() == amount

    # Another owner still invites.
    other_owner = UserFactory()
    third = CommunityFactory(owner=other_owner)
    other = client_for(other_owner)
    response = other.post(
        reverse("communities:invite", kwargs={"slug": third.slug}),
        {"invitees": "one-more@example.org"},
    )
    assert response.status_code == 302


# --- Flags -------------------------------------------------------------------------------


def test_flags_per_member_and_hour():
    amount, _seconds = settings.PORTAL_RATE_LIMITS["flag"]
    post = PostFactory()
    comments = [CommentFactory(post=post) for _ in range(amount + 1)]
    member = UserFactory()
    client = client_for(member)
    for comment in comments[:amount]:
        response = client.post(
            reverse("comments:flag", kwargs={"comment_id": comment.pk}), {"reason": "spam"}
        )
        assert response.status_code == 302
    response = client.post(
        reverse("comments:flag", kwargs={"comment_id": comments[-1].pk}), {"reason": "spam"}, follow=True
    )
    assert f"You have flagged {amount} comments recently, the most allowed." in response.content.decode()
    assert CommentFlag.objects.filter(flagged_by=member).count() == amount
    assert not CommentFlag.objects.filter(comment=comments[-1]).exists()
