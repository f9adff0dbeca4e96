"""Moderating comments in the admin keeps moderation records and Post.comment_count right."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import EditorFactory, UserFactory
from blog.tests.factories import PostFactory
from comments.models import Comment
from comments.services import comment_moderate
from comments.tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")
Status = Comment.Status


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def run_action(client, action, comments):
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in comments]}, follow=True
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_form_data(comment, **changes):
    data = {
        "post": comment.post_id,
        "body": comment.body,
        "status": comment.status,
        "author": comment.author_id or "",
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_url": comment.author_url,
    }
    return {**data, **changes}


def test_approve_action_approves_records_moderator_and_raises_count(editor_client, editor):
    post = PostFactory()
    CommentFactory(post=post)
    pending = CommentFactory.create_batch(2, post=post, status=Status.PENDING)
    post.refresh_from_db()
    assert post.comment_count == 1

    response = run_action(editor_client, "approve", pending)

    assert messages_of(response) == ["2 comments were approved."]
    post.refresh_from_db()
    assert post.comment_count == 3
    for comment in pending:
        comment.refresh_from_db()
        assert comment.status == Status.APPROVED
        assert comment.moderated_by == editor
        assert comment.moderated_at is not None


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("reject", Status.REJECTED, "2 comments were rejected."),
        ("mark_spam", Status.SPAM, "2 comments were marked as spam."),
    ],
)
def test_reject_and_spam_actions_lower_count(editor_client, editor, action, status, message):
    post = PostFactory()
    approved = CommentFactory.create_batch(3, post=post)
    post.refresh_from_db()
    assert post.comment_count == 3

    response = run_action(editor_client, action, approved[:2])

    assert messages_of(response) == [message]
    post.refresh_from_db()
    assert post.comment_count == 1
    assert set(Comment.objects.filter(status=status).values_list("moderated_by", flat=True)) == {editor.pk}


def test_action_counts_only_comments_whose_status_changed(editor_client):
    already = CommentFactory()
    pending = CommentFactory(status=Status.PENDING)

    response = run_action(editor_client, "approve", [already, pending])

    assert messages_of(response) == ["1 comment was approved."]
    already.refresh_from_db()
    assert already.moderated_by is None


def test_changing_status_in_change_form_records_moderator_and_updates_count(editor_client, editor):
    comment = CommentFactory(status=Status.PENDING)
    post = comment.post

    response = editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, status=Status.APPROVED, body="Edited while approving."),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.body == "Edited while approving."
    assert comment.moderated_by == editor
    assert comment.moderated_at is not None
    post.refresh_from_db()
    assert post.comment_count == 1


def test_editing_without_status_change_is_not_moderation(editor_client):
    comment = CommentFactory()

    editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, body="Fixed a typo."),
    )

    comment.refresh_from_db()
    assert comment.body == "Fixed a typo."
    assert comment.moderated_by is None


def test_moving_an_approved_comment_to_another_post_moves_its_count(editor_client):
    comment = CommentFactory()
    old_post, new_post = comment.post, PostFactory()

    editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, post=new_post.pk),
    )

    old_post.refresh_from_db()
    new_post.refresh_from_db()
    assert (old_post.comment_count, new_post.comment_count) == (0, 1)


def test_adding_an_approved_comment_raises_count(editor_client, editor):
    post = PostFactory()

    response = editor_client.post(
        reverse("admin:comments_comment_add"),
        {
            "post": post.pk,
            "body": "Added by an editor.",
            "status": Status.APPROVED,
            "author": "",
            "author_name": "A guest",
            "author_email": "",
            "author_url": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post.refresh_from_db()
    assert post.comment_count == 1
    assert Comment.objects.get().moderated_by == editor


def test_deleting_an_approved_comment_lowers_count(editor_client):
    comment = CommentFactory()
    CommentFactory(post=comment.post)

    response = editor_client.post(
        reverse("admin:comments_comment_delete", args=[comment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    comment.post.refresh_from_db()
    assert comment.post.comment_count == 1


def test_bulk_delete_lowers_counts_of_every_affected_post(editor_client):
    first, second = CommentFactory(), CommentFactory()
    CommentFactory(post=second.post)

    editor_client.post(
        CHANGELIST,
        {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
    )

    first.post.refresh_from_db()
    second.post.refresh_from_db()
    assert (first.post.comment_count, second.post.comment_count) == (0, 1)


def test_post_changelist_shows_approved_and_pending_counts_linked_to_queue(editor_client):
    post = PostFactory(title="Reflective practice")
    CommentFactory(post=post)
    CommentFactory.create_batch(2, post=post, status=Status.PENDING)
    CommentFactory(post=post, status=Status.SPAM)
    PostFactory(title="Quiet post")

    response = editor_client.get(reverse("admin:blog_post_changelist"))

    pending = {p.title: p.pending_comment_count for p in response.context["cl"].result_list}
    assert pending == {"Reflective practice": 2, "Quiet post": 0}
    html = response.content.decode()
    queue = f"{CHANGELIST}?post__id__exact={post.pk}&amp;status__exact=pending"
    assert f'<td class="field-pending_comments"><a href="{queue}">2</a></td>' in html
    assert '<td class="field-approved_comments">1</td>' in html

    # The link opens the moderation queue of that post.
    queue_response = editor_client.get(CHANGELIST, {"post__id__exact": post.pk, "status__exact": "pending"})
    assert queue_response.status_code == 200
    assert len(queue_response.context["cl"].result_list) == 2


def test_changelist_search_and_filters(editor_client):
    post = PostFactory(title="Tacit knowledge")
    CommentFactory(post=post, body="Polanyi said it first.", status=Status.PENDING)
    CommentFactory(body="Something else.")

    found = editor_client.get(CHANGELIST, {"q": "polanyi"}).context["cl"].result_list
    assert [c.body for c in found] == ["Polanyi said it first."]
    found = editor_client.get(CHANGELIST, {"q": "tacit"}).context["cl"].result_list
    assert [c.post for c in found] == [post]
    found = editor_client.get(CHANGELIST, {"status__exact": "pending"}).context["cl"].result_list
    assert [c.post for c in found] == [post]


def make_comments(count):
    """Comments on different posts, half of them moderated by different editors."""
    for n in range(count):
        comment = CommentFactory(post=PostFactory(), author=UserFactory(), status=Status.PENDING)
        if n % 2:
            comment_moderate(comment=comment, status=Status.APPROVED, moderator=EditorFactory())


def test_comment_changelist_query_count_does_not_grow_with_comments(editor_client):
    """Guards the N+1s of the moderation queue: post and moderator per row, the post filter's choices."""

    def capture():
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(CHANGELIST)
        assert response.status_code == 200
        return [query["sql"] for query in queries], len(response.context["cl"].result_list)

    make_comments(3)
    small, listed = capture()
    assert listed == 3
    make_comments(27)
    large, listed = capture()
    assert listed == 30
    assert len(large) == len(small), "\n\n".join(large)
