"""Comment emails, sent through django.tasks so that no request waits for a mail server.

The four functions at the top are what ``comments.services`` calls inside its
transaction; each only enqueues a task. The database task backend stores a
task as a row, so a comment and its notifications commit together or not at
all, and a failure to enqueue fails the change. The tasks run in the worker
(``python manage.py db_worker``): they decide who hears of what, render the
emails (plain text with an HTML alternative, ``templates/comments/email/``)
and send them.

Who gets what, at most one email per member per comment:

* the author of the replied-to comment (``replies_to_me``), then
* the post's author (``comments_on_my_posts``), then
* members following the discussion (``ThreadSubscription``);

a member switched off for the first reason that applies to them falls
through to the next one. The comment's own author, inactive members, members
without an address and guests (no member account) get nothing, nor does
anyone who may not read the post. A comment's author hears when a moderator
approves their held comment or sends it back with a note
(``my_comment_moderated``). Readers hear of a comment once: approving it again
after flags hid it, or after an edit held it, sends nothing.

Editors (active members with ``comments.change_comment``, ``moderation_digest``
on) get a batched digest: ``moderation_needed`` schedules one digest task
``DiscussionSettings.digest_minutes`` ahead and skips scheduling while one is
pending (a cache key that lives as long as the delay); the digest claims every
held comment and open flag whose ``moderators_notified_at`` is empty by setting
it, and lists exactly those, so two digests never list an item twice and an
item is never lost if the cache is not shared between processes (a redundant
digest just finds nothing and sends nothing).

Every email carries a signed unsubscribe link (``unsubscribe_token``) that works
without signing in, also as ``List-Unsubscribe`` with one-click support
(RFC 8058). A send that fails (SMTP or network error) is logged and retried by
``retry_notification`` after 10 s, 1, 5 and 30 minutes and 2 hours
(``RETRY_DELAYS``); the last failure fails that task (``NotificationNotSent``),
which the admin's task list shows as failed with the error. A retry checks
again that the email is still due (the member may have unfollowed, the comment
may be gone).

Delivery is at least once: a task whose worker died runs again
(``portal/worker.py``). Each email has a stable Message-ID (``message_id``:
the comment, or the digest's stamp, and the member), the same in every run and
retry of it, and the site's mailer records the Message-IDs the server accepted
and does not send one twice (``portal/mail.py``; docs/operations.md says where
a duplicate remains possible). A member hears of a comment once, whatever kind
of reader email it is, so the readers' emails share one Message-ID per member.
"""

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import mailers
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blog.models import Post
from core.i18n import in_language_of
from core.links import absolute_url
from core.mail import UnsubscribableEmail, stable_message_id

from .models import (
    Comment,
    CommentFlag,
    DiscussionSettings,
    ModerationEvent,
    NotificationPreference,
    ThreadSubscription,
)

logger = logging.getLogger(__name__)

# The kinds of email; each is switched off by one topic of the unsubscribe link.
REPLY = "reply"
POST_COMMENT = "post_comment"
THREAD = "thread"
APPROVED = "approved"
RETURNED = "returned"
DIGEST = "digest"
READER_KINDS = (REPLY, POST_COMMENT, THREAD)
AUTHOR_KINDS = (APPROVED, RETURNED)

# Topics: a NotificationPreference field, or THREAD (unfollow one post's discussion).
KIND_TOPIC = {
    REPLY: "replies_to_me",
    POST_COMMENT: "comments_on_my_posts",
    THREAD: THREAD,
    APPROVED: "my_comment_moderated",
    RETURNED: "my_comment_moderated",
    DIGEST: "moderation_digest",
}
TOPIC_LABELS = {
    "replies_to_me": _("emails about replies to your comments"),
    "comments_on_my_posts": _("emails about new comments on your posts"),
    "my_comment_moderated": _("emails about your comments being approved or sent back"),
    "moderation_digest": _("moderation digests"),
    THREAD: _("emails about new comments in this discussion"),
}

