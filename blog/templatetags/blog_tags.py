from django import template

from blog.models import Post

register = template.Library()


@register.inclusion_tag("blog/includes/_member_posts.html", takes_context=True)
def member_posts(context, member, limit=10):
    """A member's latest posts the reader may see, for their profile (one query)."""
    request = context["request"]
    posts = list(Post.objects.visible_to(request.user).published().filter(author=member)[:limit])
    return {"member": member, "posts": posts}
