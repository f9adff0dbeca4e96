import pytest
from django.test import Client
from django.urls import reverse

from blog.models import Post
from comments.models import Comment
from testing.clients import client_for
from testing.comments import comment_data, post_comment
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def send(client, post, body, **extra):
    """POST the comment form without following the redirect."""
    return client.post(reverse("comments:post", kwargs={"post_id": post.pk}), comment_data(body, **extra))


def test_a_members_first_comment_is_held_and_shown_only_to_them(client):
    post = PostFactory()
    member = UserFactory(display_name="New Member")
    client.force_login(member)
    response = post_comment(client, post, "My very first thought.")
    page = response.content.decode()
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert response.redirect_chain[-1][0].endswith(f"#comment-{comment.pk}")
    assert "My very first thought." in page
    assert "Your comment is awaiting moderation." in page
    assert "No comments yet" in page  # a pending comment is not counted

    other = client_for(UserFactory())
    assert "My very first thought." not in other.get(post.get_absolute_url()).content.decode()
    assert "My very first thought." not in Client().get(post.get_absolute_url()).content.decode()


def test_after_one_approved_comment_new_ones_are_published_at_once(client):
    member = UserFactory()
    CommentFactory(author=member, status=Comment.Status.APPROVED)
    post = PostFactory()
    client.force_login(member)
    page = post_comment(client, post, "Trusted now.").content.decode()
    assert Comment.objects.get(body="Trusted now.").status == Comment.Status.APPROVED
    assert "1 comment… read it below or add one" in page
    assert "awaiting moderation" not in page
    post.refresh_from_db()
    assert post.comment_count == 1


def test_rejected_or_spam_history_does_not_make_a_member_trusted(client):
    member = UserFactory()
    CommentFactory(author=member, status=Comment.Status.SPAM)
    CommentFactory(author=member, status=Comment.Status.REJECTED)
    client.force_login(member)
    post_comment(client, PostFactory(), "Still held.")
    assert Comment.objects.get(body="Still held.").status == Comment.Status.PENDING


def test_editors_comments_are_published_at_once(client):
    client.force_login(EditorFactory())
    post_comment(client, PostFactory(), "From the editor.")
    assert Comment.objects.get(body="From the editor.").status == Comment.Status.APPROVED


def test_the_comment_keeps_the_members_text_exactly(client):
    client.force_login(UserFactory())
    text = "Pienso que “sí” — de lo local a lo global…\n\nZweiter Absatz: Grüße!"
    post_comment(client, PostFactory(), text)
    comment = Comment.objects.get()
    assert comment.body == text
    assert "<p>Zweiter Absatz: Grüße!</p>" in comment.body_html


@pytest.mark.parametrize(
    ("body", "error", "kept"),
    [
        ("   \n  ", "Write something before posting your comment.", ""),
        (
            "x" * 10_001,
            "Comments can be at most 10,000 characters long; yours has 10,001.",
            "x" * 10_001 + "</textarea>",
        ),
    ],
    ids=["blank", "too-long"],
)
def test_a_form_error_gives_the_text_back(client, body, error, kept):
    post = PostFactory()
    client.force_login(UserFactory())
    response = send(client, post, body)
    page = response.content.decode()
    assert response.status_code == 400
    assert error in page
    assert post.title in page  # still the post page
    assert kept in page
    assert not Comment.objects.exists()


def test_nul_and_invisible_characters_are_stripped_and_the_comment_is_saved(client):
    client.force_login(UserFactory())
    post_comment(client, PostFactory(), "text with a \x00 NUL and a \u202e bidi override")
    comment = Comment.objects.get()
    assert comment.body == "text with a  NUL and a  bidi override"
    assert "\x00" not in comment.body_html and "\u202e" not in comment.body_html


def test_a_long_comment_that_fails_keeps_every_character(client):
    post = PostFactory()
    client.force_login(UserFactory())
    body = "Mi reflexión: " + "palabra " * 1300
    response = send(client, post, body)
    assert response.status_code == 400
    assert body.strip() in response.content.decode()


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"website": "http://spam.example"}, "This form looked automated."),
        ({"started": "forged"}, "The form had expired. Your text is still here: send it again."),
    ],
    ids=["honeypot", "bad-stamp"],
)
def test_spam_defenses_refuse_the_form_but_keep_the_text(client, extra, error):
    post = PostFactory()
    client.force_login(UserFactory())
    response = send(client, post, "A genuine thought.", **extra)
    page = response.content.decode()
    assert response.status_code == 400
    assert error in page
    assert "A genuine thought.</textarea>" in page
    assert 'value="http://spam.example"' not in page  # the honeypot comes back empty
    assert not Comment.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_saved(client):
    post = PostFactory()
    response = send(client, post, "Hi")
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Comment.objects.exists()


def test_commenting_needs_a_post_request(client):
    post = PostFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("comments:post", kwargs={"post_id": post.pk})).status_code == 405


def test_a_forged_post_without_csrf_token_is_refused():
    client = client_for(UserFactory(), enforce_csrf_checks=True)
    post = PostFactory()
    response = send(client, post, "forged")
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_comments_on_drafts_are_404_and_closed_posts_refuse_comments(client):
    client.force_login(UserFactory())
    draft = PostFactory(status=Post.Status.DRAFT)
    assert send(client, draft, "x").status_code == 404
    closed = PostFactory(comments_open=False)
    response = send(client, closed, "Too late to say this")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Comments are closed on this post." in page
    assert "Too late to say this</textarea>" in page  # shown read-only so the member can keep it
    assert not Comment.objects.exists()


def test_signed_in_members_see_the_form_and_visitors_a_sign_in_link(client):
    post = PostFactory()
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Sign in to comment" in page and 'id="comment-form"' not in page
    client.force_login(UserFactory())
    page = client.get(post.get_absolute_url()).content.decode()
    assert 'id="comment-form"' in page and "Leave a comment" in page and "csrfmiddlewaretoken" in page
