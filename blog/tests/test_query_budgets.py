"""Every page runs the same number of SQL queries whatever the size of the data.

Each test renders a page at two data sizes and compares the query counts, so
an N+1 (a query per post, per comment, per tag) shows up as a difference.
Each count is on a cold cache (the page's whole budget: sidebars and tag
weights are cached).
"""

import pytest
from django.urls import reverse

from testing.factories import CommentFactory, PostFactory, UserFactory, individual_learning
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db


def make_posts(n):
    return [PostFactory(tags=[f"tag{i % 4}", "shared"]) for i in range(n)]


def test_home_page_queries_do_not_grow_with_posts(client):
    """Guards the N+1 of author, categories and tags per post card (select/prefetch)."""
    make_posts(5)
    small = count_queries(client, reverse("blog:home"), cold_cache=True)
    make_posts(45)
    large = count_queries(client, reverse("blog:home"), cold_cache=True)
    assert_same_count(small, large)
    assert large.count <= 8


@pytest.mark.parametrize(
    "url",
    [
        lambda: individual_learning().get_absolute_url(),
        lambda: reverse("blog:tag", kwargs={"slug": "shared"}),
    ],
    ids=["category", "tag"],
)
def test_list_pages_queries_do_not_grow_with_posts(client, url):
    """Guards per-post queries on category and tag pages."""
    make_posts(5)
    small = count_queries(client, url(), cold_cache=True)
    make_posts(45)
    large = count_queries(client, url(), cold_cache=True)
    assert_same_count(small, large)


def test_author_page_queries_do_not_grow_with_posts(client):
    author = UserFactory(username="prolific")
    for _ in range(3):
        PostFactory(author=author, tags=["a", "b"])
    small = count_queries(client, reverse("blog:author", kwargs={"username": "prolific"}), cold_cache=True)
    for _ in range(30):
        PostFactory(author=author, tags=["a", "b"])
    large = count_queries(client, reverse("blog:author", kwargs={"username": "prolific"}), cold_cache=True)
    assert_same_count(small, large)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_post_page_queries_do_not_grow_with_comments(client, signed_in):
    """Guards a query per comment author (select_related) and per related post."""
    if signed_in:
        client.force_login(UserFactory())
    post = PostFactory(tags=["networks", "reflection"])
    make_posts(3)
    CommentFactory(post=post)
    small = count_queries(client, post.get_absolute_url(), cold_cache=True)
    for _ in range(49):
        CommentFactory(post=post)
    make_posts(10)
    large = count_queries(client, post.get_absolute_url(), cold_cache=True)
    assert_same_count(small, large)
    assert "50 comments" in client.get(post.get_absolute_url()).content.decode()
    assert large.count <= (19 if signed_in else 13)
