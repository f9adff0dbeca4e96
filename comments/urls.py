from django.urls import path
from django.views.decorators.http import require_safe

from . import feeds
from .views import audit, comments, moderation, notifications

app_name = "comments"

urlpatterns = [
    # Members' comments (views/comments.py)
    path("post/<int:post_id>/", comments.post_comment, name="post"),
    path("<int:comment_id>/", comments.permalink, name="permalink"),
    path("<int:comment_id>/edit/", comments.edit_comment, name="edit"),
    path("<int:comment_id>/remove/", comments.remove_comment, name="remove"),
    path("post/<int:post_id>/feed/", require_safe(feeds.PostCommentsFeed()), name="post_feed"),
    path("post/<int:post_id>/feed/atom/", require_safe(feeds.PostCommentsAtomFeed()), name="post_feed_atom"),
    # Flags and the moderation queue (views/moderation.py)
    path("<int:comment_id>/flag/", moderation.flag_comment, name="flag"),
    path("moderation/", moderation.queue, name="queue"),
    path("moderation/act/", moderation.moderate, name="moderate"),
    path("moderation/<int:comment_id>/return/", moderation.return_comment, name="return"),
    path("moderation/member/<int:user_id>/spam/", moderation.spam_author, name="spam_author"),
    # The audit log of moderation, memberships and admin actions, for editors (views/audit.py)
    path("audit/", audit.audit_log, name="audit"),
    # Following discussions and email preferences (views/notifications.py)
    path("post/<int:post_id>/follow/", notifications.follow_thread, name="follow"),
    path("post/<int:post_id>/unfollow/", notifications.unfollow_thread, name="unfollow"),
    path("notifications/", notifications.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
]
