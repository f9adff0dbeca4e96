from django import template

from comments.models import ThreadSubscription

register = template.Library()


@register.inclusion_tag("comments/includes/_follow_button.html", takes_context=True)
def follow_button(context, post):
    """The "Follow this discussion" or "Unfollow" button for a signed-in reader; nothing for visitors.

    At most one query: whether the reader follows ``post``.
    """
    request = context["request"]
    user = request.user
    if not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "post": post,
        "following": ThreadSubscription.objects.filter(post=post, member=user).exists(),
        "next": f"{request.get_full_path()}#comments",
    }
