from django.urls import path
from django.views.decorators.http import require_safe

from . import audit_views, feeds, moderation_views, notification_views, views

app_name = "comments"

urlpatterns = [
    # Members' comments (views.py)
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("<int:comment_id>/", views.permalink, name="permalink"),
    path("<int:comment_id>/edit/", views.edit_comment, name="edit"),
    path("<int:comment_id>/remove/", views.remove_comment, name="remove"),
    path("post/<int:post_id>/feed/", require_safe(feeds.PostCommentsFeed()), name="post_feed"),
    path("post/<int:post_id>/feed/atom/", require_safe(feeds.PostCommentsAtomFeed()), name="post_feed_atom"),
    # Flags and the moderation queue (moderation_views.py)
    path("<int:comment_id>/flag/", moderation_views.flag_comment, name="flag"),
    path("moderation/", moderation_views.queue, name="queue"),
    path("moderation/act/", moderation_views.moderate, name="moderate"),
    path("moderation/<int:comment_id>/return/", moderation_views.return_comment, name="return"),
    path("moderation/member/<int:user_id>/spam/", moderation_views.spam_author, name="spam_author"),
    # The audit log of moderation, memberships and admin actions, for editors (audit_views.py)
    path("audit/", audit_views.audit_log, name="audit"),
    # Following discussions and email preferences (notification_views.py)
    path("post/<int:post_id>/follow/", notification_views.follow, name="follow"),
    path("post/<int:post_id>/unfollow/", notification_views.unfollow, name="unfollow"),
    path("notifications/", notification_views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
]
