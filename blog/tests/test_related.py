"""Related posts: ranked by rare shared tags, shared categories and recency, in one query.

The expected order below is worked out by hand from the formula in
``blog.related.related_posts``:

    score = sum over shared tags of log(N / n_tag) + 0.5 per shared category + recency bonus

with N the public published posts and n_tag those of them with the tag.
"""

import math
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from blog import related as related_module
from blog.models import Post
from blog.related import related_posts, tag_weights
from testing.factories import (
    CommunityFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def posts():
    """The post (tags rare and common, category Individual) and seven others, one unrelated."""
    ind, org = [individual_learning()], [organizational_learning()]
    made = {
        "post": PostFactory(title="post", tags=["rare", "common"], categories=ind, publish_at=days_ago(400)),
        "both": PostFactory(title="both", tags=["rare", "common"], categories=org, publish_at=days_ago(800)),
        "common_same_category_new": PostFactory(
            title="common_same_category_new", tags=["common"], categories=ind, publish_at=days_ago(2)
        ),
        "rare_old": PostFactory(title="rare_old", tags=["rare"], categories=org, publish_at=days_ago(200)),
        "rare_new": PostFactory(title="rare_new", tags=["rare"], categories=org, publish_at=days_ago(3)),
        "common_new": PostFactory(
            title="common_new", tags=["common"], categories=org, publish_at=days_ago(20)
        ),
        "common_old": PostFactory(
            title="common_old", tags=["common"], categories=org, publish_at=days_ago(1500)
        ),
        "category_only": PostFactory(
            title="category_only", tags=["other"], categories=ind, publish_at=days_ago(1000)
        ),
        "unrelated": PostFactory(title="unrelated", tags=["other"], categories=org, publish_at=days_ago(1)),
    }
    # Neither ranked nor counted in N: a draft with the rare tag.
    PostFactory(title="draft", tags=["rare"], status=Post.Status.DRAFT)
    return made


def related(post, base):
    return list(
        related_posts(
            base,
            post,
            tag_ids=[tag.pk for tag in post.tags.all()],
            category_ids=[category.pk for category in post.categories.all()],
        )
    )


def test_related_posts_are_ranked_by_tag_rarity_category_and_recency(posts):
    ranked = related(posts["post"], Post.objects.visible_to(None).published())

    # N = 9 published posts; "rare" is on 4 of them, "common" on 5.
    rare, common = math.log(9 / 4), math.log(9 / 5)  # 0.811, 0.588
    expected_scores = {
        "both": rare + common,  # 1.399: two shared tags, two years old
        "common_same_category_new": common + 0.5 + 0.3,  # 1.388: the category and last week
        "rare_new": rare + 0.3,  # 1.111
        "rare_old": rare + 0.1,  # 0.911: a rare tag beats a newer common one...
        "common_new": common + 0.25,  # 0.838
        "common_old": common,  # 0.588
        "category_only": 0.5,  # 0.5
    }
    assert [post.title for post in ranked] == [
        "both",
        "common_same_category_new",
        "rare_new",
        "rare_old",
        "common_new",
        "common_old",
        "category_only",
    ]
    for post in ranked:
        assert post.related_score == pytest.approx(expected_scores[post.title])


def test_weights_count_public_posts_only_and_members_see_their_posts_ranked_with_them(posts):
    """A members-only post with the rare tag is ranked for its community's members only.

    The tag weights are counted among public posts, the same for every reader,
    so a members-only post changes neither what visitors see nor the weights.
    """
    community = CommunityFactory(owner=UserFactory())
    insider = MembershipFactory(community=community).member
    PostFactory(
        title="inside",
        tags=["rare"],
        categories=[organizational_learning()],
        community=community,
        visibility=Post.Visibility.MEMBERS,
        publish_at=days_ago(1000),
    )

    for_visitors = {
        p.title: p.related_score for p in related(posts["post"], Post.objects.visible_to(None).published())
    }
    for_insider = {
        p.title: p.related_score for p in related(posts["post"], Post.objects.visible_to(insider).published())
    }

    assert "inside" not in for_visitors
    # N = 9 public posts, "rare" on 4 of them.
    assert for_visitors["rare_old"] == pytest.approx(math.log(9 / 4) + 0.1)
    assert for_insider["rare_old"] == pytest.approx(math.log(9 / 4) + 0.1)
    assert for_insider["inside"] == pytest.approx(math.log(9 / 4))


def test_tag_weights_are_counted_once_and_then_cached(posts, django_assert_num_queries):
    rare = Tag.objects.get(name="rare")
    with django_assert_num_queries(1):
        first = tag_weights([rare.pk])
    with django_assert_num_queries(0):
        assert tag_weights([rare.pk]) == first


def test_candidates_are_bounded_to_the_latest_posts_of_each_tag_and_of_the_categories(posts, monkeypatch):
    """However many posts share a tag, only the most recently added ones are ranked."""
    monkeypatch.setattr(related_module, "CANDIDATES_PER_TAG", 1)
    monkeypatch.setattr(related_module, "CANDIDATES_BY_CATEGORY", 1)
    titles = {p.title for p in related(posts["post"], Post.objects.visible_to(None).published())}
    # The post last added to "rare" and to Individual learning is the draft (not
    # shown); the one last added to "common" is common_old.
    assert titles == {"common_old"}


def test_equal_scores_go_to_the_newer_post():
    PostFactory(title="other", tags=["x"], publish_at=days_ago(2000))  # so that "t" is not on every post
    post = PostFactory(title="post", tags=["t"])
    older = PostFactory(title="older", tags=["t"], publish_at=days_ago(1200))
    newer = PostFactory(title="newer", tags=["t"], publish_at=days_ago(900))

    assert related(post, Post.objects.published())[:2] == [newer, older]


def test_a_post_without_tags_or_categories_has_no_related_posts():
    post = PostFactory(categories=[])
    PostFactory()

    assert related(post, Post.objects.published()) == []


def test_a_post_with_categories_only_ranks_by_category_then_recency():
    post = PostFactory(tags=[])
    old = PostFactory(publish_at=days_ago(500))
    new = PostFactory(publish_at=days_ago(5))
    PostFactory(categories=[organizational_learning()])

    assert related(post, Post.objects.published()) == [new, old]


def count_related_queries(post):
    tag_ids = [tag.pk for tag in post.tags.all()]
    category_ids = [category.pk for category in post.categories.all()]
    cache.clear()  # the tag weights are cached: count them too
    with CaptureQueriesContext(connection) as queries:
        list(
            related_posts(
                Post.objects.visible_to(None).published(), post, tag_ids=tag_ids, category_ids=category_ids
            )[:5]
        )
    return len(queries)


def test_ranking_is_two_queries_whatever_the_number_of_candidates():
    """Guards a query per candidate (or per tag) for the weights and the scores (weights not cached yet)."""
    post = PostFactory(tags=["a", "b", "c", "d"])
    for i in range(3):
        PostFactory(tags=["a", f"x{i}"])
    small = count_related_queries(post)
    for i in range(30):
        PostFactory(tags=[["a", "b", "c", "d"][i % 4], f"y{i}"])
    large = count_related_queries(post)

    assert small == large == 2
