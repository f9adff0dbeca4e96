"""The post page runs the same number of queries with 1 comment as with 500 in nested threads.

Guards the N+1s a threaded discussion invites: a query per thread for its
replies, per comment for its author, its parent or its remover, and per
comment for what the reader may do with it (edit window, moderation rights).
Counted on a cold cache: the related posts' tag weights are cached.
"""

import pytest

from comments.models import Comment, DiscussionSettings
from comments.services import refresh_comment_counts
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

THREADS, LEVELS = 100, 5


def add_threads(post, authors, *, threads=THREADS, levels=LEVELS):
    """``threads`` threads of ``levels`` nested comments each, in one insert per level."""
    parents = [None] * threads
    for depth in range(levels):
        parents = Comment.objects.bulk_create(
            Comment(
                post=post,
                author=authors[(n + depth) % len(authors)],
                author_name=authors[(n + depth) % len(authors)].public_name,
                body=f"Thread {n}, level {depth}.",
                body_html=f"<p>Thread {n}, level {depth}.</p>",
                status=Comment.Status.APPROVED,
                parent=parent,
                thread_root_id=(parent.thread_root_id or parent.pk) if parent else None,
                depth=depth,
            )
            for n, parent in enumerate(parents)
        )
    refresh_comment_counts(post_ids=[post.pk])


@pytest.mark.parametrize("reader", ["anonymous", "member", "editor"])
def test_post_page_queries_do_not_grow_with_threads(client, reader):
    DiscussionSettings.load()  # the first load creates the row: not part of the page's budget
    post = PostFactory(tags=["threads"])
    authors = [UserFactory() for _ in range(7)]
    if reader != "anonymous":
        member = EditorFactory() if reader == "editor" else UserFactory()
        authors.append(member)  # their own comments get Edit and Remove buttons
        client.force_login(member)
        CommentFactory(post=post, author=member, status=Comment.Status.PENDING, body="My held comment")
    else:
        CommentFactory(post=post)
    small = count_queries(client, post.get_absolute_url(), cold_cache=True)

    add_threads(post, authors)
    CommentFactory(post=post, status=Comment.Status.REJECTED)
    large = count_queries(client, post.get_absolute_url(), cold_cache=True)
    assert_same_count(small, large)

    page = client.get(post.get_absolute_url()).content.decode()
    # 50 threads a page: the first comment, then 49 of the new threads with all their levels.
    assert page.count('class="comment"') + page.count('class="comment is-pending"') == 1 + 49 * LEVELS
    assert "Thread 48, level 4." in page and "Thread 49, level 0." not in page
