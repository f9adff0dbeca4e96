"""The discussion rules applied to a comment when it is submitted or edited.

Each rule is a setting editors change in the admin (``DiscussionSettings``).
The verdict says what happens to the comment and, when it is held, why, in
words the member can act on.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.markup import INVISIBLE_CHARACTERS

from .models import Comment, CommentFlag, HoldReason

# C0/C1 control characters other than tab and newline.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINK = re.compile(r"(?i)(?:\bhttps?://|\bwww\.|\bmailto:)[^\s<>()\[\]]*")


def clean_body(text):
    """Normalise a submitted comment: newlines, no control characters, nothing invisible.

    Bidi overrides and zero-width characters are removed so they cannot
    disguise a link or reorder the page around the comment. Joiners used by
    emoji and many scripts (U+200C, U+200D) are kept.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL_CHARACTERS.sub("", text)
    return INVISIBLE_CHARACTERS.sub("", text)


def count_links(text):
    return len(LINK.findall(text))


def _normalised(text):
    return INVISIBLE_CHARACTERS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def find_listed(text, entries):
    """The first entry of ``entries`` that ``text`` contains (whole words for plain words)."""
    haystack = _normalised(text)
    for entry in entries:
        needle = _normalised(entry)
        if not needle:
            continue
        if re.fullmatch(r"\w+", needle):
            if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
                return entry
        elif needle in haystack:
            return entry
    return None


@dataclass(frozen=True)
class Verdict:
    status: str
    hold_reason: str = ""
    detail: str = ""

    @property
    def held(self):
        return self.status != Comment.Status.APPROVED


def evaluate(*, author, text, rules, check_first_comment=True):
    """Decide the status of a comment by ``author`` with ``text`` under ``rules``."""
    if author.has_perm("comments.change_comment"):
        return Verdict(Comment.Status.APPROVED)
    searchable = f"{text}\n{author.email}\n{author.website}"
    if listed := find_listed(searchable, rules.disallowed_list):
        return Verdict(Comment.Status.SPAM, HoldReason.DISALLOWED_WORD, listed)
    if (links := count_links(text)) > rules.max_links:
        return Verdict(Comment.Status.PENDING, HoldReason.TOO_MANY_LINKS, str(links))
    if listed := find_listed(searchable, rules.moderation_list):
        return Verdict(Comment.Status.PENDING, HoldReason.MODERATION_WORD, listed)
    if check_first_comment and rules.hold_first_comment and awaits_first_approval(author):
        return Verdict(Comment.Status.PENDING, HoldReason.FIRST_COMMENT)
    return Verdict(Comment.Status.APPROVED)


# --- The first-comment hold and what lifts it -----------------------------------------
#
# The promise made to a held member: "Once one of your comments is approved, the next ones
# appear at once." A comment is held for this reason only while its author has nothing
# approved (``awaits_first_approval``), and approving one of the author's comments releases
# their others held for that reason alone (``released_by_approval``): not those held for
# links or listed words, hidden by flags, sent back or removed. Anything later held the same
# way (a member's first post, say) gives its hold reason the same meaning and uses the same
# two functions; ``comments.services.comments_moderate`` applies the release to comments.

HOLDS_LIFTED_BY_APPROVAL = frozenset({HoldReason.FIRST_COMMENT})


def awaits_first_approval(author) -> bool:
    """True while ``author`` has no approved comment: what ``hold_first_comment`` holds."""
    return not Comment.objects.approved().filter(author=author).exists()


def released_by_approval(held, author_ids):
    """Of ``held``, what an approval of their author's work releases: pending only because the
    author had nothing approved yet.

    ``held`` is a queryset of anything held like comments (``author``, ``status`` with
    ``"pending"``, ``hold_reason``); ``author_ids`` are the authors who now have an approved comment.
    """
    return held.filter(
        author_id__in=author_ids, status=Comment.Status.PENDING, hold_reason__in=HOLDS_LIFTED_BY_APPROVAL
    )


def comments_released_by_approval(author_ids):
    """The comments an approval of a comment by one of ``author_ids`` publishes with it.

    Only comments waiting in the moderation queue (not sent back, not removed) and with no open
    flag: a comment hidden by flags waits for an editor whatever its author's record.
    """
    open_flags = CommentFlag.objects.filter(dismissed_at__isnull=True).values("comment_id")
    return released_by_approval(Comment.objects.in_moderation_queue(), author_ids).exclude(pk__in=open_flags)


def hold_explanation(comment, rules):
    """Why a held comment is held, and what lifts the hold, in plain words for its author."""
    reason = comment.hold_reason
    if reason == HoldReason.FIRST_COMMENT:
        return _(
            "Your first comment is read by an editor before it appears. Once one of your comments "
            "is approved, the next ones appear at once."
        )
    if reason == HoldReason.TOO_MANY_LINKS:
        return ngettext(
            "Comments with more than %(max)d link wait for an editor. It appears once approved; "
            "with fewer links, comments appear at once.",
            "Comments with more than %(max)d links wait for an editor. It appears once approved; "
            "with fewer links, comments appear at once.",
            rules.max_links,
        ) % {"max": rules.max_links}
    if reason in (HoldReason.MODERATION_WORD, HoldReason.DISALLOWED_WORD):
        return _(
            "Your comment contains “%(word)s”, which is on the list of words and addresses that an "
            "editor reviews. It appears once approved."
        ) % {"word": comment.hold_detail}
    if reason == HoldReason.FLAGGED:
        return _("Several members flagged this comment, so it is hidden until an editor reviews it.")
    if reason == HoldReason.RETURNED:
        if comment.is_returned:
            return _("An editor sent this comment back to you: revise it and send it again.")
        return _("You revised this comment: an editor reads it again before it appears.")
    return _("Your comment is awaiting moderation.")


def closed_for_comments(post, rules, *, now=None):
    """True when ``post`` takes no new comments: closed by hand, or older than the site's limit."""
    if not post.comments_open:
        return True
    if rules.close_after_days:
        now = now or timezone.now()
        return post.publish_at < now - timedelta(days=rules.close_after_days)
    return False


def flag_limit_refusal(member, *, now=None):
    """Why ``member`` may not flag another comment now (too many flags lately), or None.

    Flags hide comments (``flags_to_hide``) and notify editors, so one member
    may raise ``settings.PORTAL_RATE_LIMITS["flag"]`` = (count, seconds) of them
    in that time. Counted from the member's own flags in the database, so the
    limit holds across app servers and restarts.
    """
    rule = getattr(settings, "PORTAL_RATE_LIMITS", {}).get("flag")
    if not rule or member.is_staff:
        return None
    count, seconds = rule
    since = (now or timezone.now()) - timedelta(seconds=seconds)
    if CommentFlag.objects.filter(flagged_by=member, created__gte=since).count() < count:
        return None
    return ngettext(
        "You have flagged %(count)d comment recently, the most allowed. Editors will look at it; "
        "try again later.",
        "You have flagged %(count)d comments recently, the most allowed. Editors will look at them; "
        "try again later.",
        count,
    ) % {"count": count}
