"""sitemap.xml (an index of one sitemap per section) and robots.txt.

The sitemap lists what a visitor who is not signed in may open, whoever asks:
never a members-only post, a post of a private community, a draft or a
scheduled post, a private community, a tag used only on hidden posts, or the
profile of a deactivated member.
"""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community
from blog import sitemaps
from blog.models import Category, Post
from comments.models import Comment
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    StaffFactory,
    UserFactory,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
HOST = "http://testserver"
SECTIONS = ["posts", "categories", "tags", "communities", "members"]


def xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)  # noqa: S314 - our own sitemap, in a test


def index_locations(client):
    root = xml(client, reverse("sitemap"))
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    return [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]


def section(client, name, page=None):
    url = reverse("sitemap_section", kwargs={"section": name}) + (f"?p={page}" if page else "")
    root = xml(client, url)
    return {
        entry.findtext("sm:loc", namespaces=NS): entry.findtext("sm:lastmod", namespaces=NS)
        for entry in root.findall("sm:url", NS)
    }


def all_locations(client):
    return {loc for name in SECTIONS for loc in section(client, name)}


class SitemapWorld:
    """Public posts and comments, and what no sitemap may list: members-only, private, draft and
    scheduled posts, a member with no public work, one who works behind closed doors, one gone."""

    def __init__(self):
        now = timezone.now()
        self.writer = UserFactory(username="writer")
        self.commenter = UserFactory(username="commenter")
        self.lurker = UserFactory(username="lurker")  # no public work
        self.secretive = UserFactory(username="secretive")  # writes and comments behind closed doors only
        self.gone = UserFactory(username="gone")
        self.public_community = CommunityFactory(name="Open circle", slug="open-circle")
        self.private_community = CommunityFactory(
            name="Closed room", slug="closed-room", visibility=Community.Visibility.PRIVATE
        )
        MembershipFactory(community=self.private_community, member=self.secretive)
        self.public_posts = [
            PostFactory(title="Public note", author=self.writer, tags=["open-tag"]),
            PostFactory(
                title="Open circle note",
                author=self.writer,
                community=self.public_community,
                tags=["open-tag", "circle"],
                publish_at=now - timedelta(days=5),
            ),
        ]
        CommentFactory(post=self.public_posts[0], author=self.commenter)
        CommentFactory(post=self.public_posts[0], author=self.lurker, status=Comment.Status.PENDING)
        self.public_posts.append(PostFactory(title="Still published", author=self.gone))  # the post stays
        CommentFactory(post=self.public_posts[0], author=self.gone)
        self.gone.is_active = False
        self.gone.save()
        self.hidden_posts = [
            PostFactory(
                title="Members-only",
                author=self.secretive,
                community=self.public_community,
                visibility=Post.Visibility.MEMBERS,
                tags=["secret-tag"],
            ),
            PostFactory(title="In a private room", author=self.secretive, community=self.private_community),
            PostFactory(title="Draft", author=self.secretive, status=Post.Status.DRAFT, tags=["draft-tag"]),
            PostFactory(title="Scheduled", author=self.secretive, publish_at=now + timedelta(days=1)),
        ]
        CommentFactory(post=self.hidden_posts[1], author=self.secretive)


@pytest.fixture
def world():
    return SitemapWorld()


def test_robots_txt_allows_all_but_private_areas_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Allow: /" in lines
    for path in ("/admin/", "/accounts/", "/comments/moderation/", "/write/"):
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {HOST}/sitemap.xml" in lines
    assert not any(line.strip() == "Disallow: /" for line in lines)


def test_robots_txt_names_the_host_and_scheme_it_was_asked_on(client, settings):
    settings.ALLOWED_HOSTS = ["learn.example.org"]
    response = client.get("/robots.txt", HTTP_HOST="learn.example.org", secure=True)
    assert "Sitemap: https://learn.example.org/sitemap.xml" in response.content.decode().splitlines()


