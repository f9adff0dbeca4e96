"""Date archives: /archive/ (months with counts), /<yyyy>/ and /<yyyy>/<mm>/.

They list and count only what the reader may see, in the site's time zone
(the one post addresses use), and answer 404 for empty or impossible dates.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community
from blog.models import Post
from testing.clients import client_for
from testing.factories import CommunityFactory, MembershipFactory, PostFactory, StaffFactory, UserFactory
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


def year_url(year):
    return reverse("blog:archive_year", kwargs={"year": year})


def month_url(year, month):
    return reverse("blog:archive_month", kwargs={"year": year, "month": month})


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


class ArchiveWorld:
    """Posts of 2023 and 2024, and the ones no visitor may read: members-only, in a private
    community, a draft and a scheduled one; ``member`` belongs to both communities."""

    def __init__(self):
        self.member = UserFactory(username="insider")
        circle = CommunityFactory(name="Circle")
        room = CommunityFactory(name="Room", visibility=Community.Visibility.PRIVATE)
        for community in (circle, room):
            MembershipFactory(community=community, member=self.member)
        self.march_a = PostFactory(title="March, first", publish_at=at(2023, 3, 2))
        self.march_b = PostFactory(title="March, second", publish_at=at(2023, 3, 20))
        self.july = PostFactory(title="July note", publish_at=at(2023, 7, 14))
        self.next_year = PostFactory(title="Next year's note", publish_at=at(2024, 1, 5))
        self.members_only = PostFactory(
            title="Members-only March notes",
            publish_at=at(2023, 3, 10),
            community=circle,
            visibility=Post.Visibility.MEMBERS,
        )
        self.private_room = PostFactory(
            title="Private room in May", publish_at=at(2023, 5, 10), community=room
        )
        self.draft = PostFactory(title="Draft in March", publish_at=at(2023, 3, 11), status=Post.Status.DRAFT)
        self.scheduled = PostFactory(
            title="Scheduled for later", publish_at=timezone.now() + timedelta(days=3)
        )


@pytest.fixture
def world():
    return ArchiveWorld()


def test_a_year_lists_its_readable_posts_newest_first_and_its_months(client, world):
    content = page(client, year_url(2023))
    titles = [world.july.title, world.march_b.title, world.march_a.title]
    positions = [content.index(title) for title in titles]
    assert positions == sorted(positions)
    for hidden in (world.members_only, world.private_room, world.draft, world.next_year):
        assert hidden.title not in content
    assert f'href="{month_url(2023, 3)}"' in content and f'href="{month_url(2023, 7)}"' in content
    assert f'href="{month_url(2023, 5)}"' not in content  # only a private community's post that month
    assert f'href="{year_url(2024)}" rel="next"' in content
    assert "<title>Posts from 2023 · Learning Together</title>" in content


def test_a_month_lists_its_readable_posts_with_links_to_neighbouring_months(client, world):
    content = page(client, month_url(2023, 3))
    assert content.index(world.march_b.title) < content.index(world.march_a.title)
    assert world.july.title not in content
    assert world.members_only.title not in content and world.draft.title not in content
    assert f'href="{month_url(2023, 7)}" rel="next"' in content
    assert 'rel="prev"' not in content.split("<main")[1].split("</header>")[0]
    assert "<title>Posts from March 2023 · Learning Together</title>" in content


def test_members_see_members_only_posts_in_the_archives(world):
    member = client_for(world.member)
    assert world.members_only.title in page(member, month_url(2023, 3))
    assert world.private_room.title in page(member, month_url(2023, 5))
    assert world.draft.title not in page(member, month_url(2023, 3))  # archives list published posts only


def test_empty_and_impossible_dates_are_404(client, world):
    for url in (
        year_url(2019),
        month_url(2023, 4),
        month_url(2023, 5),  # its only post is a private community's
        month_url(2023, 13),
        month_url(2023, 0),
        "/2023/3/",
        "/23/03/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(month_url(2023, 5)).status_code == 404
    editor = client_for(StaffFactory())
    assert editor.get(month_url(2023, 5)).status_code == 200


def test_scheduled_posts_wait_for_their_date(client, world):
    local = timezone.localtime(world.scheduled.publish_at)
    for url in (month_url(local.year, local.month), year_url(local.year), reverse("blog:archive")):
        assert world.scheduled.title not in client.get(url).content.decode()
    author = client_for(world.scheduled.author)
    assert world.scheduled.title not in author.get(month_url(local.year, local.month)).content.decode()


def month_counts(content):
    """{(year, month name): count} from the archive page's links."""
    counts = {}
    for line in content.split("<li>")[1:]:
        line = line.split("</li>")[0]
        if "/archive/" in line or "(" not in line:
            continue
        href = line.split('href="')[1].split('"')[0]
        counts[href] = int(line.split("(")[1].split(" ")[0])
    return counts


