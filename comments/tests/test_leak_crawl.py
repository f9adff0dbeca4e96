"""Nothing of a members-only post reaches a non-member, on any page a visitor can reach.

Rather than naming the surfaces that might leak (lists, counts, related posts,
tag clouds, profiles, feeds...), the test crawls the site the way a visitor
or a search engine would: every same-site link reachable from the home page,
feeds included, as an anonymous visitor and as a signed-in member of no
community. No page may show the title, a comment or a reply of the
members-only posts, nor link to them; the posts themselves answer 404, not
403, so that their existence is not confirmed either.

The test also checks that the crawl reached the pages that would leak, so
that it cannot pass by visiting nothing, and, as the positive control, that
a member of the community does see what the others may not.
"""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Community, Membership
from blog.models import Post
from comments.services import comment_submit
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)

pytestmark = pytest.mark.django_db

MAX_PAGES = 500
HOST = "testserver"
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/")
SHARED_TAGS = ["shared-practice", "reflection"]

PRIVATE_TITLE = "Quarantined handover notes of ward nine"
PRIVATE_COMMENT = "Zanzibar protocol was skipped twice on night shift"
PRIVATE_REPLY = "Xylophone checklist should fix the night shift"
PUBLIC_TITLE = "Embargoed salary review of the open circle"
PUBLIC_COMMENT = "Quokka budget line stays between us"
PUBLIC_REPLY = "Wombat figures confirmed by the treasurer"
SECRETS = [PRIVATE_TITLE, PRIVATE_COMMENT, PRIVATE_REPLY, PUBLIC_TITLE, PUBLIC_COMMENT, PUBLIC_REPLY]

OPEN_TITLE = "Learning in the open, a public note"
OPEN_COMMENT = "The author answers in public too"


class Links(HTMLParser):
    """Every ``href`` of a page: links, ``<link rel=...>`` (feeds, canonical) and the rest."""

    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "href" and value:
                self.hrefs.append(value)


def hrefs_of(response):
    content_type = response.get("Content-Type", "")
    body = response.content.decode()
    if "xml" in content_type:  # RSS: <link>url</link> in the channel and each item, plus any href
        root = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed, in a test
        found = [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "link" and el.text]
        return found + [el.get("href") for el in root.iter() if el.get("href")]
    if "html" not in content_type:
        return []
    parser = Links()
    parser.feed(body)
    return parser.hrefs


def normalize(base, href):
    """The same-site address ``href`` points to, or None for other sites and pages not to crawl."""
    if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("http", "https", "") or (url.netloc and url.netloc != HOST):
        return None
    path = url.path or "/"
    if path.startswith(SKIPPED_PREFIXES) or path == reverse("account_logout"):
        return None
    # ``?next=`` makes every sign-in link unique; one sign-in page is enough.
    query = urlencode([(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "next"])
    return urlunsplit(("", "", path, query, ""))


def crawl(client):
    """Breadth-first over every same-site link from the home page. Returns {url: response}."""
    seen, queue, pages = {"/"}, deque(["/"]), {}
    while queue:
        url = queue.popleft()
        response = client.get(url)
        pages[url] = response
        assert response.status_code < 500, url
        assert len(pages) < MAX_PAGES, "the crawl does not end: a link generator?"
        targets = hrefs_of(response) if response.status_code == 200 else []
        if response.status_code in (301, 302):
            targets = [response["Location"]]
        for href in targets:
            target = normalize(url, href)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


class LeakCrawlWorld:
    """A private and a public community, each with a members-only post, and public content around them."""

    def __init__(self):
        self.author = UserFactory(username="leaky-author", display_name="Lee Author")
        self.insider = UserFactory(username="insider", display_name="Ina Insider")
        self.private = CommunityFactory(
            name="Ward nine",
            slug="ward-nine",
            visibility=Community.Visibility.PRIVATE,
            join_policy=Community.JoinPolicy.REQUEST,
            owner=self.author,
        )
        self.public = CommunityFactory(name="Open circle", slug="open-circle", owner=self.author)
        for community in (self.private, self.public):
            MembershipFactory(community=community, member=self.insider)
        both = [individual_learning(), organizational_learning()]
        # The author's public comment first, so their later comments publish at once.
        self.open_post = PostFactory(
            title=OPEN_TITLE, author=self.author, categories=both, tags=SHARED_TAGS, community=self.public
        )
        CommentFactory(post=self.open_post, author=self.author, body=OPEN_COMMENT)
        self.secret_posts = []
        for community, title, comment, reply in (
            (self.private, PRIVATE_TITLE, PRIVATE_COMMENT, PRIVATE_REPLY),
            (self.public, PUBLIC_TITLE, PUBLIC_COMMENT, PUBLIC_REPLY),
        ):
            post = PostFactory(
                title=title,
                author=self.author,
                community=community,
                visibility=Post.Visibility.MEMBERS,
                categories=both,
                tags=SHARED_TAGS,
            )
            parent = CommentFactory(post=post, author=self.insider, body=comment)
            answer = comment_submit(post=post, author=self.author, body=reply, parent=parent)
            assert answer.is_approved
            self.secret_posts.append(post)
        # Enough public posts for every list to have a second page.
        for n in range(12):
            PostFactory(title=f"Filler note {n}", categories=both, tags=SHARED_TAGS)
        self.secret_urls = [post.get_absolute_url() for post in self.secret_posts]

    def must_visit(self):
        """The pages where a members-only post would show if a rule were missing."""
        return {
            "home": "/",
            "home, page 2": "/?page=2",
            "category": individual_learning().get_absolute_url(),
            "other category": organizational_learning().get_absolute_url(),
            "tag": reverse("blog:tag", kwargs={"slug": SHARED_TAGS[0]}),
            "tag, page 2": reverse("blog:tag", kwargs={"slug": SHARED_TAGS[0]}) + "?page=2",
            "author": reverse("blog:author", kwargs={"username": self.author.username}),
            "profile": self.author.get_absolute_url(),
            "commenter's profile": self.insider.get_absolute_url(),
            "community directory": reverse("communities:directory"),
            "public community": self.public.get_absolute_url(),
            "public post": self.open_post.get_absolute_url(),
            "its comment feed": reverse("comments:post_feed", kwargs={"post_id": self.open_post.pk}),
        }


@pytest.fixture
def world():
    return LeakCrawlWorld()


def visitor(kind):
    if kind == "non-member":
        return client_for(UserFactory(username="curious", display_name="Curious Visitor"))
    return client_for()


@pytest.mark.parametrize("kind", ["anonymous", "non-member"])
def test_no_page_reachable_from_home_leaks_a_members_only_post(world, kind):
    client = visitor(kind)

    pages = crawl(client)

    visited = {url for url, response in pages.items() if response.status_code == 200}
    missing = {name: url for name, url in world.must_visit().items() if url not in visited}
    assert not missing, f"the crawl never reached {missing}; it visited {sorted(visited)}"
    for url, response in pages.items():
        body = response.content.decode(errors="replace")
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} leaks on {url}"
        for secret_url in world.secret_urls:
            assert secret_url not in body, f"{url} links to the members-only post {secret_url}"
    assert world.private.get_absolute_url() not in visited
    for post in world.secret_posts:
        feed = reverse("comments:post_feed", kwargs={"post_id": post.pk})
        assert post.get_absolute_url() not in pages and feed not in pages


