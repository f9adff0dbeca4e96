"""Changes to comments that touch more than one row: submitting and moderating."""

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from blog.models import Post

from .models import Comment


def member_may_skip_moderation(user) -> bool:
    """WordPress's rule: a member with a previously approved comment is trusted.

    Editors (anyone allowed to moderate comments) are trusted too.
    """
    if user.has_perm("comments.change_comment"):
        return True
    return Comment.objects.approved().filter(author=user).exists()


@transaction.atomic
def comment_submit(*, post: Post, author, body: str) -> Comment:
    status = Comment.Status.APPROVED if member_may_skip_moderation(author) else Comment.Status.PENDING
    comment = Comment.objects.create(
        post=post,
        author=author,
        author_name=author.public_name,
        author_url=author.website,
        author_email=author.email,
        body=body,
        status=status,
    )
    if status == Comment.Status.APPROVED:
        refresh_comment_counts(post_ids=[post.pk])
    return comment


@transaction.atomic
def comments_moderate(*, comments, status: str, moderator) -> int:
    """Set ``status`` on every comment in ``comments``; returns how many changed."""
    changed = list(comments.exclude(status=status).values_list("pk", "post_id"))
    if not changed:
        return 0
    Comment.objects.filter(pk__in=[pk for pk, _ in changed]).update(
        status=status, moderated_by=moderator, moderated_at=timezone.now()
    )
    refresh_comment_counts(post_ids={post_id for _, post_id in changed})
    return len(changed)


def comment_moderate(*, comment: Comment, status: str, moderator) -> Comment:
    comments_moderate(comments=Comment.objects.filter(pk=comment.pk), status=status, moderator=moderator)
    comment.refresh_from_db()
    return comment


def refresh_comment_counts(*, post_ids) -> None:
    """Recount the approved comments of the given posts into ``Post.comment_count``."""
    approved = (
        Comment.objects.approved()
        .filter(post=OuterRef("pk"))
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Post.objects.filter(pk__in=list(post_ids)).update(comment_count=Coalesce(Subquery(approved), Value(0)))
