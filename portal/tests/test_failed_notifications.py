"""A notification email that keeps failing ends as a FAILED task, with its error, that editors see.

End to end on the database task backend with the real worker (``manage.py
db_worker --batch``) and the site's mailer around the SMTP backend, pointed at
a port where no mail server listens: the first attempt and its two retries
fail, the third fails its task, and an editor finds it in the admin's task
list, filtered by status, with the error.
"""

import socket

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import notifications, services
from portal.models import SentEmail
from testing.factories import PostFactory
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the Editors group too


@pytest.fixture
def mail_server_down(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAILERS = {
        "default": {
            "BACKEND": "portal.mail.SendOnceBackend",
            "OPTIONS": {
                "backend": "django.core.mail.backends.smtp.EmailBackend",
                "options": {"host": "127.0.0.1", "port": port, "timeout": 2},
            },
        }
    }


def run_worker():
    call_command(
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval=0",
        "--heartbeat=0.05",
        "--lease=0.2",
        verbosity=0,
    )


def the_retry_is_due():
    """The retries wait from 10 seconds to 2 hours: the test does not."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_the_last_failed_attempt_fails_its_task_and_an_editor_sees_it(mail_server_down, client_for, editor):
    post = PostFactory()
    services.comment_submit(post=post, author=trusted_member(), body="Nobody will hear of this.")

    for _attempt in range(notifications.MAX_ATTEMPTS):
        run_worker()
        the_retry_is_due()

    rows = {row.task_path.rsplit(".", 1)[1]: row for row in DBTaskResult.objects.order_by("enqueued_at")}
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    assert not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists()
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.task_path == "comments.notifications.retry_notification"
    assert failed.args_kwargs["args"][3] == notifications.MAX_ATTEMPTS  # the last attempt
    assert failed.exception_class_path == "comments.notifications.NotificationNotSent"
    attempts = notifications.MAX_ATTEMPTS
    error = f"Gave up on the post_comment email to member {post.author_id} after {attempts} attempts"
    assert error in failed.traceback
    assert "ConnectionRefusedError" in failed.traceback  # the mail error it gave up on, in the traceback
    assert rows["notify_new_comment"].status == "SUCCESSFUL"  # the first attempt scheduled the retries
    assert not SentEmail.objects.exists()

    client = client_for(editor)
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    everything = client.get(changelist).content.decode()
    assert "?status__exact=FAILED" in everything  # filterable by status
    page = client.get(changelist, {"status__exact": "FAILED"}).content.decode()
    assert "retry_notification" in page
    assert f"comments.notifications.NotificationNotSent: {error}" in page
    assert "notify_new_comment" not in page
    detail = client.get(reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk]))
    assert detail.status_code == 200
    assert "ConnectionRefusedError" in detail.content.decode()
