import re
from dataclasses import dataclass

from django import template
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.models import Membership
from blog.models import Post
from comments import rules
from comments.forms import CommentForm
from comments.models import Comment
from comments.threads import BESIDE_COMMENT_TAG, PAGE_PARAM, build_thread_page, discussion_settings
from core.page_cache import content_version, fresh_value_placeholder, not_for_page_cache, with_fresh_values

register = template.Library()


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


THREADS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class ThreadPageSummary:
    """What the comment form needs to know of the page of threads above it."""

    number: int
    is_default_page: bool


@register.inclusion_tag("comments/includes/_comment_section.html", takes_context=True)
def comment_section(context, post):
    """The discussion under a post: count line, a page of threads and the comment form.

    Queries: the discussion settings (cached per content version), then the
    page of threads (see ``comments.threads``); a constant number whatever the
    size of the discussion.

    The page of threads is cached per post, comment page, language and
    content version (core/page_cache.py). Visitors share one copy, and so
    do members who have no comment on the post and do not moderate it (one
    query tells, instead of the three that build the threads). Authors of a
    comment there (their held comments, Edit and Remove), editors and
    community moderators get a copy of their own, rendered with a placeholder
    for the CSRF token that is replaced by the request's token when served;
    not cached while one of their comments is still in its edit window (the
    Edit link must go when the window closes).

    A view that re-renders the post page after a failed submission passes the
    bound form as ``comment_form`` so the member's text comes back to them.
    Without JavaScript, ``?replyto=<id>`` sets the form's parent.

    Messages about a comment (``views.comments.tell_beside``: published, held,
    updated, removed) are put first in that comment's ``<li>``, where the page
    lands, in a ``role="status"`` box; at the top of the section when the
    comment is not on this page. They are added after the cache, never stored.
    """
    request = context["request"]
    user = request.user
    discussion = discussion_settings()

    form = context.get("comment_form")
    if form is None:
        form = CommentForm(author=user, discussion=discussion)
        reply_to_id = _int_or_none(request.GET.get("replyto"))
    else:
        reply_to_id = _int_or_none(form["parent"].value())

    closed = rules.closed_for_comments(post, discussion)
    raw_page = request.GET.get(PAGE_PARAM)
    key = None
    if reply_to_id is None:
        reader = _reader_key(post, user)
        page_key = _int_or_none(raw_page) or "default"
        language = translation.get_language()
        key = f"comments:threads:{post.pk}:{content_version()}:{language}:{reader}:{closed}:{page_key}"
        cached = cache.get(key)
        if cached is not None:
            threads_html, summary = cached
            return _section(
                request, user, post, form, with_fresh_values(threads_html, request), summary, None, closed
            )

    page = build_thread_page(post, user, page=raw_page, discussion=discussion)
    # Rendered without the request: forms get the CSRF token's placeholder, replaced when served.
    threads_html = render_to_string(
        "comments/includes/_threads.html",
        {
            "threads": page.threads,
            "thread_page": page,
            "user": user,
            "post": post,
            "csrf_token": fresh_value_placeholder("csrfmiddlewaretoken"),
        },
    )
    summary = ThreadPageSummary(number=page.page.number, is_default_page=page.is_default_page)
    if any(node.can_edit for node in page.nodes.values()):
        not_for_page_cache(request)
    elif key:
        cache.set(key, (threads_html, summary), THREADS_CACHE_SECONDS)
    threads_html = with_fresh_values(threads_html, request)
    reply_to = _reply_target(post, user, page, reply_to_id)
    if reply_to is not None and not form.is_bound:
        form.initial["parent"] = reply_to.pk
    return _section(request, user, post, form, threads_html, summary, reply_to, closed)


