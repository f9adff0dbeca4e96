"""A comment and its notification tasks commit together or not at all.

On the database task backend (production's: a task is a row), in transactional
tests, so that commits and rollbacks are real: a change that commits leaves
exactly the task rows it should, one rolled back (or whose enqueue fails)
leaves none, and the digest's "already scheduled" key is set only once the
change committed.
"""

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django_tasks_db.models import DBTaskResult

from comments import notifications, services
from comments.models import Comment
from testing.factories import EditorFactory, PostFactory, UserFactory
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the Editors group too


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class RequestFailed(Exception):
    """Something after the service call failed, and the request's transaction was rolled back."""


def tasks():
    """The queued tasks: (task name, args)."""
    return sorted(
        (row.task_path.rsplit(".", 1)[1], row.args_kwargs["args"])
        for row in DBTaskResult.objects.order_by("enqueued_at")
    )


def test_a_published_comment_commits_with_its_notification_task():
    post = PostFactory()

    comment = services.comment_submit(post=post, author=trusted_member(), body="Saved with its task.")

    assert tasks() == [("notify_new_comment", [comment.pk])]


def test_a_rolled_back_comment_leaves_no_task():
    post = PostFactory()

    with pytest.raises(RequestFailed), transaction.atomic():
        services.comment_submit(post=post, author=trusted_member(), body="Never saved.")
        raise RequestFailed

    assert not Comment.objects.filter(post=post).exists()
    assert tasks() == []


def test_a_task_that_cannot_be_written_fails_the_comment_too():
    post, author = PostFactory(), trusted_member()

    def refuse_task_rows(execute, sql, params, many, context):
        if sql.startswith("INSERT") and DBTaskResult._meta.db_table in sql:
            raise OperationalError("could not write the task")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_task_rows), pytest.raises(OperationalError):
        services.comment_submit(post=post, author=author, body="Not without its notification.")

    assert not Comment.objects.filter(post=post).exists()
    post.refresh_from_db()
    assert post.comment_count == 0
    assert tasks() == []


def test_an_approval_commits_with_the_authors_and_the_readers_tasks():
    comment = services.comment_submit(post=PostFactory(), author=UserFactory(), body="Held first.")
    assert [name for name, _args in tasks()] == ["send_moderation_digest"]
    DBTaskResult.objects.all().delete()

    services.comment_moderate(comment=comment, status=Comment.Status.APPROVED, moderator=EditorFactory())

    assert tasks() == [
        ("notify_comment_author", [comment.pk, "approved"]),
        ("notify_new_comment", [comment.pk]),
    ]


def test_a_rolled_back_approval_leaves_the_comment_held_and_no_task():
    comment = services.comment_submit(post=PostFactory(), author=UserFactory(), body="Held first.")
    DBTaskResult.objects.all().delete()
    editor = EditorFactory()

    with pytest.raises(RequestFailed), transaction.atomic():
        services.comment_moderate(comment=comment, status=Comment.Status.APPROVED, moderator=editor)
        raise RequestFailed

    comment.refresh_from_db()
    assert comment.is_pending
    assert tasks() == []


def test_a_comment_sent_back_commits_with_its_authors_task():
    comment = services.comment_submit(post=PostFactory(), author=UserFactory(), body="Held first.")
    DBTaskResult.objects.all().delete()

    services.comment_return(comment=comment, moderator=EditorFactory(), note="Please add a source.")

    assert tasks() == [("notify_comment_author", [comment.pk, "returned"])]


def test_the_digest_is_marked_scheduled_only_once_its_comment_committed():
    post = PostFactory()

    with pytest.raises(RequestFailed), transaction.atomic():
        services.comment_submit(post=post, author=UserFactory(), body="Rolled back.")
        raise RequestFailed
    assert cache.get(notifications.DIGEST_SCHEDULED_KEY) is None  # no pending digest claimed

    services.comment_submit(post=post, author=UserFactory(), body="Held, and committed.")
    services.comment_submit(post=post, author=UserFactory(), body="Held too, while the digest is pending.")

    assert [name for name, _args in tasks()] == ["send_moderation_digest"]
    assert cache.get(notifications.DIGEST_SCHEDULED_KEY)