# A mail server that refuses for a moment (greylisting, a restart) gets the email
# seconds after it returns; one that stays away, over about two and a half hours.
RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DIGEST_SCHEDULED_KEY = "comments:moderation-digest-scheduled"
UNSUBSCRIBE_SALT = "comments.notifications.unsubscribe"
MODERATOR_PERMISSION = "comments.change_comment"


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (``RETRY_DELAYS``)."""
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]


# --- Called by comments.services, inside its transaction ---------------------


def comment_published(comment_id):
    """A comment became visible: its post's author, the replied-to author and followers hear of it."""
    _enqueue(notify_new_comment, comment_id, as_of=timezone.now().isoformat())


def comment_approved(comment_id):
    """A moderator approved a held comment: its author hears of it, then the readers as when published."""
    _enqueue(notify_comment_author, comment_id, APPROVED, as_of=timezone.now().isoformat())
    comment_published(comment_id)


def comment_returned(comment_id):
    """A moderator sent a comment back with a note: its author hears of it."""
    _enqueue(notify_comment_author, comment_id, RETURNED)


def moderation_needed():
    """Something entered the moderation queue: editors get one batched digest.

    The first call schedules the digest ``digest_minutes`` ahead; once its
    transaction commits, a cache key that expires when the digest is due tells
    the calls meanwhile that a digest is pending, which will list their items
    too. The key is set after the commit, so that a change rolled back leaves no
    key behind and the next item schedules a digest; two changes committing at
    once may schedule two digests, and the second finds nothing left to list.
    A cache that does not answer schedules a digest each time, never none.
    """
    try:
        if cache.get(DIGEST_SCHEDULED_KEY):
            return
    except Exception:
        logger.warning("The cache did not answer: scheduling a moderation digest anyway.", exc_info=True)
    delay = timedelta(minutes=DiscussionSettings.load().digest_minutes)
    due = timezone.now() + delay
    _enqueue(send_moderation_digest.using(run_after=due), stamp=due.isoformat())
    transaction.on_commit(
        lambda: cache.add(DIGEST_SCHEDULED_KEY, True, timeout=delay.total_seconds()), robust=True
    )


def _enqueue(task_, *args, **kwargs):
    """Enqueue ``task_``; a failure raises, and fails the transaction the caller is in."""
    return task_.enqueue(*args, **kwargs)


# --- Tasks --------------------------------------------------------------------


@task
def notify_new_comment(comment_id: int, as_of: str | None = None):
    """Email the readers who should hear of a newly published comment."""
    comment = _load_comment(comment_id)
    if comment is None or not _is_shown(comment) or _announced_before(comment, as_of):
        return 0
    return _send(
        [(member, kind, {"comment_id": comment.pk}, comment) for member, kind in comment_readers(comment)],
        attempt=1,
    )


@task
def notify_comment_author(comment_id: int, kind: str, as_of: str | None = None):
    """Tell a comment's author that a moderator approved it (APPROVED) or sent it back (RETURNED)."""
    comment = _load_comment(comment_id)
    if comment is None or (kind == APPROVED and _announced_before(comment, as_of)):
        return 0
    return _send(
        [(member, kind, {"comment_id": comment.pk}, comment) for member in comment_author(comment, kind)],
        attempt=1,
    )


@task
def send_moderation_digest(stamp: str | None = None):
    """One email per editor listing the held comments and open flags no digest has listed yet.

    The digest claims them by setting their ``moderators_notified_at`` to its
    ``stamp`` (given when it was scheduled, so the same in every run of this
    task). Run again after its worker died, it finds its items already claimed,
    claims no more and lists the same ones: the editors it had reached are not
    sent it twice (the Message-ID is the stamp's), the others get it.
    """
    stamp = datetime.fromisoformat(stamp) if stamp else timezone.now()
    with transaction.atomic():
        claimed = (
            Comment.objects.filter(moderators_notified_at=stamp).exists()
            or CommentFlag.objects.filter(moderators_notified_at=stamp).exists()
        )
        if not claimed:
            Comment.objects.in_moderation_queue().filter(moderators_notified_at__isnull=True).update(
                moderators_notified_at=stamp
            )
            CommentFlag.objects.filter(dismissed_at__isnull=True, moderators_notified_at__isnull=True).update(
                moderators_notified_at=stamp
            )
    items = _digest_items(
        Comment.objects.in_moderation_queue().filter(moderators_notified_at=stamp),
        CommentFlag.objects.filter(dismissed_at__isnull=True, moderators_notified_at=stamp),
    )
    if not items.comments and not items.flags:
        return 0
    params = {
        "comment_ids": [c.pk for c in items.comments],
        "flag_ids": [f.pk for f in items.flags],
        "stamp": stamp.isoformat(),
    }
    return _send([(editor, DIGEST, params, items) for editor in digest_editors()], attempt=1)


