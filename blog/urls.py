from django.urls import path, re_path, register_converter

from . import archive_views, converters, feeds, follow_views, path_views, views

register_converter(converters.FourDigitYearConverter, "yyyy")
register_converter(converters.TwoDigitConverter, "mm")

app_name = "blog"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("<yyyy:year>/<mm:month>/<mm:day>/<slug:slug>/", views.PostDetailView.as_view(), name="post"),
    path("category/<slug:slug>/", views.CategoryPostsView.as_view(), name="category"),
    path("tag/<slug:slug>/", views.TagPostsView.as_view(), name="tag"),
    path("author/<str:username>/", views.AuthorPostsView.as_view(), name="author"),
    path("write/", views.post_write, name="post_create"),
    path("write/<int:pk>/", views.post_write, name="post_edit"),
    # Following, My feed and the digest's unsubscribe link (follow_views.py)
    path("follow/<str:kind>/<int:pk>/", follow_views.follow, name="follow"),
    path("unfollow/<str:kind>/<int:pk>/", follow_views.unfollow, name="unfollow"),
    path("my-feed/", follow_views.MyFeedView.as_view(), name="my_feed"),
    path("digest/unsubscribe/<str:token>/", follow_views.digest_unsubscribe, name="digest_unsubscribe"),
    # Date archives (archive_views.py)
    path("archive/", archive_views.ArchiveIndexView.as_view(), name="archive"),
    path("<yyyy:year>/", archive_views.PostYearArchiveView.as_view(), name="archive_year"),
    path("<yyyy:year>/<mm:month>/", archive_views.PostMonthArchiveView.as_view(), name="archive_month"),
    # Feeds (feeds.py): RSS and Atom, summary and full content, e.g. feed/, feed/atom/full/
    *feeds.feed_paths("feed/", "feed", feeds.LatestPostsFeed),
    *feeds.feed_paths("category/<slug:slug>/feed/", "category_feed", feeds.CategoryPostsFeed),
    *feeds.feed_paths("tag/<slug:slug>/feed/", "tag_feed", feeds.TagPostsFeed),
    *feeds.feed_paths("author/<str:username>/feed/", "author_feed", feeds.AuthorPostsFeed),
    # Learning paths (path_views.py)
    path("paths/", path_views.path_list, name="learning_paths"),
    path("paths/<slug:slug>/", path_views.path_detail, name="learning_path"),
    path("paths/<slug:slug>/steps/<int:step_id>/done/", path_views.step_done, name="step_done"),
    path("paths/<slug:slug>/steps/<int:step_id>/undone/", path_views.step_undone, name="step_undone"),
    # Site pages at their WordPress path, e.g. about/team/: only word segments, and LAST,
    # so it never shadows an address above (an unknown path is a 404 from page_detail).
    re_path(r"^(?P<path>[-\w]+(?:/[-\w]+)*)/$", path_views.page_detail, name="page"),
]