def test_the_index_lists_a_sitemap_per_section(client, world):
    assert index_locations(client) == [f"{HOST}/sitemap-{name}.xml" for name in SECTIONS]
    assert client.get(reverse("sitemap_section", kwargs={"section": "nope"})).status_code == 404


def test_posts_are_the_public_published_ones_with_lastmod(client, world):
    posts = section(client, "posts")
    assert set(posts) == {HOST + post.get_absolute_url() for post in world.public_posts}
    for post in world.public_posts:  # Django's sitemap template writes the date only
        last_change = timezone.localtime(max(post.updated, post.publish_at))
        assert posts[HOST + post.get_absolute_url()] == last_change.date().isoformat()


def test_categories_tags_and_communities(client, world):
    categories = section(client, "categories")
    assert set(categories) == {HOST + category.get_absolute_url() for category in Category.objects.all()}
    tags = section(client, "tags")
    assert set(tags) == {f"{HOST}/tag/circle/", f"{HOST}/tag/open-tag/"}
    assert all(tags.values())
    communities = section(client, "communities")
    assert set(communities) == {HOST + world.public_community.get_absolute_url()}
    assert all(communities.values())


def test_profiles_of_active_members_with_public_posts_or_approved_comments(client, world):
    members = section(client, "members")
    assert set(members) == {HOST + member.get_absolute_url() for member in (world.commenter, world.writer)}
    assert members[HOST + world.writer.get_absolute_url()]  # dated by the latest post
    assert members[HOST + world.commenter.get_absolute_url()] is None


@pytest.mark.parametrize("who", ["anonymous", "member", "editor"])
def test_nothing_hidden_is_listed_whoever_asks(world, who):
    client = Client()
    if who == "member":
        client.force_login(world.secretive)
    elif who == "editor":
        client.force_login(StaffFactory())
    locations = all_locations(client)
    for post in world.hidden_posts:
        assert HOST + post.get_absolute_url() not in locations
    for text in ("secret-tag", "draft-tag", "closed-room", "/members/secretive/", "/members/gone/", "lurker"):
        assert not any(text in location for location in locations), text
    raw = b"".join(
        client.get(reverse("sitemap_section", kwargs={"section": name})).content for name in SECTIONS
    )
    assert b"Members-only" not in raw and b"Closed room" not in raw


def test_long_sections_are_paginated_and_the_index_lists_every_page(client, world, monkeypatch):
    monkeypatch.setattr(sitemaps.PortalSitemap, "limit", 2)
    PostFactory.create_batch(2)  # 5 public posts: 3 pages of 2
    locations = index_locations(client)
    assert [location for location in locations if "sitemap-posts" in location] == [
        f"{HOST}/sitemap-posts.xml",
        f"{HOST}/sitemap-posts.xml?p=2",
        f"{HOST}/sitemap-posts.xml?p=3",
    ]
    pages = [section(client, "posts", page) for page in (None, 2, 3)]
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = set().union(*pages)
    assert listed == {HOST + post.get_absolute_url() for post in Post.objects.visible_to(None).published()}
    assert client.get(reverse("sitemap_section", kwargs={"section": "posts"}) + "?p=4").status_code == 404


def grow(n):
    community = CommunityFactory()
    for i in range(n):
        post = PostFactory(tags=[f"tag{i}", "shared"], community=community if i % 2 else None)
        CommentFactory(post=post)


@pytest.mark.parametrize("name", [None, *SECTIONS])
def test_sitemap_queries_do_not_grow_with_the_site(client, name):
    """Guards a query per URL for its lastmod or location (annotations, not per-item lookups)."""
    url = reverse("sitemap") if name is None else reverse("sitemap_section", kwargs={"section": name})
    grow(2)
    small = count_queries(client, url)
    grow(20)
    large = count_queries(client, url)
    assert_same_count(small, large)