@task
def retry_notification(kind: str, member_id: int, params: dict, attempt: int):
    """Send one email again after a failure, if it is still due to that member."""
    subject, recipients = _still_due(kind, params)
    planned = [
        (member, kind, params, subject) for member, k in recipients if member.pk == member_id and k == kind
    ]
    if not planned:
        logger.info("The %s email to member %s is no longer due.", kind, member_id)
        return 0
    return _send(planned, attempt=attempt)


def _still_due(kind, params):
    """What an email of ``kind`` is about now, and who would get one of that kind."""
    if kind == DIGEST:
        items = _digest_items(
            Comment.objects.in_moderation_queue().filter(pk__in=params["comment_ids"]),
            CommentFlag.objects.filter(dismissed_at__isnull=True, pk__in=params["flag_ids"]),
        )
        if not items.comments and not items.flags:
            return items, []
        return items, [(editor, DIGEST) for editor in digest_editors()]
    comment = _load_comment(params["comment_id"])
    if comment is None:
        return None, []
    if kind in READER_KINDS:
        return comment, comment_readers(comment) if _is_shown(comment) else []
    return comment, [(member, kind) for member in comment_author(comment, kind)]


# --- Who hears of what ------------------------------------------------------


def comment_readers(comment: Comment) -> list[tuple]:
    """The members to email about a newly published ``comment``, each with the kind of email."""
    post = comment.post
    candidates = []  # (member id, kind), most specific reason first
    if comment.parent is not None and comment.parent.author_id:
        candidates.append((comment.parent.author_id, REPLY))
    candidates.append((post.author_id, POST_COMMENT))
    followers = ThreadSubscription.objects.filter(post_id=post.pk).values_list("member_id", flat=True)
    candidates += [(member_id, THREAD) for member_id in followers]
    members = _active_members(get_user_model().objects.filter(pk__in={pk for pk, _kind in candidates}))
    planned = {}
    for member_id, kind in candidates:
        member = members.get(member_id)
        if member is None or member_id == comment.author_id or member_id in planned:
            continue
        if _may_read(member, post) and _wants(member, kind):
            planned[member_id] = (member, kind)
    return list(planned.values())


def comment_author(comment: Comment, kind: str) -> list:
    """The comment's author, if they should hear that it was approved or sent back."""
    still_so = comment.is_approved if kind == APPROVED else comment.is_returned
    if comment.author_id is None or comment.is_removed or not still_so:
        return []
    member = _active_members(get_user_model().objects.filter(pk=comment.author_id)).get(comment.author_id)
    if member is None or not _may_read(member, comment.post) or not _wants(member, kind):
        return []
    return [member]


def digest_editors():
    """Active members who may moderate comments and want the digest."""
    editors = get_user_model().objects.with_perm(
        MODERATOR_PERMISSION, backend="django.contrib.auth.backends.ModelBackend"
    )
    return editors.exclude(email="").exclude(comment_notifications__moderation_digest=False)


def _active_members(queryset) -> dict:
    members = queryset.filter(is_active=True).exclude(email="").select_related("comment_notifications")
    return {member.pk: member for member in members}


