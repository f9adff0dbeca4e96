"""Post feeds, RSS 2.0 and Atom 1.0, summary and full: parsed by a real feed reader's parser.

Every feed is read with feedparser (what many feed readers use), which must
find nothing wrong (``bozo == 0``). Feeds are anonymous: members-only posts,
posts of private communities, drafts and scheduled posts never appear, not
even when a member or an editor asks, and a private community has no feed.
"""

import html
from datetime import timedelta

import feedparser
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community
from blog.feeds import FEED_LENGTH, SUMMARY_WORDS
from blog.models import Post
from testing.clients import client_for
from testing.factories import (
    CategoryFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    StaffFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

VARIANTS = ["", "_full", "_atom", "_atom_full"]
HOST = "http://testserver"


def parse(client, url, *, atom):
    response = client.get(url)
    assert response.status_code == 200, url
    expected_type = "application/atom+xml" if atom else "application/rss+xml"
    assert response["Content-Type"] == f"{expected_type}; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("atom10" if atom else "rss20")
    return feed


def feed_url(name, variant="", **kwargs):
    return reverse(f"{name}{variant}", kwargs=kwargs)


def titles(feed):
    return [html.unescape(entry.title) for entry in feed.entries]


class FeedWorld:
    """Public posts around the ones no feed may show."""

    def __init__(self):
        now = timezone.now()
        self.author = UserFactory(username="writer", display_name="Wren Writer")
        self.member = UserFactory(username="insider")
        self.public_community = CommunityFactory(name="Open circle", slug="open-circle")
        self.private_community = CommunityFactory(
            name="Closed room", slug="closed-room", visibility=Community.Visibility.PRIVATE
        )
        for community in (self.public_community, self.private_community):
            MembershipFactory(community=community, member=self.member)
        self.oldest = PostFactory(
            title="Oldest public note",
            author=self.author,
            publish_at=now - timedelta(days=30),
            categories=[organizational_learning()],
            tags=["reflection"],
        )
        self.middle = PostFactory(
            title="A public post of the open circle",
            publish_at=now - timedelta(days=20),
            community=self.public_community,
            tags=["reflection", "practice"],
        )
        self.newest = PostFactory(
            title="Newest public note",
            author=self.author,
            publish_at=now - timedelta(days=1),
            excerpt="",
            body=" ".join(f"word{n}" for n in range(SUMMARY_WORDS + 20)),
            categories=[individual_learning(), organizational_learning()],
            tags=["reflection"],
        )
        self.hidden = [
            PostFactory(
                title="Members-only minutes",
                author=self.author,
                community=self.public_community,
                visibility=Post.Visibility.MEMBERS,
                tags=["reflection"],
                publish_at=now - timedelta(days=2),
            ),
            PostFactory(
                title="Public post of a private community",
                author=self.author,
                community=self.private_community,
                tags=["reflection"],
                publish_at=now - timedelta(days=3),
            ),
            PostFactory(title="A draft", author=self.author, status=Post.Status.DRAFT, tags=["reflection"]),
            PostFactory(
                title="A scheduled post",
                author=self.author,
                tags=["reflection"],
                publish_at=now + timedelta(days=2),
            ),
        ]
        self.public = [self.newest, self.middle, self.oldest]


@pytest.fixture
def world():
    return FeedWorld()


def every_feed(world):
    """(url name, kwargs) of every feed that could list the hidden posts."""
    return [
        ("blog:feed", {}),
        ("blog:category_feed", {"slug": "individual-learning"}),
        ("blog:category_feed", {"slug": "organizational-learning"}),
        ("blog:tag_feed", {"slug": "reflection"}),
        ("blog:author_feed", {"username": world.author.username}),
        ("communities:feed", {"slug": world.public_community.slug}),
    ]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_latest_posts_feed_lists_public_posts_newest_first(client, world, variant):
    atom = "atom" in variant
    feed = parse(client, feed_url("blog:feed", variant), atom=atom)

    assert feed.feed.title == "Learning Together"
    assert feed.feed.link == f"{HOST}/"
    assert feed.feed.subtitle.startswith("Individual and organizational learning")
    assert titles(feed) == [post.title for post in world.public]
    entry = feed.entries[0]
    permalink = HOST + world.newest.get_absolute_url()
    assert entry.link == permalink
    assert entry.id == permalink
    assert entry.author == "Wren Writer"
    assert entry.published_parsed[:6] == world.newest.publish_at.utctimetuple()[:6]
    if atom:  # RSS has no updated date of items
        assert entry.updated_parsed[:6] >= entry.published_parsed[:6]
    assert [tag.term for tag in entry.tags] == [
        "Individual learning",
        "Organizational learning",
        "reflection",
    ]


def test_rss_items_have_a_permalink_guid_and_a_comments_link(client, world):
    raw = client.get(feed_url("blog:feed")).content.decode()
    permalink = HOST + world.newest.get_absolute_url()
    assert f'<guid isPermaLink="true">{permalink}</guid>' in raw
    assert f"<comments>{permalink}#comments</comments>" in raw
    assert '<atom:link href="http://testserver/feed/" rel="self"' in raw


def test_atom_feeds_have_their_own_id_and_self_link(client, world):
    summary = parse(client, feed_url("blog:feed", "_atom"), atom=True)
    full = parse(client, feed_url("blog:feed", "_atom_full"), atom=True)
    assert summary.feed.id == f"{HOST}/feed/atom/"
    assert full.feed.id == f"{HOST}/feed/atom/full/"
    assert {link.rel: link.href for link in summary.feed.links} == {
        "alternate": f"{HOST}/",
        "self": f"{HOST}/feed/atom/",
    }


@pytest.mark.parametrize("atom", [False, True], ids=["rss", "atom"])
def test_summary_feeds_carry_the_excerpt_and_full_feeds_the_whole_post(client, world, atom):
    prefix = "_atom" if atom else ""
    summary = parse(client, feed_url("blog:feed", prefix), atom=atom)
    full = parse(client, feed_url("blog:feed", f"{prefix}_full"), atom=atom)

    # A post with an excerpt: the excerpt is its summary.
    summary_entry, full_entry = summary.entries[2], full.entries[2]
    assert summary_entry.summary.strip() == world.oldest.excerpt_html.strip() == "<p>A short summary.</p>"
    assert "content" not in summary_entry
    assert full_entry.summary.strip() == "<p>A short summary.</p>"
    assert full_entry.content[0].value.strip() == world.oldest.body_html.strip()
    assert "<em>thoughts</em>" in full_entry.content[0].value

    # Without an excerpt: the first words of the body.
    words = " ".join(f"word{n}" for n in range(SUMMARY_WORDS))
    assert summary.entries[0].summary == f"<p>{words}…</p>"
    assert "word60" not in summary.entries[0].summary
    assert "word60" in full.entries[0].content[0].value


def test_titles_are_plain_text_in_atom_and_escaped_html_in_rss(client):
    title = 'He said "A < B" & <em>left</em>'
    PostFactory(title=title)
    rss = parse(client, feed_url("blog:feed"), atom=False)
    atom = parse(client, feed_url("blog:feed", "_atom"), atom=True)
    assert atom.entries[0].title == title
    assert atom.entries[0].title_detail.type == "text/plain"
    assert html.unescape(rss.entries[0].title) == title
    raw = client.get(feed_url("blog:feed")).content.decode()
    assert "<em>left" not in raw


def test_a_feed_lists_the_latest_twenty_posts(client):
    PostFactory.create_batch(FEED_LENGTH + 5)
    for variant in VARIANTS:
        feed = parse(client, feed_url("blog:feed", variant), atom="atom" in variant)
        assert len(feed.entries) == FEED_LENGTH


@pytest.mark.parametrize("variant", VARIANTS)
def test_category_tag_author_and_community_feeds_list_their_posts(client, world, variant):
    atom = "atom" in variant
    expected = {
        ("blog:category_feed", "individual-learning"): [world.newest, world.middle],
        ("blog:category_feed", "organizational-learning"): [world.newest, world.oldest],
        ("blog:tag_feed", "reflection"): world.public,
        ("blog:tag_feed", "practice"): [world.middle],
        ("communities:feed", world.public_community.slug): [world.middle],
    }
    for (name, slug), posts in expected.items():
        feed = parse(client, feed_url(name, variant, slug=slug), atom=atom)
        assert titles(feed) == [post.title for post in posts], (name, slug)
    by_author = parse(client, feed_url("blog:author_feed", variant, username="writer"), atom=atom)
    assert titles(by_author) == [world.newest.title, world.oldest.title]


@pytest.mark.parametrize("atom", [False, True], ids=["rss", "atom"])
def test_feed_titles_and_links_name_what_they_follow(client, world, atom):
    variant = "_atom" if atom else ""
    category = parse(client, feed_url("blog:category_feed", variant, slug="individual-learning"), atom=atom)
    assert category.feed.title == "Individual learning · Learning Together"
    assert category.feed.link == HOST + individual_learning().get_absolute_url()
    tag = parse(client, feed_url("blog:tag_feed", variant, slug="practice"), atom=atom)
    assert tag.feed.title == "Posts tagged “practice” · Learning Together"
    assert tag.feed.link == HOST + reverse("blog:tag", kwargs={"slug": "practice"})
    author = parse(client, feed_url("blog:author_feed", variant, username="writer"), atom=atom)
    assert author.feed.title == "Posts by Wren Writer · Learning Together"
    assert author.feed.subtitle == "The latest posts by Wren Writer."
    community = parse(client, feed_url("communities:feed", variant, slug="open-circle"), atom=atom)
    assert community.feed.title == "Open circle · Learning Together"
    assert community.feed.link == HOST + world.public_community.get_absolute_url()
    assert community.feed.subtitle == "We read and discuss together."


@pytest.mark.parametrize("who", ["anonymous", "member", "editor"])
def test_hidden_posts_never_reach_a_feed_whoever_asks(world, who):
    """Feeds ignore the session: a feed URL is shared and cached, so it is the same for everyone."""
    client = Client()
    if who == "member":
        client.force_login(world.member)
    elif who == "editor":
        client.force_login(StaffFactory())
    hidden_titles = {post.title for post in world.hidden}
    for name, kwargs in every_feed(world):
        for variant in VARIANTS:
            url = feed_url(name, variant, **kwargs)
            raw = client.get(url).content.decode()
            assert not any(title in raw for title in hidden_titles), url
            assert not any(post.get_absolute_url() in raw for post in world.hidden), url
            assert parse(client, url, atom="atom" in variant).entries, url


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_private_community_has_no_feed_even_for_its_members(world, variant):
    url = feed_url("communities:feed", variant, slug=world.private_community.slug)
    member = client_for(world.member)
    for client in (Client(), member):
        response = client.get(url)
        assert response.status_code == 404
        assert "<rss" not in response.content.decode() and "<feed" not in response.content.decode()
    # The 404 page names the community only in the member's own "My communities" menu.
    assert "Closed room" not in Client().get(url).content.decode()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("blog:category_feed", {"slug": "no-such-category"}),
        ("blog:tag_feed", {"slug": "no-such-tag"}),
        ("blog:author_feed", {"username": "nobody"}),
        ("communities:feed", {"slug": "no-such-community"}),
    ],
)
def test_feeds_of_unknown_things_are_404(client, name, kwargs):
    for variant in VARIANTS:
        assert client.get(feed_url(name, variant, **kwargs)).status_code == 404


