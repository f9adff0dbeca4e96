"""Following and the weekly digest: every change a member makes to them goes through here.

``follow`` and ``unfollow`` take any of the four kinds of target (a
``Category``, a taggit ``Tag``, a member, a ``Community``), check that the
member may follow it, and are idempotent: following twice leaves one row,
unfollowing what is not followed does nothing.

``followed_posts`` is the read rule behind "My feed" and the digest. It is a
function here rather than a ``PostQuerySet`` method only because
``blog/models.py`` is shared with other work this round; it takes the base
queryset from the caller (``Post.objects.visible_to(member).published()``), so
visibility stays ``visible_to``'s alone.

``merge_tags`` is the editors' tag merge (the tag admin's action): two
spellings of one topic become one tag, with its posts and followers.

The digest's one-click unsubscribe link carries a token signed with
``django.core.signing`` (the same scheme as the comment emails' links, which
blog may not import): it names the member and nothing else, does not expire,
and switches ``digest`` to "none".
"""

import re

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from taggit.models import Tag

from accounts.models import Community
from core.page_cache import bump_content_version

from .models import Category, Follow, Post, TaggedPost, TagRedirect
from .search import tags_index_text

DIGEST_UNSUBSCRIBE_SALT = "blog.digest.unsubscribe"


class FollowRefused(Exception):
    """The member may not follow this (themselves, say); the message says why."""


class FollowTargetHidden(FollowRefused):
    """The target does not exist for this member (a private community they are not in,
    an inactive member): views answer 404, as if it did not exist."""


class BadDigestToken(Exception):
    """The unsubscribe link was altered or truncated, or names no member."""


def follow_kind(target) -> str:
    """Which ``Follow`` field points at ``target``: "category", "tag", "member" or "community"."""
    if isinstance(target, Category):
        return "category"
    if isinstance(target, Tag):
        return "tag"
    if isinstance(target, get_user_model()):
        return "member"
    if isinstance(target, Community):
        return "community"
    raise TypeError(f"Members cannot follow a {type(target).__name__}.")


def check_followable(*, follower, target) -> str:
    """The kind of ``target`` if ``follower`` may follow it; raises ``FollowRefused`` otherwise."""
    kind = follow_kind(target)
    if kind == "member":
        if target.pk == follower.pk:
            raise FollowRefused(_("You cannot follow yourself."))
        if not target.is_active:
            raise FollowTargetHidden(_("There is no such member."))
    elif (
        kind == "community"
        and not Community.objects.inside_visible_to(follower).filter(pk=target.pk).exists()
    ):
        # A private community is followed by its active members (and editors, who see every community):
        # one that only invited the member is not theirs to follow yet.
        raise FollowTargetHidden(_("There is no such community."))
    return kind


def follow(*, follower, target) -> Follow:
    """``follower`` follows ``target``; following again returns the existing follow."""
    kind = check_followable(follower=follower, target=target)
    # get_or_create falls back to a get when a concurrent request inserted the row first
    # (the partial unique constraint per kind raises the IntegrityError it expects).
    followed, _created = Follow.objects.get_or_create(follower=follower, **{kind: target})
    return followed


def unfollow(*, follower, target) -> bool:
    """``follower`` stops following ``target``; returns whether there was a follow to remove.

    No check beyond the kind: a member who left a private community may still
    unfollow it.
    """
    kind = follow_kind(target)
    deleted, _per_model = Follow.objects.filter(follower=follower, **{kind: target}).delete()
    return bool(deleted)


def followed_posts(member, *, posts: QuerySet) -> QuerySet:
    """The posts of ``posts`` in a category, with a tag, by a member or in a community ``member`` follows.

    Each kind is an ``IN (subquery)`` rather than a join, so a post that matches
    twice (a followed tag and a followed author) comes once without DISTINCT,
    and the caller's ordering and pagination work as on any post list.
    """
    follows = Follow.objects.filter(follower=member)
    in_categories = Post.categories.through.objects.filter(
        category__in=follows.filter(category__isnull=False).values("category")
    ).values("post")
    with_tags = TaggedPost.objects.filter(tag__in=follows.filter(tag__isnull=False).values("tag")).values(
        "content_object"
    )
    return posts.filter(
        Q(pk__in=in_categories)
        | Q(pk__in=with_tags)
        | Q(author__in=follows.filter(member__isnull=False).values("member"))
        | Q(community__in=follows.filter(community__isnull=False).values("community"))
    )


