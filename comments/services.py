"""Changes to comments: submitting, editing, removing, flagging and moderating.

Every change that touches more than one row, records an audit event, or
sends a notification happens here; views and the admin call these functions.
Notifications are enqueued inside the transaction (the task backend stores
tasks as rows): a change and its notifications commit together or not at all,
and a failure to enqueue one fails the change.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from blog.models import Post
from core.page_cache import bump_content_version

from . import notifications, rules
from .models import Comment, CommentFlag, DiscussionSettings, HoldReason, ModerationEvent, ThreadSubscription

Status = Comment.Status
Action = ModerationEvent.Action
STATUS_ACTIONS = {
    Status.APPROVED: Action.APPROVED,
    Status.REJECTED: Action.REJECTED,
    Status.SPAM: Action.SPAM,
    Status.PENDING: Action.PENDING,
}


def member_may_skip_moderation(user) -> bool:
    """WordPress's rule: a member with a previously approved comment is trusted; so are editors."""
    if user.has_perm("comments.change_comment"):
        return True
    return not rules.awaits_first_approval(user)


def may_moderate_all(user) -> bool:
    """Editors moderate every comment: active staff with ``comments.change_comment``, and superusers.

    The same test as ``CommentQuerySet.moderatable_by``; only editors treat a
    member as a spammer. Permissions are looked up for staff only.
    """
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser)
        and user.has_perm("comments.change_comment")
    )


def may_moderate(user) -> bool:
    """May moderate something: an editor, or an active owner or moderator of at least one community.

    Opens the site's moderation queue; what it holds is ``Comment.objects.moderatable_by(user)``.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return may_moderate_all(user) or Membership.objects.leaders().filter(member=user).exists()


def may_moderate_comment(comment: Comment, user) -> bool:
    """Whether ``user`` may moderate ``comment``: ``Comment.objects.moderatable_by`` on the object itself."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if may_moderate_all(user):
        return True
    return Comment.objects.moderatable_by(user).filter(pk=comment.pk).exists()


def may_edit(comment: Comment, user, discussion: DiscussionSettings, *, now=None) -> bool:
    """Its author may edit a comment within the edit window, or while it is sent back to them."""
    if not user.is_authenticated or comment.author_id != user.pk or comment.is_removed:
        return False
    if comment.is_returned:
        return True
    if comment.status not in (Status.APPROVED, Status.PENDING):
        return False
    now = now or timezone.now()
    return (now - comment.created).total_seconds() <= discussion.edit_window_minutes * 60


def may_remove(comment: Comment, user) -> bool:
    """Its author may remove a comment; so may whoever may moderate it."""
    if not user.is_authenticated or comment.is_removed:
        return False
    return comment.author_id == user.pk or may_moderate_comment(comment, user)


def record(comment, action, *, actor=None, from_status="", to_status="", note=""):
    return ModerationEvent.objects.create(
        comment=comment, actor=actor, action=action, from_status=from_status, to_status=to_status, note=note
    )


def reply_parent(parent: Comment | None, discussion: DiscussionSettings) -> Comment | None:
    """Replies nest up to the thread depth; a reply to the deepest level joins that level."""
    while parent is not None and parent.depth + 1 >= discussion.thread_depth and parent.parent_id:
        parent = parent.parent
    return parent


