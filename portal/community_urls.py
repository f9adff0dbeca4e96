"""Communities under /communities/: pages from blog (they show posts) and accounts (membership)."""

from django.urls import path

from accounts import community_views as accounts_views
from blog import community_views as blog_views
from blog.feeds import CommunityPostsFeed, feed_paths
from comments import insights

app_name = "communities"

urlpatterns = [
    path("", blog_views.CommunityDirectoryView.as_view(), name="directory"),
    path("new/", accounts_views.community_create, name="create"),
    path("invitation/<str:token>/", accounts_views.invitation_landing, name="invitation"),
    path("invitation/<int:pk>/withdraw/", accounts_views.invitation_withdraw, name="withdraw_invitation"),
    path("membership/<int:pk>/approve/", accounts_views.membership_approve, name="approve"),
    path("membership/<int:pk>/decline/", accounts_views.membership_decline, name="decline"),
    path("membership/<int:pk>/role/", accounts_views.membership_role, name="role"),
    path("membership/<int:pk>/remove/", accounts_views.membership_remove, name="remove"),
    path("membership/<int:pk>/accept/", accounts_views.invitation_accept, name="accept"),
    path("membership/<int:pk>/refuse/", accounts_views.invitation_refuse, name="refuse"),
    path("<slug:slug>/", blog_views.CommunityDetailView.as_view(), name="detail"),
    path("<slug:slug>/edit/", accounts_views.community_edit, name="edit"),
    path("<slug:slug>/members/", accounts_views.community_members, name="members"),
    path("<slug:slug>/join/", accounts_views.community_join, name="join"),
    path("<slug:slug>/leave/", accounts_views.community_leave, name="leave"),
    path("<slug:slug>/invite/", accounts_views.community_invite, name="invite"),
    path("<slug:slug>/insights/", insights.community_insights, name="insights"),
    # A public community's posts as RSS and Atom (blog/feeds.py); a private community's feed is a 404.
    *feed_paths("<slug:slug>/feed/", "feed", CommunityPostsFeed),
]
