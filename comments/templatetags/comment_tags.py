from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from comments import rules
from comments.forms import CommentForm
from comments.models import Comment
from comments.threads import PAGE_PARAM, build_thread_page, discussion_settings

register = template.Library()


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.inclusion_tag("comments/includes/_comment_section.html", takes_context=True)
def comment_section(context, post):
    """The discussion under a post: count line, a page of threads and the comment form.

    Queries: the discussion settings, then the page of threads (see
    ``comments.threads``); a constant number whatever the size of the discussion.

    A view that re-renders the post page after a failed submission passes the
    bound form as ``comment_form`` so the member's text comes back to them.
    Without JavaScript, ``?replyto=<id>`` sets the form's parent.
    """
    request = context["request"]
    user = request.user
    discussion = discussion_settings()
    page = build_thread_page(post, user, page=request.GET.get(PAGE_PARAM), discussion=discussion)

    form = context.get("comment_form")
    if form is None:
        form = CommentForm(author=user, discussion=discussion)
        reply_to_id = _int_or_none(request.GET.get("replyto"))
    else:
        reply_to_id = _int_or_none(form["parent"].value())
    reply_to = _reply_target(post, user, page, reply_to_id)
    if reply_to is not None and not form.is_bound:
        form.initial["parent"] = reply_to.pk

    closed = rules.closed_for_comments(post, discussion)
    return {
        "request": request,
        "user": user,
        "post": post,
        "threads": page.threads,
        "thread_page": page,
        "comment_form": form,
        "reply_to": reply_to,
        "closed": closed,
        "open": post.is_published and not closed,
    }


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
