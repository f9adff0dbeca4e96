"""The editors' dashboard on the admin index: pending and flagged comments, posts in review, scheduled
posts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from comments.services import comment_flag
from comments.templatetags.dashboard_tags import dashboard_items
from testing.factories import CommentFactory, EditorFactory, PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_data(n=1):
    for _ in range(n):
        CommentFactory(status=Comment.Status.PENDING)
        comment_flag(comment=CommentFactory(), member=UserFactory(), reason="spam")
        PostFactory(status=Post.Status.REVIEW)
        PostFactory(publish_at=timezone.now() + timedelta(days=3))
    # Not counted: approved comments, drafts, live posts, a pending comment sent back.
    CommentFactory(status=Comment.Status.APPROVED)
    CommentFactory(status=Comment.Status.PENDING, returned_at=timezone.now())
    PostFactory(status=Post.Status.DRAFT)


def counts(response):
    return {item["key"]: item["count"] for item in response.context["dashboard"]}


def test_index_shows_counts_and_links(editor_client):
    make_data(2)

    response = editor_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert counts(response) == {"pending": 2, "flagged": 2, "review": 2, "scheduled": 2}
    html = response.content.decode()
    assert 'id="editorial-dashboard"' in html
    assert html.index("editorial-dashboard") < html.index("app-blog")
    for url in [
        reverse("comments:queue"),
        reverse("admin:comments_comment_changelist") + "?flagged=yes",
        reverse("admin:blog_post_changelist") + "?publication=review",
        reverse("admin:blog_post_changelist") + "?publication=scheduled",
    ]:
        assert f'href="{url}"' in html


def test_links_open_the_filtered_lists(editor_client):
    make_data(1)

    flagged = editor_client.get(reverse("admin:comments_comment_changelist") + "?flagged=yes")
    scheduled = editor_client.get(reverse("admin:blog_post_changelist") + "?publication=scheduled")

    assert flagged.context["cl"].result_count == 1
    assert scheduled.context["cl"].result_count == 1
    assert editor_client.get(reverse("comments:queue")).status_code == 200


def test_one_query_per_model():
    make_data(1)
    editor = EditorFactory()
    editor.has_perm("blog.change_post")  # load the permission cache

    with CaptureQueriesContext(connection) as queries:
        dashboard_items(editor)

    assert len(queries) == 2


def test_staff_without_permissions_sees_no_dashboard(client):
    make_data(1)
    client.force_login(StaffFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert 'id="editorial-dashboard"' not in response.content.decode()
