"""Two comments committed at the same moment are both counted in ``Post.comment_count``.

Found by the crash-recovery load test on PostgreSQL: under READ COMMITTED, a
recount that waited for another transaction's lock on the post kept its old
snapshot and wrote a count one short. The first member's transaction here
holds its lock until the second member's submission is seen waiting for it.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from comments import services
from comments.models import Comment
from testing.factories import CommentFactory, PostFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # the data migrations' rows too
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers and row locks"),
]


def backends_waiting_for_a_lock():
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_comments_committed_at_the_same_moment_are_both_counted():
    post = PostFactory()
    first_member, second_member = UserFactory(), UserFactory()
    for member in (first_member, second_member):
        CommentFactory(author=member)  # an approved comment before: the next ones publish at once
    first_counted, first_may_commit = threading.Event(), threading.Event()
    submitted = []

    def first():
        try:
            with transaction.atomic():
                submitted.append(
                    services.comment_submit(post=post, author=first_member, body="First at once")
                )
                first_counted.set()
                assert first_may_commit.wait(timeout=20)
        finally:
            connections["default"].close()

    def second():
        try:
            assert first_counted.wait(timeout=20)
            submitted.append(services.comment_submit(post=post, author=second_member, body="Second at once"))
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while not backends_waiting_for_a_lock():
            assert time.monotonic() < deadline, "the second submission never waited for the first"
            time.sleep(0.02)
    finally:
        first_may_commit.set()
        for thread in threads:
            thread.join(timeout=30)

    assert [comment.status for comment in submitted] == [Comment.Status.APPROVED] * 2
    post.refresh_from_db()
    assert post.comment_count == Comment.objects.counted().filter(post=post).count() == 2