@pytest.mark.parametrize("kind", ["anonymous", "non-member"])
def test_members_only_posts_are_404_not_403(world, kind):
    client = visitor(kind)
    for post in world.secret_posts:
        for url in (post.get_absolute_url(), reverse("comments:post_feed", kwargs={"post_id": post.pk})):
            response = client.get(url)
            assert response.status_code == 404, url
            body = response.content.decode()
            assert not any(secret in body for secret in SECRETS), url
    assert client.get(world.private.get_absolute_url()).status_code == 404


def test_a_member_sees_what_the_others_may_not(world):
    """The positive control: the same strings are on the pages, for those allowed to read them."""
    member = client_for(world.insider)

    private_page = member.get(world.private.get_absolute_url()).content.decode()
    public_page = member.get(world.public.get_absolute_url()).content.decode()
    assert PRIVATE_TITLE in private_page
    assert PUBLIC_TITLE in public_page
    for post, texts in zip(world.secret_posts, [SECRETS[:3], SECRETS[3:]], strict=True):
        page = member.get(post.get_absolute_url()).content.decode()
        assert all(text in page for text in texts), post.title
    profile = member.get(world.author.get_absolute_url()).content.decode()
    assert PRIVATE_REPLY in profile and OPEN_COMMENT in profile
    assert Membership.objects.filter(member=world.insider).count() == 2


def test_the_page_cache_never_hands_a_members_page_to_a_visitor(world, settings):
    """With the anonymous page cache on (core/page_cache.py): members browse first, then visitors twice."""
    settings.PAGE_CACHE_SECONDS = 600
    insider = client_for(world.insider)
    crawl(insider)

    crawl(Client())
    again = crawl(Client())

    hits = [url for url, response in again.items() if response.get("X-Page-Cache") == "hit"]
    assert len(hits) > 10, f"the second crawl was hardly served from the cache: {hits}"
    assert_no_secret_on(again)


def assert_no_secret_on(pages, whom="a visitor"):
    for url, response in pages.items():
        body = response.content.decode(errors="replace")
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} shown to {whom} on {url}"


def test_members_cached_pages_never_reach_another_member_or_outlive_a_membership(world, settings):
    """With the members' page cache on too: an insider's copies stay theirs, and go with their membership."""
    settings.PAGE_CACHE_SECONDS = 600
    settings.MEMBER_PAGE_CACHE_SECONDS = 300
    insider = client_for(world.insider)
    crawl(insider)
    crawl(insider)

    outsider = visitor("non-member")
    crawl(outsider)
    again = crawl(outsider)
    hits = [url for url, response in again.items() if response.get("X-Page-Cache") == "hit"]
    assert len(hits) > 10, f"the outsider's second crawl was hardly served from their cached pages: {hits}"
    assert_no_secret_on(again, "a non-member")

    Membership.objects.filter(member=world.insider).delete()
    assert_no_secret_on(crawl(insider), "the former member")
