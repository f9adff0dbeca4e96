"""The weekly digest: who gets one, what it lists, the unsubscribe link, and never twice a week.

Tests run with the dummy task backend: ``send_digests`` enqueues, then the
tests run the queued tasks themselves, as the worker would.
"""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import default_task_backend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from blog import services
from blog.models import Post
from blog.tasks import send_digest
from testing.clients import client_for
from testing.factories import (
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)

pytestmark = pytest.mark.django_db
WEEKLY = User.Digest.WEEKLY
NONE = User.Digest.NONE


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture(autouse=True)
def queue():
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def queued_member_ids(queue):
    return sorted(result.args[0] for result in queue.results if result.task.func is send_digest.func)


def run_queue(queue):
    """Run every queued digest task as the worker would; returns how many emails they sent."""
    sent = sum(result.task.call(*result.args, **result.kwargs) for result in queue.results)
    queue.clear()
    return sent


def weekly_member(username, **kwargs):
    return UserFactory(username=username, digest=WEEKLY, **kwargs)


@pytest.fixture
def reader():
    """A weekly member who follows the individual learning category."""
    member = weekly_member("reader")
    services.follow(follower=member, target=individual_learning())
    return member


# --- Who gets one -----------------------------------------------------------------------------


def test_the_command_enqueues_one_task_per_member_due_a_digest(queue):
    never = weekly_member("never")
    last_week = weekly_member("last-week")
    User.objects.filter(pk=last_week.pk).update(digest_sent_at=days_ago(8))
    recent = weekly_member("recent")
    User.objects.filter(pk=recent.pk).update(digest_sent_at=days_ago(3))
    UserFactory(username="no-digest")
    weekly_member("inactive", is_active=False)
    weekly_member("no-address", email="")

    call_command("send_digests", stdout=mock.Mock())

    assert queued_member_ids(queue) == sorted([never.pk, last_week.pk])


# --- What it lists ----------------------------------------------------------------------------


def test_the_email_lists_the_weeks_posts_from_what_the_member_follows(queue):
    member = weekly_member("reader", display_name="Rea Der")
    writer = UserFactory(display_name="Wendy Writer")
    circle = CommunityFactory(name="Reading circle", owner=UserFactory())
    private_circle = CommunityFactory(owner=UserFactory())
    for target in (individual_learning(), writer, circle):
        services.follow(follower=member, target=target)
    PostFactory(
        title="Networks (tag)",
        categories=[organizational_learning()],
        tags=["networks"],
        publish_at=days_ago(4),
    )
    services.follow(follower=member, target=Post.objects.get(title="Networks (tag)").tags.get())
    org = [organizational_learning()]
    PostFactory(title="In the category", publish_at=days_ago(2))
    PostFactory(title="By the writer", categories=org, author=writer, publish_at=days_ago(3))
    PostFactory(title="In the circle", categories=org, community=circle, publish_at=days_ago(1))
    PostFactory(title="Members of the circle", categories=org, community=circle, visibility="members")
    PostFactory(title="Not followed", categories=org)
    PostFactory(title="Too old", publish_at=days_ago(8))
    PostFactory(title="My own post", author=member)
    PostFactory(title="A draft", status=Post.Status.DRAFT)
    PostFactory(title="Scheduled", publish_at=timezone.now() + timedelta(days=1))
    PostFactory(title="Hidden inside", community=private_circle, visibility="members", author=writer)

    call_command("send_digests", stdout=mock.Mock())
    assert run_queue(queue) == 1

    [email] = mail.outbox
    assert email.to == [member.email]
    assert email.subject == "[Learning Together] Your weekly digest: 4 new posts from what you follow"
    html = email.alternatives[0][0]
    listed = ["In the circle", "In the category", "By the writer", "Networks (tag)"]
    for text in (email.body, html):
        assert "Hello Rea Der" in text
        for title in listed:
            assert title in text
        for title in (
            "Members of the circle",
            "Not followed",
            "Too old",
            "My own post",
            "A draft",
            "Scheduled",
            "Hidden inside",
        ):
            assert title not in text
        assert "http://testserver" not in text
        assert reverse("accounts:edit_profile") in text
    # Newest first.
    assert [email.body.index(title) for title in listed] == sorted(email.body.index(t) for t in listed)
    assert "http://127.0.0.1:8000/" in email.body  # absolute links from PORTAL_BASE_URL
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/digest/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe: <http" in email.message().as_string()  # on one line, not encoded

    MembershipFactory(community=circle, member=member)
    User.objects.filter(pk=member.pk).update(digest_sent_at=None)
    send_digest.call(member.pk)
    assert "Members of the circle" in mail.outbox[1].body


def test_digest_sent_at_is_set_and_a_second_run_in_the_week_sends_nothing(queue, reader):
    PostFactory(title="Fresh")

    call_command("send_digests", stdout=mock.Mock())
    assert run_queue(queue) == 1
    reader.refresh_from_db()
    assert reader.digest_sent_at is not None
    assert timezone.now() - reader.digest_sent_at < timedelta(minutes=1)

    PostFactory(title="Fresher")
    call_command("send_digests", stdout=mock.Mock())
    assert queued_member_ids(queue) == []
    assert send_digest.call(reader.pk) == 0  # a task enqueued twice finds the week's digest sent
    assert len(mail.outbox) == 1


def test_a_digest_enqueued_twice_is_sent_once(queue, reader):
    PostFactory(title="Fresh")
    send_digest.enqueue(reader.pk)
    send_digest.enqueue(reader.pk)

    assert run_queue(queue) == 1
    assert len(mail.outbox) == 1


