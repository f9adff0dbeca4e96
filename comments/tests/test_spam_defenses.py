"""Honeypot, minimum posting time, rate limits and body limits — each answered with the text kept."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, DiscussionSettings
from testing.comments import comment_data, started
from testing.factories import CommentFactory, PostFactory, UserFactory
from testing.html import script_vectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    member = UserFactory()
    trusted_by = CommentFactory(author=member)  # trusted: new comments publish at once
    Comment.objects.filter(pk=trusted_by.pk).update(created=timezone.now() - timedelta(days=3))
    client.force_login(member)
    return member


def send(client, post, data):
    return client.post(reverse("comments:post", kwargs={"post_id": post.pk}), data)


def test_a_filled_honeypot_is_refused_and_the_text_kept(client, member):
    post = PostFactory()
    response = send(client, post, comment_data("Written by a bot?", website="http://spam.example"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "This form looked automated" in page
    assert "Written by a bot?" in page
    assert not Comment.objects.filter(post=post).exists()


def test_a_form_sent_too_fast_is_refused_and_the_text_kept(client, member):
    post = PostFactory()
    response = send(client, post, comment_data("Instant reply", started=started(seconds_ago=0)))
    assert response.status_code == 400
    page = response.content.decode()
    assert "faster than anyone can write" in page and "Instant reply" in page
    assert not Comment.objects.filter(post=post).exists()


def test_a_tampered_timestamp_is_refused(client, member):
    post = PostFactory()
    response = send(client, post, comment_data("Forged stamp", started="1700000000:forged"))
    assert response.status_code == 400
    assert "Forged stamp" in response.content.decode()


def test_rate_limit_per_minute_keeps_the_text(client, member):
    post = PostFactory()
    for n in range(5):
        assert send(client, post, comment_data(f"Comment {n}")).status_code == 302
    response = send(client, post, comment_data("The sixth in a minute"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "You can post 5 comments a minute" in page
    assert "The sixth in a minute" in page
    assert Comment.objects.filter(post=post).count() == 5


def test_rate_limit_per_day(client, member):
    discussion = DiscussionSettings.load()
    discussion.rate_per_day = 3
    discussion.save()
    post = PostFactory()
    earlier = timezone.now() - timedelta(hours=2)
    for _ in range(3):
        Comment.objects.filter(pk=CommentFactory(author=member, post=post).pk).update(created=earlier)
    response = send(client, post, comment_data("One more today"))
    assert response.status_code == 400
    assert "today&#x27;s limit of 3 comments" in response.content.decode()


def test_an_over_long_comment_states_the_limit(client, member):
    response = send(client, PostFactory(), comment_data("é" * 10_001))
    assert response.status_code == 400
    assert "Comments can be at most 10,000 characters long; yours has 10,001." in response.content.decode()


def test_whitespace_only_is_an_error(client, member):
    response = send(client, PostFactory(), comment_data(" \n\t \u200b "))
    assert response.status_code == 400
    assert "Write something before posting your comment." in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>Hi",
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "[x](https://exa\u202emple.org)",
        "<a href='java&#x09;script:alert(1)'>x</a>",
    ],
)
def test_hostile_bodies_are_stored_harmless(client, member, body):
    post = PostFactory()
    assert send(client, post, comment_data(body)).status_code == 302
    comment = Comment.objects.get(post=post)
    assert script_vectors(comment.body_html) == []
    page = client.get(post.get_absolute_url()).content.decode()
    for forbidden in ("<script>alert", "onerror=", "\u202e", 'href="javascript'):
        assert forbidden not in page


def test_invalid_utf8_in_the_request_does_not_break_the_form(client, member):
    post = PostFactory()
    data = urlencode(comment_data("placeholder")).replace("placeholder", "broken+%ED%A0%80+bytes")
    response = client.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        data,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert Comment.objects.get(post=post).body.startswith("broken ")
