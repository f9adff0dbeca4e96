"""Related posts: which of a reader's posts to show beside a post, and the tag weights that rank them."""

import functools
import hashlib
import math
import operator
from datetime import timedelta

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Post, TaggedPost

# How related posts are ranked (see related_posts): a shared category is worth about
# as much as a tag on a third to two thirds of the posts; the recency steps
# approximate a decay over two years and only reorder posts of similar scores.
CATEGORY_WEIGHT = 0.5
RECENCY_STEPS = ((7, 0.3), (30, 0.25), (91, 0.2), (182, 0.15), (365, 0.1), (730, 0.05))
# How many candidates related_posts ranks at most: per shared tag, and for the shared categories.
CANDIDATES_PER_TAG = 300
CANDIDATES_BY_CATEGORY = 200


def related_posts(posts, post, *, tag_ids, category_ids):
    """The posts of ``posts`` that share a tag or a category with ``post``, best first.

    Callers pass the reader's posts (``Post.objects.visible_to(user).published()``),
    so only posts the reader may open are ranked. A candidate's
    ``related_score`` is

    * the sum, over the tags it shares with ``post``, of the tag's inverse
      document frequency ``log(N / n)`` among public posts (``tag_weights``:
      a tag on every post weighs 0, a rare tag much more);
    * plus ``CATEGORY_WEIGHT`` per shared category;
    * plus a recency bonus (``RECENCY_STEPS``: 0.3 for a post of
      the last week, down to nothing after two years).

    The candidates are bounded whatever the size of the site: the
    ``CANDIDATES_PER_TAG`` posts most recently added to each shared
    tag and the ``CANDIDATES_BY_CATEGORY`` most recently added to
    the shared categories (a post that shares only a category scores by
    recency alone, so the newest are the best of them). One query lists and ranks them; the weights go in
    as constants, so each candidate's tag score is one correlated SUM over
    its shared tags. Ties go to the newer post.
    """
    tag_ids, category_ids = sorted(set(tag_ids)), sorted(set(category_ids))
    if not tag_ids and not category_ids:
        return posts.none()
    float_field = FloatField()

    tag_score = Value(0.0, output_field=float_field)
    if tag_ids:
        weights = tag_weights(tag_ids)
        weight_of_tag = Case(
            *(When(tag_id=tag_id, then=Value(weight)) for tag_id, weight in weights.items()),
            default=Value(0.0),
            output_field=float_field,
        )
        summed = (
            TaggedPost.objects.filter(content_object=OuterRef("pk"), tag_id__in=tag_ids)
            .values("content_object")
            .annotate(score=Sum(weight_of_tag))
            .values("score")
        )
        tag_score = Coalesce(Subquery(summed, output_field=float_field), Value(0.0))
    shared_categories = (
        Post.categories.through.objects.filter(post=OuterRef("pk"), category_id__in=category_ids)
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    now = timezone.now()
    recency = Case(
        *(
            When(publish_at__gte=now - timedelta(days=days), then=Value(bonus))
            for days, bonus in RECENCY_STEPS
        ),
        default=Value(0.0),
        output_field=float_field,
    )
    candidates = [
        Q(
            pk__in=TaggedPost.objects.filter(tag_id=tag_id)
            .order_by("-content_object_id")
            .values("content_object")[:CANDIDATES_PER_TAG]
        )
        for tag_id in tag_ids
    ]
    if category_ids:
        newest = Post.categories.through.objects.filter(category_id__in=category_ids).order_by("-post_id")
        candidates.append(Q(pk__in=newest.values("post")[:CANDIDATES_BY_CATEGORY]))
    sharing = functools.reduce(operator.or_, candidates)
    return (
        posts.filter(sharing)
        .exclude(pk=post.pk)
        # Aliases, not annotations: each subquery then appears once in the SQL, in the total.
        .alias(
            tag_score=tag_score,
            shared_categories=Coalesce(Subquery(shared_categories), 0),
            recency=recency,
        )
        .annotate(
            related_score=ExpressionWrapper(
                F("tag_score") + F("shared_categories") * Value(CATEGORY_WEIGHT) + F("recency"),
                output_field=float_field,
            )
        )
        .order_by("-related_score", "-publish_at", "-pk")
    )


TAG_WEIGHTS_CACHE_SECONDS = 3600


def tag_weights(tag_ids) -> dict[int, float]:
    """Each tag's inverse document frequency ``log(N / n)`` among the public, published posts.

    Ranking weights, never shown: counted among public posts so that the same
    weights serve every reader (and say nothing of members-only posts), and
    cached for an hour, since they move slowly and counting them reads every post.
    """
    tag_ids = sorted(set(tag_ids))
    # A digest of the ids: a post with many tags would make a key longer than caches allow.
    key = "blog:tag-weights:" + hashlib.sha256(",".join(map(str, tag_ids)).encode()).hexdigest()[:32]
    weights = cache.get(key)
    if weights is None:
        counts = Post.objects.visible_to(None).aggregate(
            total=Count("pk", distinct=True),
            **{
                f"tag_{tag_id}": Count("pk", filter=Q(tagged_items__tag_id=tag_id), distinct=True)
                for tag_id in tag_ids
            },
        )
        total = counts["total"] or 0
        weights = {
            tag_id: math.log(total / counts[f"tag_{tag_id}"]) if counts[f"tag_{tag_id}"] else 0.0
            for tag_id in tag_ids
        }
        cache.set(key, weights, TAG_WEIGHTS_CACHE_SECONDS)
    return weights
