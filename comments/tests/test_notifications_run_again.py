"""Comment emails run again (a worker died mid-task, a retry) reach each member once.

A task whose worker died is run again from the start (portal/worker.py). Each
comment email has a stable Message-ID, and the site's mailer
(``portal.mail.SendOnceBackend``, configured here around the in-memory
backend) does not send a Message-ID the server accepted before. A worker's
death mid-task is a task stopped between two emails: the send raises
``WorkerKilled``, which nothing in the task catches, as nothing runs after a SIGKILL.
"""

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.tasks import default_task_backend

from comments import notifications, services
from comments.models import Comment
from portal import mail as portal_mail
from portal.models import SentEmail
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory
from testing.mail import inbox
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db
LOCMEM_SEND = "django.core.locmem.EmailBackend.send_messages"


class WorkerKilled(BaseException):
    """The worker stopped here (a BaseException: no ``except Exception`` in the task catches it)."""


@pytest.fixture(autouse=True)
def send_once(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "portal.mail.SendOnceBackend",
            "OPTIONS": {"backend": "django.core.mail.backends.locmem.EmailBackend"},
        }
    }
    default_task_backend.clear()
    portal_mail._unrecorded.clear()
    yield
    default_task_backend.clear()


def queued(task):
    return [result for result in default_task_backend.results if result.task.func is task.func]


def run(result):
    return result.task.call(*result.args, **result.kwargs)


def killed_after(sends, monkeypatch):
    """The worker dies when the in-memory backend is asked for email number ``sends + 1``."""
    real_send = locmem.EmailBackend.send_messages
    count = {"sent": 0}

    def send(backend, messages):
        if count["sent"] == sends:
            raise WorkerKilled
        count["sent"] += 1
        return real_send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send)
    return lambda: monkeypatch.setattr(locmem.EmailBackend, "send_messages", real_send)


def test_a_comment_task_run_again_after_its_worker_died_mails_each_reader_once(monkeypatch):
    post = PostFactory()
    followers = [UserFactory() for _ in range(3)]
    for follower in followers:
        services.thread_follow(post=post, member=follower)
    services.comment_submit(post=post, author=trusted_member(), body="Worth four emails.")
    (task,) = queued(notifications.notify_new_comment)

    revive = killed_after(2, monkeypatch)
    with pytest.raises(WorkerKilled):
        run(task)
    assert len(mail.outbox) == 2
    revive()
    assert run(task) == 2  # the two it had not reached
    assert run(task) == 0  # and a third run sends nothing

    readers = [post.author, *followers]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(reader.email for reader in readers)
    assert SentEmail.objects.count() == 4


def test_the_message_id_is_the_same_in_a_retry_as_in_the_first_attempt(monkeypatch):
    post = PostFactory()
    comment = services.comment_submit(post=post, author=trusted_member(), body="A thought.")
    (task,) = queued(notifications.notify_new_comment)
    first_attempt = []

    def refuse(backend, messages):
        first_attempt.extend(message.extra_headers["Message-ID"] for message in messages)
        raise ConnectionRefusedError("down")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    run(task)
    monkeypatch.undo()
    (retry,) = queued(notifications.retry_notification)
    run(retry)

    (message,) = inbox(post.author)
    assert [message.extra_headers["Message-ID"]] == first_attempt
    assert message.extra_headers["Message-ID"] == notifications.message_id(
        notifications.POST_COMMENT, post.author, {"comment_id": comment.pk}, comment
    )


def test_a_reader_who_was_mailed_before_their_kind_changed_is_not_mailed_again():
    """A member hears of a comment once: the run again finds them a follower now, not the post's author."""
    post = PostFactory()
    services.comment_submit(post=post, author=trusted_member(), body="A thought.")
    (task,) = queued(notifications.notify_new_comment)
    run(task)
    services.thread_follow(post=post, member=post.author)
    notifications.NotificationPreference.objects.create(member=post.author, comments_on_my_posts=False)

    assert run(task) == 0
    assert len(inbox(post.author)) == 1


def test_a_comment_sent_back_twice_tells_its_author_twice_and_each_time_once():
    author = UserFactory()
    comment = services.comment_submit(post=PostFactory(), author=author, body="First try.")
    editor = EditorFactory()
    services.comment_return(comment=comment, moderator=editor, note="Cite a source.")
    (first,) = queued(notifications.notify_comment_author)
    run(first)
    run(first)  # run again: nothing more
    services.comment_edit(comment=Comment.objects.get(pk=comment.pk), editor=author, body="Second try.")
    services.comment_return(
        comment=Comment.objects.get(pk=comment.pk), moderator=editor, note="Still no source."
    )
    second = queued(notifications.notify_comment_author)[-1]
    run(second)
    run(second)

    notes = inbox(author)
    assert len(notes) == 2
    assert "Cite a source." in notes[0].body and "Still no source." in notes[1].body
    assert notes[0].extra_headers["Message-ID"] != notes[1].extra_headers["Message-ID"]


def test_a_digest_run_again_after_its_worker_died_lists_the_same_items_for_the_editors_it_missed(monkeypatch):
    editors = [EditorFactory() for _ in range(3)]
    held = [CommentFactory(status=Comment.Status.PENDING, author_name=f"Held {n}") for n in range(2)]
    notifications.moderation_needed()
    (digest,) = queued(notifications.send_moderation_digest)

    revive = killed_after(1, monkeypatch)
    with pytest.raises(WorkerKilled):
        run(digest)
    revive()
    late = CommentFactory(status=Comment.Status.PENDING, author_name="Arrived meanwhile")
    assert run(digest) == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted(editor.email for editor in editors)
    for message in mail.outbox:  # the digest the first editor got, and no more
        assert "Held 0" in message.body and "Held 1" in message.body
        assert "Arrived meanwhile" not in message.body
    (stamp,) = {c.moderators_notified_at for c in Comment.objects.filter(pk__in=[c.pk for c in held])}
    assert stamp is not None  # claimed once, by the first run
    late.refresh_from_db()
    assert late.moderators_notified_at is None  # left for the next digest
