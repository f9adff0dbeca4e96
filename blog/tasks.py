"""The weekly digest email: the week's posts from what a member follows.

``python manage.py send_digests`` (run daily by cron or a systemd timer, see
docs/operations.md) enqueues one ``send_digest`` task per member who chose the weekly
digest and whose last digest is at least ``DIGEST_INTERVAL`` old (or who never
had one). The task, run by the worker (``db_worker``):

* lists the posts published since the member's last digest (the last 7 days
  for a first digest, at most ``DIGEST_MAX_WINDOW`` back) that come from what
  they follow (``blog.services.followed_posts``) and that they may read
  (``Post.objects.visible_to(member)``), leaving out their own posts;
* sends nothing, and leaves ``digest_sent_at`` alone, when there is nothing
  new, so the member is looked at again on the next run;
* claims the digest by setting ``digest_sent_at`` with a conditional UPDATE
  before sending, so two runs (or a task enqueued twice) send one email; a
  failed send gives the claim back, and the next run tries again;
* is run again if its worker died (``portal/worker.py``): the command gives each
  task its ``as_of``, the value it claims with, so a run that finds the claim
  its own sends the digest that was perhaps never sent, under the same
  Message-ID, which the site's mailer does not send twice (``portal/mail.py``).

The email is plain text with an HTML alternative (``templates/blog/email/``),
links to the member's settings and carries a signed one-click unsubscribe
link (also as ``List-Unsubscribe``, RFC 8058) that sets the digest to "none".
It follows the comment emails (``comments/notifications.py``), which blog may
not import.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mailers
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.i18n import in_language_of
from core.links import absolute_url
from core.mail import UnsubscribableEmail, set_message_id

from .models import Post
from .services import digest_unsubscribe_token, followed_posts

logger = logging.getLogger(__name__)

DIGEST_INTERVAL = timedelta(days=7)
# How far back a digest looks at most, for a member whose last digest is long past.
DIGEST_MAX_WINDOW = timedelta(days=14)
DIGEST_MAX_POSTS = 20


def members_due_a_digest(now=None):
    """Active members with an address who chose the weekly digest and had none for a week."""
    now = now or timezone.now()
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, digest=User.Digest.WEEKLY)
        .exclude(email="")
        .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lte=now - DIGEST_INTERVAL))
    )


def digest_since(member, now):
    """Where ``member``'s next digest starts: their last digest, within bounds."""
    if member.digest_sent_at is None:
        return now - DIGEST_INTERVAL
    return max(member.digest_sent_at, now - DIGEST_MAX_WINDOW)


def digest_posts(member, *, since):
    """The posts for ``member``'s digest: from what they follow, that they may read, newest first."""
    readable = Post.objects.visible_to(member).published().filter(publish_at__gt=since).exclude(author=member)
    return (
        followed_posts(member, posts=readable)
        .select_related("author", "community")
        .order_by("-publish_at", "-pk")
    )


@task
def send_digest(member_id: int, as_of: str | None = None) -> int:
    """Email ``member_id`` their weekly digest if it is due and there is something new; returns 0 or 1.

    ``as_of`` (from ``send_digests``) is the time the digest is claimed with; a
    run that finds the member's digest claimed at exactly that time is this
    task run again after its worker died, and sends it (once: see above).
    """
    now = datetime.fromisoformat(as_of) if as_of else timezone.now()
    User = get_user_model()
    member = members_due_a_digest(now).filter(pk=member_id).first()
    resumed = False
    if member is None and as_of:
        member = (
            User.objects.filter(pk=member_id, is_active=True, digest=User.Digest.WEEKLY, digest_sent_at=now)
            .exclude(email="")
            .first()
        )
        resumed = member is not None
    if member is None:
        return 0
    # The run that claimed did not keep the previous digest's time: a resumed one looks a week back.
    previous = None if resumed else member.digest_sent_at
    since = now - DIGEST_INTERVAL if resumed else digest_since(member, now)
    posts_qs = digest_posts(member, since=since)
    posts = list(posts_qs[: DIGEST_MAX_POSTS + 1])
    if not posts:
        return 0
    total = len(posts) if len(posts) <= DIGEST_MAX_POSTS else posts_qs.count()
    # Claim this week's digest: a second task for the same member finds it taken.
    claimed = resumed or (
        members_due_a_digest(now).filter(pk=member.pk, digest_sent_at=previous).update(digest_sent_at=now)
    )
    if not claimed:
        return 0
    message = build_digest_email(member, posts[:DIGEST_MAX_POSTS], total=total)
    set_message_id(message, "weekly-digest", member.pk, now.isoformat())
    try:
        sent = mailers.default.send_messages([message])
    except OSError:
        logger.warning(
            "Sending the weekly digest to member %s failed; the next run retries.", member.pk, exc_info=True
        )
        User.objects.filter(pk=member.pk, digest_sent_at=now).update(digest_sent_at=previous)
        return 0
    return sent


DigestEmail = UnsubscribableEmail


def build_digest_email(member, posts, *, total) -> DigestEmail:
    """The weekly digest to ``member``, in their language (``User.language``, else the site's)."""
    with in_language_of(member):
        return _build_digest_email(member, posts, total=total)


def _build_digest_email(member, posts, *, total):
    unsubscribe_url = absolute_url(
        reverse("blog:digest_unsubscribe", kwargs={"token": digest_unsubscribe_token(member)})
    )
    context = {
        "member": member,
        "items": [{"post": post, "url": absolute_url(post.get_absolute_url())} for post in posts],
        "total": total,
        "more": total - len(posts),
        "portal_name": settings.PORTAL_NAME,
        "site_url": absolute_url("/"),
        "my_feed_url": absolute_url(reverse("blog:my_feed")),
        "settings_url": absolute_url(reverse("accounts:edit_profile")),
        "unsubscribe_url": unsubscribe_url,
    }
    subject = " ".join(render_to_string("blog/email/digest_subject.txt", context).split())
    message = DigestEmail(
        subject=f"[{settings.PORTAL_NAME}] {subject}",
        body=render_to_string("blog/email/digest_message.txt", context),
        to=[member.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("blog/email/digest_message.html", context), "text/html")
    return message