def test_a_deactivated_authors_feed_is_404(client):
    gone = UserFactory(username="gone", is_active=False)
    PostFactory(author=gone)
    assert client.get(feed_url("blog:author_feed", username="gone")).status_code == 404


def test_an_empty_feed_is_still_a_valid_feed(client):
    CategoryFactory(name="Empty topic", slug="empty-topic")
    for variant in VARIANTS:
        feed = parse(
            client, feed_url("blog:category_feed", variant, slug="empty-topic"), atom="atom" in variant
        )
        assert feed.entries == []


def test_feeds_send_last_modified_for_conditional_requests(client, world):
    response = client.get(feed_url("blog:feed"))
    assert response["Last-Modified"]


def make_posts(n, author, community):
    for i in range(n):
        PostFactory(
            author=author,
            community=community if i % 2 else None,
            categories=[individual_learning(), organizational_learning()],
            tags=["shared", f"tag{i % 3}"],
        )


@pytest.mark.parametrize("variant", ["", "_atom_full"])
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("blog:feed", {}),
        ("blog:category_feed", {"slug": "individual-learning"}),
        ("blog:tag_feed", {"slug": "shared"}),
        ("blog:author_feed", {"username": "prolific"}),
        ("communities:feed", {"slug": "busy"}),
    ],
    ids=["latest", "category", "tag", "author", "community"],
)
def test_feed_queries_do_not_grow_with_posts(client, name, kwargs, variant):
    """Guards a query per item for its author, categories and tags (select_related, prefetch_related)."""
    author = UserFactory(username="prolific")
    community = CommunityFactory(slug="busy")
    url = feed_url(name, variant, **kwargs)
    make_posts(2, author, community)
    small = count_queries(client, url)
    make_posts(30, author, community)
    large = count_queries(client, url)
    assert_same_count(small, large)
    assert large.count <= 4