def _wants(member, kind: str) -> bool:
    topic = KIND_TOPIC[kind]
    if topic == THREAD:
        return True  # following is the switch: unfollowing stops these
    try:
        preference = member.comment_notifications
    except NotificationPreference.DoesNotExist:
        return True  # no row: every kind is on
    return getattr(preference, topic)


def _may_read(member, post) -> bool:
    """``Post.objects.visible_to``, the one rule: a members-only post's discussion reaches members only.

    One query per recipient, in the worker: a follower who left the community,
    or a draft's reader, hears nothing more of it.
    """
    return Post.objects.visible_to(member).filter(pk=post.pk).exists()


def _is_shown(comment: Comment) -> bool:
    return comment.is_approved and not comment.is_removed


def _announced_before(comment: Comment, as_of: str | None) -> bool:
    """True if the comment had already been published before the approval that enqueued this task."""
    if as_of is None:
        return False
    approvals = comment.events.filter(
        to_status=Comment.Status.APPROVED,
        action__in=[ModerationEvent.Action.SUBMITTED, ModerationEvent.Action.APPROVED],
        created__lt=datetime.fromisoformat(as_of),
    )
    return approvals.count() > 1


def _load_comment(comment_id: int) -> Comment | None:
    return (
        Comment.objects.select_related("post__author", "author", "parent__author")
        .filter(pk=comment_id)
        .first()
    )


@dataclass
class DigestItems:
    comments: list
    flags: list


def _digest_items(comments, flags) -> DigestItems:
    return DigestItems(
        comments=list(comments.select_related("post").order_by("created", "pk")),
        flags=list(flags.select_related("comment__post", "flagged_by").order_by("created", "pk")),
    )


# --- Building and sending ---------------------------------------------------


NotificationEmail = UnsubscribableEmail


def build_email(kind: str, member, subject) -> NotificationEmail:
    """The email of ``kind`` to ``member`` about ``subject`` (a comment, or the digest's items).

    Written in the member's language (``User.language``, else the site's): the
    worker that sends it has no request to take one from.
    """
    with in_language_of(member):
        return _build_email(kind, member, subject)


def _build_email(kind, member, subject):
    if kind == DIGEST:
        post, context = None, {"items": subject, "queue_url": absolute_url(reverse("comments:queue"))}
    else:
        post = subject.post
        context = {
            "comment": subject,
            "post": post,
            "comment_url": absolute_url(subject.get_absolute_url()),
            "post_url": absolute_url(post.get_absolute_url()),
        }
    unsubscribe_url = absolute_url(
        reverse("comments:unsubscribe", kwargs={"token": unsubscribe_token(member, kind, post=post)})
    )
    context |= {
        "member": member,
        "kind": kind,
        "portal_name": settings.PORTAL_NAME,
        "base_url": settings.PORTAL_BASE_URL,
        "site_url": absolute_url("/"),
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_label": str(TOPIC_LABELS[KIND_TOPIC[kind]]),
        "preferences_url": absolute_url(reverse("comments:preferences")),
    }
    subject_line = " ".join(render_to_string(f"comments/email/{kind}_subject.txt", context).split())
    message = NotificationEmail(
        subject=f"[{settings.PORTAL_NAME}] {subject_line}",
        body=render_to_string(f"comments/email/{kind}_message.txt", context),
        to=[member.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"comments/email/{kind}_message.html", context), "text/html")
    return message


def message_id(kind: str, member, params: dict, subject) -> str | None:
    """The stable Message-ID of the ``kind`` email to ``member``: the same in each run and retry of it.

    A comment's readers hear of it once (one id per member, whatever the kind);
    its author once that it was approved, and once each time it is sent back
    (its ``returned_at``). A digest is named by its stamp. ``None`` for a
    retry enqueued before digests had a stamp: such an email is not deduplicated.
    """
    if kind == DIGEST:
        if not params.get("stamp"):
            return None
        return stable_message_id("comments-digest", params["stamp"], member.pk)
    comment = subject
    event = "published" if kind in READER_KINDS else kind
    if kind == RETURNED:
        event = f"returned-{comment.returned_at.isoformat() if comment.returned_at else ''}"
    return stable_message_id("comment", comment.pk, comment.created.isoformat(), event, member.pk)


