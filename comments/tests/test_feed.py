"""The RSS feed of a post's comments lists published comments only, sanitized, for posts the reader may see."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from blog.models import Post
from blog.tests.factories import PostFactory
from comments.feeds import FEED_LENGTH
from comments.models import Comment
from comments.services import comment_remove
from comments.tests.factories import CommentFactory
from portal.html_checks import script_vectors

pytestmark = pytest.mark.django_db


def feed_url(post):
    return reverse("comments:post_feed", kwargs={"post_id": post.pk})


def items(client, post):
    response = client.get(feed_url(post))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314
    return channel, channel.findall("item")


def test_the_feed_lists_approved_comments_newest_first(client):
    post = PostFactory(title="Double-loop learning")
    first = CommentFactory(post=post, body="First approved", author=UserFactory(display_name="Chris"))
    second = CommentFactory(post=post, body="Second approved")
    CommentFactory(post=post, body="Held one", status=Comment.Status.PENDING)
    CommentFactory(post=post, body="Spammy one", status=Comment.Status.SPAM)
    removed = CommentFactory(post=post, body="Removed one")
    comment_remove(comment=removed, actor=removed.author)
    CommentFactory(body="On another post")

    channel, entries = items(client, post)
    assert channel.findtext("title") == "Comments on “Double-loop learning”"
    assert channel.findtext("link").endswith(post.get_absolute_url())
    assert [e.findtext("description").strip() for e in entries] == [
        f"<p>{second.body}</p>",
        f"<p>{first.body}</p>",
    ]
    last = entries[-1]
    assert last.findtext("title") == "Comment by Chris"
    assert last.findtext("link").endswith(reverse("comments:permalink", kwargs={"comment_id": first.pk}))
    assert last.findtext("pubDate")


def test_the_feed_is_limited_to_the_latest_comments(client):
    post = PostFactory()
    CommentFactory.create_batch(FEED_LENGTH + 3, post=post)
    _channel, entries = items(client, post)
    assert len(entries) == FEED_LENGTH


def test_names_are_escaped_and_bodies_sanitized(client):
    post = PostFactory()
    CommentFactory(
        post=post,
        author=UserFactory(display_name="<script>alert(1)</script>"),
        body='Look <script>alert("x")</script> [here](javascript:alert(1)) <img src=x onerror=alert(1)>',
    )
    raw = client.get(feed_url(post)).content.decode()
    assert "<script>" not in raw  # nothing unescaped in the XML
    _channel, (entry,) = items(client, post)
    assert "<script>" not in entry.findtext("title")
    assert script_vectors(entry.findtext("description")) == []


def test_feeds_of_posts_the_reader_cannot_see_are_404(client):
    draft = PostFactory(status=Post.Status.DRAFT)
    CommentFactory(post=draft, body="On a draft")
    assert client.get(feed_url(draft)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(feed_url(draft)).status_code == 404
    assert client.get(reverse("comments:post_feed", kwargs={"post_id": 987654})).status_code == 404
    client.force_login(StaffFactory())
    assert client.get(feed_url(draft)).status_code == 200


def test_the_post_page_links_to_its_comment_feed(client):
    post = PostFactory()
    page = client.get(post.get_absolute_url()).content.decode()
    head = page[: page.index("</head>")]
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="Comments on “{post.title}”" href="{feed_url(post)}">'
        in head
    )