def test_nothing_is_sent_when_nothing_is_new(queue, reader):
    PostFactory(title="Old news", publish_at=days_ago(9))
    PostFactory(title="Elsewhere", categories=[organizational_learning()])
    weekly_member("follows-nothing")
    PostFactory(title="Fresh for no one", author=reader)  # the reader's category, but their own post

    call_command("send_digests", stdout=mock.Mock())

    assert run_queue(queue) == 0
    assert mail.outbox == []
    reader.refresh_from_db()
    assert reader.digest_sent_at is None  # looked at again on the next run


def test_the_next_digest_starts_where_the_last_one_ended(reader):
    User.objects.filter(pk=reader.pk).update(digest_sent_at=days_ago(9))
    PostFactory(title="Already in the last digest", publish_at=days_ago(10))
    PostFactory(title="Since the last digest", publish_at=days_ago(8))

    assert send_digest.call(reader.pk) == 1

    assert "Since the last digest" in mail.outbox[0].body
    assert "Already in the last digest" not in mail.outbox[0].body


def test_a_failed_send_gives_the_week_back_for_the_next_run(reader):
    PostFactory(title="Fresh")

    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError):
        assert send_digest.call(reader.pk) == 0

    reader.refresh_from_db()
    assert reader.digest_sent_at is None
    assert send_digest.call(reader.pk) == 1


class WorkerKilled(BaseException):
    """The worker stopped here: nothing in the task catches a BaseException, as nothing runs after SIGKILL."""


def test_a_digest_task_run_again_after_its_worker_died_sends_the_digest_once(queue, reader, settings):
    settings.MAILERS = {  # the site's mailer: a Message-ID the server took is not sent again
        "default": {
            "BACKEND": "portal.mail.SendOnceBackend",
            "OPTIONS": {"backend": "django.core.mail.backends.locmem.EmailBackend"},
        }
    }
    PostFactory(title="Fresh")
    call_command("send_digests", stdout=mock.Mock())
    (task,) = queue.results

    # The worker dies once the week's digest is claimed, before the mail server took it.
    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=WorkerKilled),
        pytest.raises(WorkerKilled),
    ):
        task.task.call(*task.args, **task.kwargs)
    reader.refresh_from_db()
    assert reader.digest_sent_at is not None and mail.outbox == []

    assert task.task.call(*task.args, **task.kwargs) == 1  # run again: the claim is its own
    assert task.task.call(*task.args, **task.kwargs) == 0  # and again: sent already
    (email,) = mail.outbox
    assert "Fresh" in email.body
    call_command("send_digests", stdout=mock.Mock())
    assert queued_member_ids(queue) == [reader.pk]  # the same task only; no new one this week
    assert len(queue.results) == 1


def test_a_member_who_switched_the_digest_off_gets_nothing(reader):
    PostFactory(title="Fresh")
    User.objects.filter(pk=reader.pk).update(digest=NONE)

    assert send_digest.call(reader.pk) == 0
    assert mail.outbox == []


# --- The unsubscribe link ---------------------------------------------------------------------


def unsubscribe_path(email):
    url = re.search(r"http://127\.0\.0\.1:8000(/digest/unsubscribe/[^/\s]+/)", email.body).group(1)
    return url


def test_the_unsubscribe_link_asks_on_get_and_stops_the_digest_on_post(reader):
    PostFactory(title="Fresh")
    send_digest.call(reader.pk)
    path = unsubscribe_path(mail.outbox[0])

    client = Client(enforce_csrf_checks=True)  # mail clients' one-click POST has no CSRF token
    response = client.get(path)
    assert response.status_code == 200
    assert "Stop the weekly digest?" in response.content.decode()
    reader.refresh_from_db()
    assert reader.digest == WEEKLY

    response = client.post(path)
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.digest == NONE


@pytest.mark.parametrize("token", ["nonsense", "tampered"])
def test_a_forged_unsubscribe_token_is_a_400(reader, token):
    if token == "tampered":
        valid = services.digest_unsubscribe_token(reader)
        token = valid[:-2] + ("AA" if not valid.endswith("AA") else "BB")
    path = reverse("blog:digest_unsubscribe", kwargs={"token": token})

    assert Client().get(path).status_code == 400
    assert Client().post(path).status_code == 400
    reader.refresh_from_db()
    assert reader.digest == WEEKLY


def test_a_token_of_another_salt_is_refused(reader):
    from django.core import signing

    token = signing.dumps({"m": reader.pk}, salt="comments.notifications.unsubscribe", compress=True)
    path = reverse("blog:digest_unsubscribe", kwargs={"token": token})

    assert Client().post(path).status_code == 400


# --- The setting --------------------------------------------------------------------------------


def profile_data(member, **extra):
    return {"display_name": member.display_name, "bio": "", "website": "", **extra}


def test_members_choose_the_weekly_digest_in_their_settings():
    member = UserFactory()
    client = client_for(member)
    url = reverse("accounts:edit_profile")

    page = client.get(url).content.decode()
    assert 'name="digest"' in page and 'value="weekly"' in page

    client.post(url, profile_data(member, digest="weekly"))
    member.refresh_from_db()
    assert member.digest == WEEKLY

    client.post(url, profile_data(member))  # a form without the field keeps the choice
    member.refresh_from_db()
    assert member.digest == WEEKLY

    response = client.post(url, profile_data(member, digest="daily"))
    assert response.status_code == 200  # not a choice: the form shows the error
    member.refresh_from_db()
    assert member.digest == WEEKLY
