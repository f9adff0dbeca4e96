"""The comments app's part of a member's data (see ``accounts/privacy.py``).

Deleting an account keeps the member's comments, so that the threads they
took part in stay readable; the name, email and website copied onto each
comment are replaced by "deleted member" and blanks. Thread subscriptions and
notification preferences are deleted.
"""

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext

from accounts.privacy import deleted_member_name, eraser, exporter, forget_admin_names
from blog.models import Post
from core.links import absolute_url

from .models import Comment, CommentFlag, NotificationPreference, ThreadSubscription


@exporter
def export_comments(user) -> dict:
    comments = list(Comment.objects.filter(author=user).select_related("post").order_by("created", "pk"))
    # The title of a post the member may no longer read (they left its community) is not theirs to take.
    readable = set(
        Post.objects.visible_to(user)
        .filter(pk__in={c.post_id for c in comments})
        .values_list("pk", flat=True)
    )
    subscriptions = ThreadSubscription.objects.filter(
        member=user, post__in=Post.objects.visible_to(user)
    ).select_related("post")
    preferences = NotificationPreference.objects.filter(member=user).first() or NotificationPreference(
        member=user
    )
    flags = CommentFlag.objects.filter(flagged_by=user).order_by("created")
    return {
        "comments": [
            {
                "id": comment.pk,
                "post_title": comment.post.title if comment.post_id in readable else None,
                "post_url": absolute_url(comment.post.get_absolute_url())
                if comment.post_id in readable
                else "",
                "url": absolute_url(comment.get_absolute_url())
                if comment.post_id in readable and comment.is_approved and not comment.is_removed
                else "",
                "in_reply_to": comment.parent_id,
                "status": comment.status,
                "removed": comment.is_removed,
                "created": comment.created,
                "edited_at": comment.edited_at,
                "name_shown": comment.author_name,
                "website": comment.author_url,
                "body": comment.body,
            }
            for comment in comments
        ],
        "thread_subscriptions": [
            {
                "post_title": s.post.title,
                "post_url": absolute_url(s.post.get_absolute_url()),
                "since": s.created,
            }
            for s in subscriptions
        ],
        "comment_notifications": {
            field: getattr(preferences, field)
            for field in (
                "comments_on_my_posts",
                "replies_to_me",
                "my_comment_moderated",
                "moderation_digest",
            )
        },
        "flags_raised": [
            {"comment_id": flag.comment_id, "reason": flag.reason, "note": flag.note, "created": flag.created}
            for flag in flags
        ],
    }


@eraser
def erase_comments(user) -> None:
    name = deleted_member_name()
    theirs = Comment.objects.filter(author=user)
    # update(): no signal, so the search index and counts stay as they are (the body is unchanged).
    theirs.update(author_name=name, author_email="", author_url="")
    forget_admin_names(
        Comment,
        theirs.annotate(key=Cast("pk", TextField())).values("key"),
        gettext("%(author)s on %(post)s") % {"author": name, "post": "…"},
    )
    ThreadSubscription.objects.filter(member=user).delete()
    NotificationPreference.objects.filter(member=user).delete()
    CommentFlag.objects.filter(flagged_by=user).update(note="")  # the flags still count; the words go
