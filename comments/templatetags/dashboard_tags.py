"""The editors' dashboard on the admin index: what is waiting for them, with links.

Counts of comments in the moderation queue, comments with open flags, posts in
review and scheduled posts: one aggregate query for comments and one for posts,
each shown only to staff who may act on it.
"""

from django import template
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blog.models import Post
from comments.models import Comment, CommentFlag

register = template.Library()


def dashboard_items(user):
    """The dashboard's rows for ``user`` (label, count, link); [] for staff who may not moderate or edit."""
    items = []
    if user.has_perm("comments.change_comment"):
        open_flags = Exists(CommentFlag.objects.filter(comment=OuterRef("pk"), dismissed_at__isnull=True))
        comments = Comment.objects.aggregate(
            pending=Count("pk", filter=Q(pk__in=Comment.objects.in_moderation_queue().values("pk"))),
            flagged=Count("pk", filter=Q(open_flags)),
        )
        changelist = reverse("admin:comments_comment_changelist")
        items += [
            {
                "key": "pending",
                "label": _("Comments awaiting moderation"),
                "count": comments["pending"],
                "url": reverse("comments:queue"),
            },
            {
                "key": "flagged",
                "label": _("Flagged comments"),
                "count": comments["flagged"],
                "url": f"{changelist}?flagged=yes",
            },
        ]
    if user.has_perm("blog.change_post"):
        posts = Post.objects.aggregate(
            review=Count("pk", filter=Q(status=Post.Status.REVIEW)),
            scheduled=Count("pk", filter=Q(status=Post.Status.PUBLISHED, publish_at__gt=timezone.now())),
        )
        changelist = reverse("admin:blog_post_changelist")
        items += [
            {
                "key": "review",
                "label": _("Posts in review"),
                "count": posts["review"],
                "url": f"{changelist}?publication=review",
            },
            {
                "key": "scheduled",
                "label": _("Scheduled posts"),
                "count": posts["scheduled"],
                "url": f"{changelist}?publication=scheduled",
            },
        ]
    return items


@register.simple_tag(takes_context=True)
def editorial_dashboard(context):
    request = context.get("request")
    if request is None or not request.user.is_active or not request.user.is_staff:
        return []
    return dashboard_items(request.user)
