"""The feeds of a post's comments (RSS and Atom) list published comments only, sanitized, for public posts."""

import html
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Community
from blog.models import Post
from comments.feeds import FEED_LENGTH
from comments.models import Comment
from comments.services import comment_remove
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    StaffFactory,
    UserFactory,
)
from testing.html import script_vectors

pytestmark = pytest.mark.django_db


def feed_url(post):
    return reverse("comments:post_feed", kwargs={"post_id": post.pk})


def atom_url(post):
    return reverse("comments:post_feed_atom", kwargs={"post_id": post.pk})


def parsed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


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


def test_feeds_of_posts_a_visitor_cannot_read_are_404_whoever_asks(client):
    """Feeds are anonymous, like the post feeds: a feed URL is shared and cached, so a draft's,
    a members-only post's or a private community's discussion has no feed, even for its
    author, its members or an editor."""
    draft = PostFactory(status=Post.Status.DRAFT)
    CommentFactory(post=draft, body="On a draft")
    public_circle = CommunityFactory()
    private_circle = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    member = UserFactory()
    for community in (public_circle, private_circle):
        MembershipFactory(community=community, member=member)
    members_only = PostFactory(community=public_circle, visibility=Post.Visibility.MEMBERS)
    in_private = PostFactory(community=private_circle)
    for post in (members_only, in_private):
        CommentFactory(post=post, body="Between us")
    hidden = [draft, members_only, in_private]

    for viewer in (None, UserFactory(), member, draft.author, StaffFactory()):
        client = Client()
        if viewer is not None:
            client.force_login(viewer)
        for post in hidden:
            for url in (feed_url(post), atom_url(post)):
                response = client.get(url)
                assert response.status_code == 404, (viewer, url)
                assert "Between us" not in response.content.decode()
        assert client.get(reverse("comments:post_feed", kwargs={"post_id": 987654})).status_code == 404
    assert client.get(feed_url(PostFactory(community=public_circle))).status_code == 200


def test_the_post_page_links_to_its_comment_feed(client):
    post = PostFactory()
    page = client.get(post.get_absolute_url()).content.decode()
    head = page[: page.index("</head>")]
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="Comments on “{post.title}”" '
        f'href="{feed_url(post)}">' in head
    )


def test_the_atom_feed_lists_the_same_comments(client):
    post = PostFactory(title='Double-loop "learning" <revisited>')
    first = CommentFactory(post=post, body="First approved", author=UserFactory(display_name="Chris <C>"))
    second = CommentFactory(post=post, body="Second approved")
    CommentFactory(post=post, body="Held one", status=Comment.Status.PENDING)

    response = client.get(atom_url(post))
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parsed(client, atom_url(post))
    assert feed.version == "atom10"
    assert feed.feed.title == 'Comments on “Double-loop "learning" <revisited>”'
    assert feed.feed.link == "http://testserver" + post.get_absolute_url()
    assert feed.feed.id == "http://testserver" + atom_url(post)
    assert [entry.summary.strip() for entry in feed.entries] == [
        f"<p>{second.body}</p>",
        f"<p>{first.body}</p>",
    ]
    last = feed.entries[-1]
    permalink = "http://testserver" + reverse("comments:permalink", kwargs={"comment_id": first.pk})
    assert last.title == "Comment by Chris <C>"  # Atom titles are plain text
    assert last.author == "Chris <C>"
    assert last.link == last.id == permalink
    assert last.published_parsed and last.updated_parsed


def test_rss_and_atom_feeds_parse_and_agree(client):
    post = PostFactory()
    CommentFactory.create_batch(3, post=post, author=UserFactory(display_name='Ann "A" & B'))
    rss, atom = parsed(client, feed_url(post)), parsed(client, atom_url(post))
    assert rss.version == "rss20"
    assert [e.link for e in rss.entries] == [e.link for e in atom.entries]
    assert [html.unescape(e.title) for e in rss.entries] == [e.title for e in atom.entries]
    assert atom.entries[0].title == 'Comment by Ann "A" & B'
    raw = client.get(feed_url(post)).content.decode()
    assert '<guid isPermaLink="true">http://testserver/comments/' in raw


def test_the_post_page_links_to_its_atom_comment_feed(client):
    post = PostFactory()
    page = client.get(post.get_absolute_url()).content.decode()
    head = page[: page.index("</head>")]
    assert (
        f'<link rel="alternate" type="application/atom+xml" title="Comments on “{post.title}” (Atom)" '
        f'href="{atom_url(post)}">' in head
    )
