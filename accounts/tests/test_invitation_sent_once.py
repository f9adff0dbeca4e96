"""An invitation and its email task commit together, and a task run again sends the email once.

The first tests run on the database task backend in transactional tests, so
that commits and rollbacks are real. The others run the task as a worker
would, twice when its worker died, with the site's mailer
(``portal.mail.SendOnceBackend``) around the in-memory backend.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from accounts import services
from accounts.models import Invitation, Membership
from accounts.tasks import send_invitation
from portal import mail as portal_mail
from testing.factories import CommunityFactory, UserFactory

SEND_ONCE = {
    "default": {
        "BACKEND": "portal.mail.SendOnceBackend",
        "OPTIONS": {"backend": "django.core.mail.backends.locmem.EmailBackend"},
    }
}


class RequestFailed(Exception):
    """Something after the invitation failed, and the request's transaction was rolled back."""


@pytest.fixture
def circle(db):
    owner = UserFactory(username="olga")
    return CommunityFactory(name="Reading circle", slug="reading-circle", owner=owner), owner


@pytest.fixture
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_invitation_commits_with_its_email_task(database_backend, circle):
    community, owner = circle
    guest = UserFactory(username="guest")

    membership = services.invite(community=community, inviter=owner, username_or_email="guest")

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "accounts.tasks.send_invitation"
    assert task.args_kwargs["kwargs"]["membership_id"] == membership.pk
    assert Membership.objects.get(member=guest).status == "invited"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_invitation_leaves_no_email_task(database_backend, circle):
    community, owner = circle

    with pytest.raises(RequestFailed), transaction.atomic():
        services.invite(community=community, inviter=owner, username_or_email="new@example.org")
        raise RequestFailed

    assert not Invitation.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.fixture
def send_once(settings, db):
    settings.MAILERS = SEND_ONCE
    default_task_backend.clear()
    portal_mail._unrecorded.clear()
    yield
    default_task_backend.clear()


def run_queued():
    for result in default_task_backend.results:
        result.task.call(*result.args, **result.kwargs)


def test_an_invitation_task_run_again_sends_its_email_once(send_once, circle):
    community, owner = circle
    services.invite(community=community, inviter=owner, username_or_email="new@example.org")

    run_queued()
    run_queued()  # as after its worker died once the server had taken the email

    (message,) = mail.outbox
    assert message.to == ["new@example.org"]


def test_inviting_the_same_address_again_sends_again(send_once, circle):
    community, owner = circle
    for _ in range(2):
        services.invite(community=community, inviter=owner, username_or_email="new@example.org")

    run_queued()
    run_queued()

    assert [message.to for message in mail.outbox] == [["new@example.org"], ["new@example.org"]]
    first, second = (message.extra_headers["Message-ID"] for message in mail.outbox)
    assert first != second


def test_a_task_enqueued_before_the_change_still_sends(send_once, circle):
    """Queued without ``invited_at`` (before this release): sent, without a Message-ID of its own."""
    community, owner = circle
    invitation = services.invite(community=community, inviter=owner, username_or_email="new@example.org")
    default_task_backend.clear()

    send_invitation.call(invitation_id=invitation.pk)

    (message,) = mail.outbox
    assert "Message-ID" not in message.extra_headers