class NotificationNotSent(Exception):
    """The last attempt at an email failed: its task ends as failed, with this error in the task list."""


def _send(planned, *, attempt: int) -> int:
    """Send each planned email (member, kind, params, subject); a failed one is retried on its own.

    Returns how many were sent. Only mail errors (``OSError``, which includes
    ``smtplib.SMTPException``) are retried; a bug fails the task as it should,
    and so does the last failed attempt (``NotificationNotSent``), once the
    others planned were tried.
    """
    if not planned:
        return 0
    sent = 0
    given_up = []
    connection = mailers.default
    with suppress(OSError):  # each send below tries again, and fails or not on its own
        connection.open()
    try:
        for member, kind, params, subject in planned:
            message = build_email(kind, member, subject)
            stable_id = message_id(kind, member, params, subject)
            if stable_id:
                message.extra_headers["Message-ID"] = stable_id
            try:
                sent += connection.send_messages([message])
            except OSError as error:
                if not _after_failure(kind, member.pk, params, attempt, error):
                    given_up.append((kind, member.pk, error))
    finally:
        try:
            connection.close()
        except OSError:
            logger.warning("Closing the mail connection failed.", exc_info=True)
    if given_up:
        kind, member_id, error = given_up[0]
        raise NotificationNotSent(
            f"Gave up on the {kind} email to member {member_id} after {attempt} attempts: {error}"
            + (f" (and {len(given_up) - 1} more)" if len(given_up) > 1 else "")
        ) from error
    return sent


def _after_failure(kind, member_id, params, attempt, error) -> bool:
    """Log a failed send and enqueue its retry; ``False`` on the last attempt, which is given up."""
    if attempt >= MAX_ATTEMPTS:
        logger.error(
            "Giving up on the %s email to member %s after %s attempts: %s", kind, member_id, attempt, error
        )
        return False
    delay = retry_delay(attempt)
    logger.warning(
        "Sending the %s email to member %s failed (attempt %s of %s: %s); retrying in %s.",
        kind,
        member_id,
        attempt,
        MAX_ATTEMPTS,
        error,
        delay,
    )
    _enqueue(retry_notification.using(run_after=timezone.now() + delay), kind, member_id, params, attempt + 1)
    return True


# --- Unsubscribe links --------------------------------------------------------


class BadUnsubscribeToken(Exception):
    """The link was altered, truncated or no longer points to anything."""


@dataclass(frozen=True)
class Unsubscription:
    member: object
    topic: str
    post: object = None

    @property
    def label(self):
        return TOPIC_LABELS[self.topic]


def unsubscribe_token(member, kind: str, *, post=None) -> str:
    """A signed token naming the member and what to switch off; it does not expire."""
    topic = KIND_TOPIC[kind]
    payload = {"m": member.pk, "t": topic}
    if topic == THREAD:
        payload["p"] = post.pk
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscription:
    """The member and topic a token names; ``BadUnsubscribeToken`` if it is not one of ours."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        topic = payload["t"]
        member_id = int(payload["m"])
        post_id = int(payload["p"]) if topic == THREAD else None
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise BadUnsubscribeToken from error
    if topic not in TOPIC_LABELS:
        raise BadUnsubscribeToken
    member = get_user_model().objects.filter(pk=member_id).first()
    post = Post.objects.filter(pk=post_id).first() if post_id is not None else None
    if member is None or (topic == THREAD and post is None):
        raise BadUnsubscribeToken
    return Unsubscription(member=member, topic=topic, post=post)


def unsubscribe_apply(*, unsubscription: Unsubscription) -> None:
    """Switch off what an unsubscribe link names: a preference, or following one post's discussion."""
    member, topic = unsubscription.member, unsubscription.topic
    if topic == THREAD:
        ThreadSubscription.objects.filter(post=unsubscription.post, member=member).delete()
    else:
        NotificationPreference.objects.update_or_create(member=member, defaults={topic: False})
