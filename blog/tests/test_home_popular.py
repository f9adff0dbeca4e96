"""The home page's "Most discussed this month" and tag cloud: what they list, and that they are cached."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from blog.views.posts import most_discussed_posts, tag_cloud
from comments.models import Comment
from testing.clients import client_for
from testing.factories import CommentFactory, CommunityFactory, PostFactory, UserFactory
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db
HOME = reverse("blog:home")


def comments(post, n, *, days_ago=1, **kwargs):
    made = CommentFactory.create_batch(n, post=post, **kwargs)
    # created is set on insert; move these back in time as if written then.
    Comment.objects.filter(pk__in=[c.pk for c in made]).update(
        created=timezone.now() - timedelta(days=days_ago)
    )


# --- Most discussed this month --------------------------------------------------------------


def test_most_discussed_ranks_public_posts_by_this_months_counted_comments():
    PostFactory(title="Quiet")  # no comments: not listed
    lively = PostFactory(title="Lively")
    steady = PostFactory(title="Steady")
    old_talk = PostFactory(title="Old talk")
    held = PostFactory(title="Held back")
    inner = PostFactory(
        title="Inner circle", community=CommunityFactory(), visibility=Post.Visibility.MEMBERS
    )
    comments(lively, 3, days_ago=2)
    comments(steady, 2, days_ago=29)
    comments(steady, 5, days_ago=31)  # before this month: not counted
    comments(old_talk, 9, days_ago=45)
    comments(held, 4, status=Comment.Status.PENDING)
    comments(held, 1)
    comments(held, 3, removed_at=timezone.now())  # removed by a moderator: not counted
    comments(inner, 10)  # members-only: never in the public list

    assert most_discussed_posts() == [
        {"title": "Lively", "url": Post.objects.get(title="Lively").get_absolute_url(), "comments": 3},
        {"title": "Steady", "url": Post.objects.get(title="Steady").get_absolute_url(), "comments": 2},
        {"title": "Held back", "url": Post.objects.get(title="Held back").get_absolute_url(), "comments": 1},
    ]


def test_most_discussed_shows_five_on_the_home_page():
    for n in range(1, 8):
        comments(PostFactory(title=f"Talked about {n} times"), n)

    page = Client().get(HOME).content.decode()

    assert "Most discussed this month" in page
    for n in range(3, 8):
        assert f"Talked about {n} times" in page.split("Most discussed this month")[1]
    assert "Talked about 2 times" not in page.split("Most discussed this month")[1]
    assert "7 comments" in page


def test_no_most_discussed_section_without_comments():
    PostFactory()

    assert "Most discussed this month" not in Client().get(HOME).content.decode()


# --- The tag cloud ---------------------------------------------------------------------------


def test_the_tag_cloud_weighs_the_tags_of_public_posts():
    for _ in range(8):
        PostFactory(tags=["everywhere"])
    PostFactory(tags=["everywhere", "sometimes"])
    PostFactory(tags=["sometimes", "once"])
    PostFactory(tags=["secret"], community=CommunityFactory(), visibility=Post.Visibility.MEMBERS)
    PostFactory(tags=["unpublished"], status=Post.Status.DRAFT)

    cloud = tag_cloud()

    assert [(t["name"], t["count"], t["weight"]) for t in cloud] == [
        ("everywhere", 9, 5),  # alphabetical; the most used is the largest
        ("once", 1, 1),
        ("sometimes", 2, 2),  # log scale: 2 of 9 is a step up from 1
    ]
    assert cloud[0]["css_class"] == "fs-4 fw-semibold" and cloud[1]["css_class"] == "small"


def test_the_tag_cloud_keeps_the_thirty_most_used_tags():
    for i in range(35):
        PostFactory(tags=[f"tag{i:02d}"] + (["popular"] if i < 20 else []))

    cloud = tag_cloud()

    assert len(cloud) == 30
    assert "popular" in [t["name"] for t in cloud]


def test_the_home_page_shows_the_cloud_to_members_and_visitors_alike():
    PostFactory(tags=["networks"])
    PostFactory(tags=["secret"], community=CommunityFactory(), visibility=Post.Visibility.MEMBERS)
    member = UserFactory()
    client = client_for(member)

    for page in (Client().get(HOME).content.decode(), client.get(HOME).content.decode()):
        assert reverse("blog:tag", kwargs={"slug": "networks"}) in page
        assert reverse("blog:tag", kwargs={"slug": "secret"}) not in page


# --- Caching -------------------------------------------------------------------------------


def test_the_second_request_runs_fewer_queries():
    """Most discussed, the tag cloud, the topics' counts and the next scheduled post come from the cache."""
    comments(PostFactory(tags=["networks"]), 2)
    client = Client()

    first, second = count_queries(client, HOME), count_queries(client, HOME)

    assert second.count == first.count - 4
    assert first.response.context["most_discussed"] == second.response.context["most_discussed"]
    assert first.response.context["tag_cloud"] == second.response.context["tag_cloud"]


def test_a_new_public_post_refreshes_the_cloud_at_once_comments_wait_for_the_timeout():
    post = PostFactory(tags=["networks"])
    client = Client()
    count_queries(client, HOME)

    comments(post, 1)
    page = client.get(HOME).content.decode()
    assert "Most discussed this month" not in page  # cached for HOME_CACHE_SECONDS

    PostFactory(tags=["reflection"])
    page = count_queries(client, HOME).response.content.decode()
    assert reverse("blog:tag", kwargs={"slug": "reflection"}) in page
    assert "Most discussed this month" in page


def test_home_page_queries_do_not_grow_with_comments_and_tags():
    """Guards a query per listed post or per tag in the sidebar (cold cache at both sizes)."""
    for i in range(3):
        comments(PostFactory(tags=[f"t{i}"]), 2)
    small = count_queries(Client(), HOME)
    for i in range(30):
        comments(PostFactory(tags=[f"u{i}", "shared"]), 3)
    large = count_queries(Client(), HOME)

    assert_same_count(small, large)


def test_my_feed_link_for_members_only():
    member = UserFactory()
    client = client_for(member)

    assert reverse("blog:my_feed") in client.get(HOME).content.decode()
    assert reverse("blog:my_feed") not in Client().get(HOME).content.decode()