# Autodiscovery: <link rel="alternate"> in the page heads.


def head(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    return page[: page.index("</head>")]


def alternate(kind, title, url):
    return f'<link rel="alternate" type="application/{kind}+xml" title="{title}" href="{url}">'


def test_every_page_announces_the_sites_feeds(client, world):
    for url in (
        "/",
        world.newest.get_absolute_url(),
        reverse("communities:directory"),
        reverse("blog:archive"),
    ):
        page_head = head(client, url)
        assert alternate("rss", "Learning Together", "/feed/") in page_head
        assert alternate("atom", "Learning Together (Atom)", "/feed/atom/") in page_head


def test_list_pages_announce_their_own_feeds(client, world):
    category = individual_learning()
    assert alternate(
        "atom", "Individual learning · Learning Together (Atom)", f"/category/{category.slug}/feed/atom/"
    ) in head(client, category.get_absolute_url())
    tag_head = head(client, reverse("blog:tag", kwargs={"slug": "practice"}))
    assert alternate("rss", "Posts tagged “practice” · Learning Together", "/tag/practice/feed/") in tag_head
    author_head = head(client, reverse("blog:author", kwargs={"username": "writer"}))
    assert alternate("rss", "Posts by Wren Writer · Learning Together", "/author/writer/feed/") in author_head
    assert "/author/writer/feed/atom/" in head(client, world.author.get_absolute_url())
    community_head = head(client, world.public_community.get_absolute_url())
    assert alternate(
        "atom", "Open circle · Learning Together (Atom)", "/communities/open-circle/feed/atom/"
    ) in (community_head)


def test_a_private_community_page_announces_no_feed_of_its_own(world):
    member = client_for(world.member)
    page_head = head(member, world.private_community.get_absolute_url())
    assert "/communities/closed-room/feed/" not in page_head
    assert "/feed/atom/" in page_head  # the site's own feeds


def test_the_post_page_announces_its_comment_feeds_only_when_they_exist(world):
    member = client_for(world.member)
    page_head = head(member, world.newest.get_absolute_url())
    for name in ("comments:post_feed", "comments:post_feed_atom"):
        assert reverse(name, kwargs={"post_id": world.newest.pk}) in page_head
    for hidden in world.hidden[:2]:  # members-only, and a post of a private community: the member reads them
        page_head = head(member, hidden.get_absolute_url())
        assert f"/comments/post/{hidden.pk}/feed/" not in page_head


def test_every_announced_feed_parses(client, world):
    pages = [
        "/",
        individual_learning().get_absolute_url(),
        reverse("blog:tag", kwargs={"slug": "reflection"}),
        reverse("blog:author", kwargs={"username": "writer"}),
        world.public_community.get_absolute_url(),
        world.newest.get_absolute_url(),
    ]
    announced = set()
    for page in pages:
        for line in head(client, page).splitlines():
            if 'rel="alternate"' in line:
                kind = "atom" if "atom+xml" in line else "rss"
                announced.add((line.split('href="')[1].split('"')[0], kind))
    assert len(announced) == 12
    for url, kind in announced:
        parse(client, url, atom=kind == "atom")