@transaction.atomic
def comment_submit(
    *, post: Post, author, body: str, parent: Comment | None = None, follow: bool = True, language: str = ""
) -> Comment:
    discussion = DiscussionSettings.load()
    if rules.closed_for_comments(post, discussion) or not post.is_published:
        raise ValidationError(_("Comments are closed on this post."), code="closed")
    if parent is not None and (parent.post_id != post.pk or not parent.is_approved or parent.is_removed):
        raise ValidationError(_("You can only reply to a published comment on this post."), code="bad_parent")
    body = rules.clean_body(body)
    verdict = rules.evaluate(author=author, text=body, rules=discussion)
    parent = reply_parent(parent, discussion)
    comment = Comment.objects.create(
        post=post,
        author=author,
        author_name=author.public_name,
        author_url=author.website,
        author_email=author.email,
        body=body,
        language=language,
        status=verdict.status,
        hold_reason=verdict.hold_reason,
        hold_detail=verdict.detail[:200],
        parent=parent,
        thread_root_id=(parent.thread_root_id or parent.pk) if parent else None,
        depth=parent.depth + 1 if parent else 0,
    )
    record(comment, Action.SUBMITTED, actor=author, to_status=verdict.status)
    if verdict.held:
        record(comment, Action.HELD, to_status=verdict.status, note=comment.get_hold_reason_display())
    if follow:
        ThreadSubscription.objects.get_or_create(post=post, member=author)
    if comment.is_approved:
        refresh_comment_counts(post_ids=[post.pk])
        notifications.comment_published(comment.pk)
    elif comment.is_pending:
        notifications.moderation_needed()
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, editor, body: str) -> Comment:
    """The author revises their comment; the content rules run again on the new text."""
    discussion = DiscussionSettings.load()
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not may_edit(comment, editor, discussion):
        raise PermissionDenied(_("You can no longer edit this comment."))
    body = rules.clean_body(body)
    was_returned = comment.is_returned
    before = comment.status
    verdict = rules.evaluate(author=editor, text=body, rules=discussion, check_first_comment=False)
    comment.body = body
    comment.edited_at = timezone.now()
    if was_returned:
        # A revised comment goes back to the queue whatever the rules say, held as a revision
        # (never as a first comment, which another approval would publish unread).
        comment.status = Status.PENDING if verdict.status == Status.APPROVED else verdict.status
        comment.hold_reason = verdict.hold_reason or HoldReason.RETURNED
        comment.hold_detail = verdict.detail[:200]
        comment.returned_at = None
        comment.moderators_notified_at = None
        record(comment, Action.RESUBMITTED, actor=editor, from_status=before, to_status=comment.status)
    else:
        if verdict.held:
            comment.status, comment.hold_reason, comment.hold_detail = (
                verdict.status,
                verdict.hold_reason,
                verdict.detail[:200],
            )
        record(comment, Action.EDITED, actor=editor, from_status=before, to_status=comment.status)
    comment.save()
    refresh_comment_counts(post_ids=[comment.post_id])
    if comment.is_pending and (was_returned or before != Status.PENDING):
        notifications.moderation_needed()
    return comment


@transaction.atomic
def comment_remove(*, comment: Comment, actor, reason: str = "") -> Comment:
    """Remove a comment, leaving a placeholder so that replies keep their context.

    Its author's own removal erases the text; a moderator's (whoever may
    moderate it: ``Comment.objects.moderatable_by``, through ``may_remove``)
    keeps it for the audit trail but shows only who removed it and why.
    """
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not may_remove(comment, actor):
        if comment.is_removed:
            return comment  # already removed: removing twice changes nothing
        raise PermissionDenied(_("You cannot remove this comment."))
    by_author = comment.author_id == actor.pk
    if not by_author and not reason.strip():
        raise ValidationError(_("Say why the comment is removed: its readers will see the reason."))
    comment.removed_at = timezone.now()
    comment.removed_by = actor
    comment.removal_reason = reason.strip()[:300]
    if by_author:
        comment.body = ""
    comment.save()
    record(comment, Action.REMOVED, actor=actor, note=comment.removal_reason)
    refresh_comment_counts(post_ids=[comment.post_id])
    return comment


@transaction.atomic
def comment_flag(*, comment: Comment, member, reason: str, note: str = "") -> CommentFlag:
    discussion = DiscussionSettings.load()
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.author_id == member.pk:
        raise ValidationError(_("You cannot flag your own comment."), code="own")
    if not comment.is_approved or comment.is_removed:
        raise ValidationError(_("This comment is already hidden."), code="hidden")
    refusal = rules.flag_limit_refusal(member)
    if refusal:
        raise ValidationError(refusal, code="rate_limited")
    try:
        with transaction.atomic():
            flag = CommentFlag.objects.create(
                comment=comment, flagged_by=member, reason=reason, note=note[:500]
            )
    except IntegrityError:
        raise ValidationError(_("You have already flagged this comment."), code="twice") from None
    record(comment, Action.FLAGGED, actor=member, note=f"{flag.get_reason_display()}: {note}".strip(": "))
    active_flaggers = comment.flags.filter(dismissed_at__isnull=True).values("flagged_by").distinct().count()
    if active_flaggers >= discussion.flags_to_hide:
        Comment.objects.filter(pk=comment.pk).update(
            status=Status.PENDING, hold_reason=HoldReason.FLAGGED, hold_detail="", moderators_notified_at=None
        )
        record(comment, Action.HIDDEN, from_status=Status.APPROVED, to_status=Status.PENDING)
        refresh_comment_counts(post_ids=[comment.post_id])
    notifications.moderation_needed()
    return flag