def test_the_archive_page_counts_only_what_the_reader_may_see(client, world):
    anonymous = month_counts(page(client, reverse("blog:archive")))
    assert anonymous == {month_url(2024, 1): 1, month_url(2023, 7): 1, month_url(2023, 3): 2}
    member = client_for(world.member)
    assert month_counts(page(member, reverse("blog:archive"))) == {
        month_url(2024, 1): 1,
        month_url(2023, 7): 1,
        month_url(2023, 5): 1,
        month_url(2023, 3): 3,
    }
    outsider = client_for(UserFactory())
    assert month_counts(page(outsider, reverse("blog:archive"))) == anonymous


def test_the_archive_page_groups_months_by_year(client, world):
    content = page(client, reverse("blog:archive"))
    assert content.index(f'href="{year_url(2024)}"') < content.index(f'href="{year_url(2023)}"')
    assert "March" in content and "2 posts" in content and "1 post)" in content


def test_the_archive_page_without_posts(client):
    assert "No posts yet." in page(client, reverse("blog:archive"))


def test_months_follow_the_sites_time_zone_like_post_addresses(client, settings):
    """31 March 2023, 20:00 UTC is already 1 April in Auckland: the post is an April post."""
    settings.TIME_ZONE = "Pacific/Auckland"
    post = PostFactory(title="Late March in UTC", publish_at=at(2023, 3, 31, 20))
    assert post.get_absolute_url().startswith("/2023/04/01/")
    assert post.title in page(client, month_url(2023, 4))
    assert client.get(month_url(2023, 3)).status_code == 404
    assert month_counts(page(client, reverse("blog:archive"))) == {month_url(2023, 4): 1}
    assert page(client, post.get_absolute_url())


def test_archive_pages_paginate(client, settings):
    for day in range(1, 13):
        PostFactory(title=f"Daily note {day:02}", publish_at=at(2022, 6, day))
    first = page(client, month_url(2022, 6))
    second = page(client, month_url(2022, 6) + "?page=2")
    assert "Daily note 12" in first and "Daily note 01" not in first
    assert "Daily note 01" in second
    assert client.get(month_url(2022, 6) + "?page=3").status_code == 404


def test_the_post_page_links_to_its_month(client, world):
    content = page(client, world.march_a.get_absolute_url())
    assert f'href="{month_url(2023, 3)}"' in content
    assert f'href="{reverse("blog:archive")}"' in content


def grow(n, offset=0):
    for i in range(n):
        PostFactory(
            publish_at=at(2021 + (i % 2), 1 + (i + offset) % 12, 1 + i % 27), tags=[f"tag{i}", "shared"]
        )


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
@pytest.mark.parametrize("url", ["archive", "year", "month"])
def test_archive_queries_do_not_grow_with_posts(client, url, signed_in):
    """Guards a query per month (the archive's counts are one aggregate) and per post card
    (author, categories and tags are fetched once for the page)."""
    if signed_in:
        client.force_login(UserFactory())
    target = {"archive": reverse("blog:archive"), "year": year_url(2021), "month": month_url(2021, 1)}[url]
    grow(4)
    small = count_queries(client, target)
    grow(40, offset=1)
    large = count_queries(client, target)
    assert_same_count(small, large)
    # The archive: one aggregate. Year and month: exists, months or days, previous and next,
    # count, page, categories, tags. Signed in: session, member, the navigation's communities.
    assert large.count <= (1 if url == "archive" else 8) + (3 if signed_in else 0), large.sql
