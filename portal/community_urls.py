"""Every address of the communities feature, under /communities/: start here to follow it.

- the directory and a community's page show posts: ``blog/views/communities.py``;
- creating, editing, members, invitations and memberships: ``accounts/views/communities.py``,
  whose rules live in ``accounts/services.py`` and ``accounts/models.py``;
- the insights page counts posts and comments too: ``portal/insights.py``;
- the feeds of a public community's posts: ``blog/feeds.py``.

The fixed first segments here ("new", "invitation", "membership") are
``accounts.models.RESERVED_COMMUNITY_SLUGS``: no community may take them as its slug.
"""

from django.urls import path

from accounts.views import communities as accounts_views
from blog.feeds import CommunityPostsFeed, feed_paths
from blog.views import communities as blog_views
from portal import insights

app_name = "communities"

urlpatterns = [
    path("", blog_views.CommunityDirectoryView.as_view(), name="directory"),
    path("new/", accounts_views.create_community, name="create"),
    path("invitation/<str:token>/", accounts_views.invitation_landing, name="invitation"),
    path(
        "invitation/member/<str:token>/", accounts_views.member_invitation_landing, name="member_invitation"
    ),
    path("invitation/<int:pk>/withdraw/", accounts_views.withdraw_invitation, name="withdraw_invitation"),
    path("membership/<int:pk>/approve/", accounts_views.approve_membership, name="approve"),
    path("membership/<int:pk>/decline/", accounts_views.decline_membership, name="decline"),
    path("membership/<int:pk>/role/", accounts_views.change_membership_role, name="role"),
    path("membership/<int:pk>/remove/", accounts_views.remove_membership, name="remove"),
    path("membership/<int:pk>/accept/", accounts_views.accept_invitation, name="accept"),
    path("membership/<int:pk>/refuse/", accounts_views.refuse_invitation, name="refuse"),
    path("<slug:slug>/", blog_views.CommunityDetailView.as_view(), name="detail"),
    path("<slug:slug>/edit/", accounts_views.edit_community, name="edit"),
    path("<slug:slug>/members/", accounts_views.community_members, name="members"),
    path("<slug:slug>/join/", accounts_views.join_community, name="join"),
    path("<slug:slug>/leave/", accounts_views.leave_community, name="leave"),
    path("<slug:slug>/invite/", accounts_views.invite_to_community, name="invite"),
    path("<slug:slug>/insights/", insights.community_insights, name="insights"),
    # A public community's posts as RSS and Atom (blog/feeds.py); a private community's feed is a 404.
    *feed_paths("<slug:slug>/feed/", "feed", CommunityPostsFeed),
]
