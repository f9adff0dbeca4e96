from django import template

from comments.forms import CommentForm
from comments.models import Comment

register = template.Library()


@register.inclusion_tag("comments/includes/_comment_section.html", takes_context=True)
def comment_section(context, post):
    """The discussion under a post: count line, comments (one query) and the comment form.

    A view that re-renders the post page after a failed submission passes the
    bound form as ``comment_form`` so the member's text comes back to them.
    """
    request = context["request"]
    comments = list(Comment.objects.filter(post=post).shown_to(request.user).select_related("author"))
    return {
        "request": request,
        "user": request.user,
        "post": post,
        "comments": comments,
        "comment_form": context.get("comment_form") or CommentForm(),
    }


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