# --- Merging tags --------------------------------------------------------------


@transaction.atomic
def merge_tags(*, into: Tag, tags) -> set[int]:
    """Fold ``tags`` into ``into``: their posts carry ``into`` instead, their followers follow it, they go.

    A post or a follower that already had ``into`` keeps one row of it. The
    posts' indexed tag text is refreshed (bulk writes send no ``m2m_changed``),
    and cached pages are invalidated. The merged tags' addresses lead to
    ``into`` (a ``TagRedirect`` each, and the ones that led to them); when
    ``into`` had taggit's numbered slug (``peer-learning_1``) because a merged
    spelling held the clean one, it takes the clean one, and its numbered
    address redirects too. Returns the ids of the posts whose tags changed.
    """
    merged_tags = [tag for tag in tags if tag.pk != into.pk]
    merged = [tag.pk for tag in merged_tags]
    if not merged:
        return set()
    post_ids = set(TaggedPost.objects.filter(tag_id__in=merged).values_list("content_object_id", flat=True))
    had_it = set(
        TaggedPost.objects.filter(tag=into, content_object_id__in=post_ids).values_list(
            "content_object_id", flat=True
        )
    )
    TaggedPost.objects.bulk_create(
        [TaggedPost(tag=into, content_object_id=post_id) for post_id in sorted(post_ids - had_it)]
    )
    follower_ids = set(Follow.objects.filter(tag_id__in=merged).values_list("follower_id", flat=True))
    following_it = set(
        Follow.objects.filter(tag=into, follower_id__in=follower_ids).values_list("follower_id", flat=True)
    )
    Follow.objects.bulk_create(
        [Follow(follower_id=follower_id, tag=into) for follower_id in sorted(follower_ids - following_it)]
    )
    # Addresses that led to the merged tags lead to the kept one; then the tags go,
    # with their remaining post tags and follows.
    TagRedirect.objects.filter(tag_id__in=merged).update(tag=into)
    Tag.objects.filter(pk__in=merged).delete()
    old_slugs = [tag.slug for tag in merged_tags]
    clean = into.slugify(into.name)
    if re.fullmatch(re.escape(clean) + r"_\d+", into.slug) and not Tag.objects.filter(slug=clean).exists():
        old_slugs.append(into.slug)
        into.slug = clean
        into.save(update_fields=["slug"])
    for slug in old_slugs:
        TagRedirect.objects.update_or_create(old_slug=slug, defaults={"tag": into})
    TagRedirect.objects.filter(old_slug=into.slug).delete()  # its own address is no redirect

    names = {post_id: [] for post_id in post_ids}
    for post_id, name in TaggedPost.objects.filter(content_object_id__in=post_ids).values_list(
        "content_object_id", "tag__name"
    ):
        names[post_id].append(name)
    Post.objects.bulk_update(
        [Post(pk=post_id, search_tags=tags_index_text(post_names)) for post_id, post_names in names.items()],
        ["search_tags"],
        batch_size=500,
    )
    bump_content_version()
    return post_ids


# --- The weekly digest's unsubscribe link --------------------------------------


def digest_unsubscribe_token(member) -> str:
    """A signed token naming ``member``, for the digest's one-click unsubscribe link."""
    return signing.dumps({"m": member.pk}, salt=DIGEST_UNSUBSCRIBE_SALT, compress=True)


def member_for_digest_token(token: str):
    """The member a digest unsubscribe token names; ``BadDigestToken`` if it is not one of ours."""
    try:
        member_id = int(signing.loads(token, salt=DIGEST_UNSUBSCRIBE_SALT)["m"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise BadDigestToken from error
    member = get_user_model().objects.filter(pk=member_id).first()
    if member is None:
        raise BadDigestToken
    return member


def digest_stop(*, member) -> None:
    """Switch ``member``'s digest off (what the unsubscribe link does)."""
    User = get_user_model()
    User.objects.filter(pk=member.pk).update(digest=User.Digest.NONE)
    member.digest = User.Digest.NONE
