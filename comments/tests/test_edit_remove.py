"""Authors edit within the window (or while a comment is sent back) and remove their comments;
moderators remove with a reason. Everyone else is refused, whatever they send."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment, ModerationEvent
from comments.services import comment_return
from testing.clients import client_for
from testing.comments import post_comment
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def edit_url(comment):
    return reverse("comments:edit", kwargs={"comment_id": comment.pk})


def remove_url(comment):
    return reverse("comments:remove", kwargs={"comment_id": comment.pk})


def age(comment, minutes):
    Comment.objects.filter(pk=comment.pk).update(created=comment.created - timedelta(minutes=minutes))
    comment.refresh_from_db()


@pytest.fixture
def author():
    return UserFactory(display_name="The Author")


@pytest.fixture
def own(author):
    return CommentFactory(author=author, body="My original words.")


def test_the_author_edits_within_the_window_and_the_comment_says_edited(client, author, own):
    client.force_login(author)
    response = client.get(edit_url(own))
    assert response.status_code == 200
    assert "My original words.</textarea>" in response.content.decode()

    response = client.post(edit_url(own), {"body": "My *better* words."}, follow=True)
    page = response.content.decode()
    own.refresh_from_db()
    assert own.body == "My *better* words." and own.edited_at is not None
    assert own.status == Comment.Status.APPROVED
    assert response.redirect_chain[-1][0].endswith(f"#comment-{own.pk}")
    assert "<em>better</em>" in page and "edited" in page and "Your comment is updated." in page
    assert ModerationEvent.objects.filter(comment=own, action=ModerationEvent.Action.EDITED).exists()


def test_an_edit_with_errors_keeps_the_text(client, author, own):
    client.force_login(author)
    response = client.post(edit_url(own), {"body": "   "})
    assert response.status_code == 400
    assert "Write something before posting your comment." in response.content.decode()
    too_long = "y" * 10_001
    response = client.post(edit_url(own), {"body": too_long})
    assert response.status_code == 400
    assert too_long + "</textarea>" in response.content.decode()
    own.refresh_from_db()
    assert own.body == "My original words." and own.edited_at is None


def test_after_the_window_editing_is_refused(client, author, own):
    age(own, 16)
    client.force_login(author)
    assert "/edit/" not in client.get(own.post.get_absolute_url()).content.decode()
    assert client.get(edit_url(own)).status_code == 403
    assert client.post(edit_url(own), {"body": "Too late"}).status_code == 403
    own.refresh_from_db()
    assert own.body == "My original words." and own.edited_at is None


def test_another_member_cannot_edit_or_remove_by_url_or_forged_post(client, own):
    client.force_login(UserFactory())
    page = client.get(own.post.get_absolute_url()).content.decode()
    assert edit_url(own) not in page and remove_url(own) not in page
    assert client.get(edit_url(own)).status_code == 404
    assert client.post(edit_url(own), {"body": "Hijacked"}).status_code == 404
    assert client.post(remove_url(own), {"reason": "I don't like it"}).status_code == 404
    own.refresh_from_db()
    assert own.body == "My original words." and not own.is_removed

    anonymous = Client()
    assert anonymous.post(edit_url(own), {"body": "Hijacked"}).status_code == 302  # to sign in
    assert anonymous.post(remove_url(own)).status_code == 302
    own.refresh_from_db()
    assert own.body == "My original words." and not own.is_removed


def test_a_remove_without_csrf_token_is_refused(author, own):
    client = client_for(author, enforce_csrf_checks=True)
    assert client.post(remove_url(own)).status_code == 403
    own.refresh_from_db()
    assert not own.is_removed


def test_remove_needs_a_post_request(client, author, own):
    client.force_login(author)
    assert client.get(remove_url(own)).status_code == 405
    own.refresh_from_db()
    assert not own.is_removed


def test_the_author_removes_their_comment_the_text_is_erased_and_the_count_drops(client, author, own):
    post = own.post
    CommentFactory(post=post)
    client.force_login(author)
    assert "2 comments" in client.get(post.get_absolute_url()).content.decode()
    response = client.post(remove_url(own), follow=True)
    page = response.content.decode()
    own.refresh_from_db()
    assert own.is_removed and own.body == "" and own.removed_by == author
    assert "Your comment is removed." in page
    assert "Comment removed by its author" in page and "My original words." not in page
    assert "1 comment… read it below or add one" in page
    # Removing twice changes nothing.
    assert client.post(remove_url(own)).status_code == 302


def test_the_author_may_remove_after_the_edit_window(client, author, own):
    age(own, 60 * 24)
    client.force_login(author)
    assert remove_url(own) in client.get(own.post.get_absolute_url()).content.decode()
    client.post(remove_url(own))
    own.refresh_from_db()
    assert own.is_removed


def test_a_moderator_removes_with_a_reason_that_readers_see(client, own):
    editor = EditorFactory()
    client.force_login(editor)
    assert 'name="reason"' in client.get(own.post.get_absolute_url()).content.decode()

    response = client.post(remove_url(own), {"reason": ""})
    assert response.status_code == 400
    assert "Say why the comment is removed" in response.content.decode()
    own.refresh_from_db()
    assert not own.is_removed

    response = client.post(remove_url(own), {"reason": "Off-topic <i>advertising</i>"}, follow=True)
    own.refresh_from_db()
    assert own.is_removed and own.removed_by == editor
    assert own.body == "My original words."  # kept for the audit trail
    page = Client().get(own.post.get_absolute_url()).content.decode()
    assert "Comment removed by a moderator: Off-topic &lt;i&gt;advertising&lt;/i&gt;" in page
    assert "My original words." not in page
    assert "The comment is removed" in response.content.decode()


def test_a_returned_comment_can_be_edited_after_the_window_and_goes_back_to_pending(client, author):
    CommentFactory(author=author)  # trusted: the rules alone would publish the revision
    held = CommentFactory(author=author, status=Comment.Status.PENDING, body="Needs a source.")
    comment_return(comment=held, moderator=EditorFactory(), note="Which study?")
    age(held, 60)
    client.force_login(author)
    page = client.get(edit_url(held)).content.decode()
    assert "Which study?" in page and "Resubmit comment" in page

    response = client.post(edit_url(held), {"body": "Needs a source: the 2019 study."}, follow=True)
    held.refresh_from_db()
    assert held.status == Comment.Status.PENDING and not held.is_returned
    assert held.body == "Needs a source: the 2019 study."
    assert "awaits moderation" in response.content.decode()
    # Back in the queue, the window long gone: no more edits.
    assert client.get(edit_url(held)).status_code == 403


def test_editing_a_comment_on_a_hidden_post_is_404(client, author):
    from blog.models import Post

    on_draft = CommentFactory(author=author, post=PostFactory(status=Post.Status.DRAFT))
    client.force_login(author)
    assert client.get(edit_url(on_draft)).status_code == 404
    assert client.post(remove_url(on_draft)).status_code == 404


def test_posting_reports_what_happened(client):
    member = UserFactory()
    client.force_login(member)
    page = post_comment(client, PostFactory(), "First ever.").content.decode()
    assert "Thanks! Your comment is awaiting moderation. Your first comment is read by an editor" in page
    Comment.objects.update(status=Comment.Status.APPROVED)
    page = post_comment(client, PostFactory(), "Second one.").content.decode()
    assert "Thanks, your comment is published." in page