@transaction.atomic
def comments_moderate(*, comments, status: str, moderator, note: str = "") -> int:
    """Set ``status`` on those of ``comments`` that ``moderator`` may moderate; returns how many changed.

    Comments outside ``Comment.objects.moderatable_by(moderator)`` are left
    alone, like comments that no longer exist. Idempotent: comments already in
    ``status`` are left alone, and rows are locked so that two moderators
    acting at once produce one change and one audit event.

    Approving a member's comment keeps the first-comment promise: their other
    comments held only because they had nothing approved yet are published with
    it (``rules.comments_released_by_approval``), wherever they are, as their next
    comments would be at once; each with its audit event, count and notifications,
    like any approval. They are not counted in the number returned.
    """
    now = timezone.now()
    chosen = Comment.objects.moderatable_by(moderator).filter(pk__in=comments.values("pk"))
    rows = Q(pk__in=chosen.values("pk"))
    if status == Status.APPROVED:
        authors = chosen.exclude(status=status).exclude(author=None).values_list("author_id", flat=True)
        if authors := set(authors):
            rows |= Q(author_id__in=authors, status=Status.PENDING)
    # Every row this may change is locked in one statement, in one order: two moderators
    # approving two comments of one member wait for each other instead of deadlocking. What
    # changes is read after the lock, by statements that see what others committed meanwhile.
    locked = list(
        Comment.objects.select_for_update().filter(rows).order_by("pk").values_list("pk", flat=True)
    )
    fields = ("pk", "post_id", "status", "hold_reason", "author_id")
    changing = list(chosen.filter(pk__in=locked).exclude(status=status).only(*fields))
    if not changing:
        return 0
    ids = [c.pk for c in changing]
    released = []
    if status == Status.APPROVED:
        approved_authors = {c.author_id for c in changing if c.author_id}
        released = list(
            rules.comments_released_by_approval(approved_authors)
            .filter(pk__in=locked)
            .exclude(pk__in=ids)
            .only(*fields)
        )
    released_ids = {c.pk for c in released}
    update = {"status": status, "moderated_by": moderator, "moderated_at": now}
    if status != Status.PENDING:
        update.update(hold_reason="", hold_detail="", returned_at=None)
    Comment.objects.filter(pk__in=[*ids, *released_ids]).update(**update)
    release_note = _("Published with an approved comment by the same member (first-comment hold).")
    ModerationEvent.objects.bulk_create(
        ModerationEvent(
            comment_id=c.pk,
            actor=moderator,
            action=STATUS_ACTIONS[status],
            from_status=c.status,
            to_status=status,
            note=release_note if c.pk in released_ids else note,
        )
        for c in changing + released
    )
    if status != Status.PENDING:
        # A decision on a comment answers the flags raised against it.
        CommentFlag.objects.filter(comment_id__in=ids, dismissed_at__isnull=True).update(
            dismissed_at=now, dismissed_by=moderator
        )
    refresh_comment_counts(post_ids={c.post_id for c in changing + released})
    if status == Status.APPROVED:
        for c in changing + released:
            notifications.comment_approved(c.pk)
    return len(changing)


def comment_moderate(*, comment: Comment, status: str, moderator, note: str = "") -> Comment:
    if not may_moderate_comment(comment, moderator):
        raise PermissionDenied(_("You cannot moderate this comment."))
    comments_moderate(
        comments=Comment.objects.filter(pk=comment.pk), status=status, moderator=moderator, note=note
    )
    comment.refresh_from_db()
    return comment