def _section(request, user, post, form, threads_html, summary, reply_to, closed):
    # After the cache: a notice belongs to this request only.
    threads_html, section_notices = _with_notices(threads_html, _notices(request))
    return {
        "request": request,
        "user": user,
        "post": post,
        "threads_html": mark_safe(threads_html),  # noqa: S308 (our template's output, escaped there)
        "section_notices": section_notices,
        "thread_page": summary,
        "comment_form": form,
        "reply_to": reply_to,
        "closed": closed,
        "open": post.is_published and not closed,
    }


NOTICE_HTML = '<div class="comment-notice alert alert-{} py-2 mb-2" role="status" tabindex="-1">{}</div>'


def _notices(request) -> list[tuple[int | None, object]]:
    """The messages to show beside a comment (``views.comments.tell_beside``), with the comment's id."""
    found = []
    storage = get_messages(request)
    if not storage:  # len(): iterating an empty storage would mark it used, and the page uncacheable
        return found
    for message in storage:
        tags = (message.extra_tags or "").split()
        if BESIDE_COMMENT_TAG in tags:
            ids = [int(tag[8:]) for tag in tags if tag.startswith("comment-") and tag[8:].isdigit()]
            found.append((ids[0] if ids else None, message))
    return found


def _with_notices(threads_html: str, notices) -> tuple[str, list]:
    """``threads_html`` with each notice first in its comment's ``<li>``; those whose comment
    is not on this page are returned, for the top of the comment section."""
    elsewhere = []
    for comment_id, message in notices:
        level = "danger" if message.level_tag == "error" else message.level_tag or "info"
        notice = format_html(NOTICE_HTML, level, message)
        opening = re.search(rf'<li id="comment-{comment_id}"[^>]*>', threads_html) if comment_id else None
        if opening is None:
            elsewhere.append(notice)
        else:
            threads_html = threads_html[: opening.end()] + notice + threads_html[opening.end() :]
    return threads_html, elsewhere


def _reader_key(post, user) -> str:
    """Whose copy of the page of threads ``user`` gets: "visitor", "member" (shared), or their own.

    Members have their own when they have a comment on the post (their held
    comments, Edit and Remove) or moderate its community (Remove); editors
    always do.
    """
    if not user.is_authenticated:
        return "visitor"
    own = f"user-{user.pk}"
    if user.is_staff or not user.is_active:
        return own
    personal = Q(Exists(Comment.objects.filter(post=OuterRef("pk"), author=user)))
    if post.community_id:
        personal |= Q(
            Exists(
                Membership.objects.active().filter(
                    member=user,
                    community_id=OuterRef("community_id"),
                    role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR],
                )
            )
        )
    return own if Post.objects.filter(personal, pk=post.pk).exists() else "member"


def _reply_target(post, user, page, pk):
    """The comment being answered, when it may be answered; None otherwise.

    Usually it is on the page; after a failed reply to a comment on another
    page, one query finds it.
    """
    if pk is None:
        return None
    node = page.nodes.get(pk)
    if node is not None:
        return node.comment if node.can_reply else None
    comment = (
        Comment.objects.filter(pk=pk, post=post, removed_at__isnull=True)
        .approved()
        .select_related("author")
        .first()
    )
    return comment


@register.simple_tag
def comment_feed_link(post):
    """``<link rel="alternate">`` to the RSS feed of the post's comments, for the page's head."""
    return format_html(
        '<link rel="alternate" type="application/rss+xml" title="{}" href="{}">',
        _("Comments on “%(title)s”") % {"title": post.title},
        reverse("comments:post_feed", kwargs={"post_id": post.pk}),
    )


@register.inclusion_tag("comments/includes/_member_comments.html", takes_context=True)
def member_comments(context, member, limit=10):
    """A member's latest approved comments on posts the reader may see, for their profile."""
    request = context["request"]
    comments = list(
        Comment.objects.approved()
        .filter(author=member)
        .on_visible_posts(request.user)
        .select_related("post")
        .order_by("-created")[:limit]
    )
    return {"member": member, "comments": comments}