@transaction.atomic
def flags_dismiss(*, comments, moderator) -> int:
    """Dismiss the open flags on ``comments``; comments hidden by flags are published again.

    Only the comments ``moderator`` may moderate are touched.
    """
    now = timezone.now()
    ids = list(comments.values_list("pk", flat=True))
    flagged = list(
        Comment.objects.moderatable_by(moderator)
        .select_for_update()
        .filter(pk__in=ids)
        .filter(pk__in=CommentFlag.objects.filter(dismissed_at__isnull=True).values("comment_id"))
    )
    if not flagged:
        return 0
    CommentFlag.objects.filter(comment__in=flagged, dismissed_at__isnull=True).update(
        dismissed_at=now, dismissed_by=moderator
    )
    for comment in flagged:
        record(comment, Action.FLAGS_DISMISSED, actor=moderator)
    hidden = [c.pk for c in flagged if c.is_pending and c.hold_reason == HoldReason.FLAGGED]
    if hidden:
        comments_moderate(
            comments=Comment.objects.filter(pk__in=hidden), status=Status.APPROVED, moderator=moderator
        )
    return len(flagged)


@transaction.atomic
def comment_return(*, comment: Comment, moderator, note: str) -> Comment:
    """Send a held comment back to its author with a note, instead of rejecting it."""
    if not note.strip():
        raise ValidationError(_("Write a note telling the author what to change."), code="note")
    comment = Comment.objects.moderatable_by(moderator).select_for_update().filter(pk=comment.pk).first()
    if comment is None:
        raise PermissionDenied(_("You cannot moderate this comment."))
    if comment.author_id is None:
        raise ValidationError(_("A guest's comment cannot be sent back."), code="guest")
    if comment.is_returned:
        return comment
    before = comment.status
    comment.status = Status.PENDING
    comment.hold_reason = HoldReason.RETURNED
    comment.returned_at = timezone.now()
    comment.returned_note = note.strip()
    comment.moderated_by = moderator
    comment.moderated_at = comment.returned_at
    comment.save()
    record(comment, Action.RETURNED, actor=moderator, from_status=before, to_status=Status.PENDING, note=note)
    refresh_comment_counts(post_ids=[comment.post_id])
    notifications.comment_returned(comment.pk)
    return comment


@transaction.atomic
def author_mark_spam(*, author, moderator, deactivate: bool = False) -> int:
    """Mark every pending comment of ``author`` as spam, and optionally deactivate the account.

    For editors only: a community's moderators act on single comments, not on members' accounts.
    """
    if not may_moderate_all(moderator):
        raise PermissionDenied(_("Only editors can treat a member as a spammer."))
    if author.pk == moderator.pk or author.is_superuser or (author.is_staff and not moderator.is_superuser):
        raise PermissionDenied(_("This account cannot be treated as a spammer."))
    changed = comments_moderate(
        comments=Comment.objects.filter(author=author, status=Status.PENDING),
        status=Status.SPAM,
        moderator=moderator,
    )
    if deactivate and author.is_active:
        get_user_model().objects.filter(pk=author.pk).update(is_active=False)
        bump_content_version()  # their profile is gone from public pages
    return changed


def thread_follow(*, post: Post, member) -> ThreadSubscription:
    subscription, _created = ThreadSubscription.objects.get_or_create(post=post, member=member)
    return subscription


def thread_unfollow(*, post: Post, member) -> None:
    ThreadSubscription.objects.filter(post=post, member=member).delete()


@transaction.atomic
def refresh_comment_counts(*, post_ids) -> None:
    """Recount the approved, not removed comments of the given posts into ``Post.comment_count``.

    The posts' rows are locked first, in a statement of their own: on PostgreSQL
    (READ COMMITTED) an UPDATE that waits for another transaction's row lock
    keeps the snapshot it started with, so two comments committed at the same
    moment would each count without the other and the count would end one
    short. After the lock, the recount is a new statement that sees every
    comment committed before it. ``no_key`` keeps the lock compatible with the
    key-share locks that inserting a comment (a foreign key to the post) takes.
    """
    post_ids = sorted(set(post_ids))
    list(Post.objects.select_for_update(no_key=True).filter(pk__in=post_ids).order_by("pk").values_list("pk"))
    counted = (
        Comment.objects.counted()
        .filter(post=OuterRef("pk"))
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Post.objects.filter(pk__in=post_ids).update(comment_count=Coalesce(Subquery(counted), Value(0)))
    # Every change to what a discussion shows ends here; update() sends no signal.
    bump_content_version()
