from django.urls import path, re_path, register_converter

from . import converters, feeds
from .views import archives, follows, paths, posts

register_converter(converters.FourDigitYearConverter, "yyyy")
register_converter(converters.TwoDigitConverter, "mm")

app_name = "blog"

urlpatterns = [
    path("", posts.HomeView.as_view(), name="home"),
    path("<yyyy:year>/<mm:month>/<mm:day>/<slug:slug>/", posts.PostDetailView.as_view(), name="post"),
    path("category/<slug:slug>/", posts.CategoryPostsView.as_view(), name="category"),
    path("tag/<slug:slug>/", posts.TagPostsView.as_view(), name="tag"),
    path("author/<str:username>/", posts.AuthorPostsView.as_view(), name="author"),
    path("write/", posts.post_write, name="post_create"),
    path("write/<int:pk>/", posts.post_write, name="post_edit"),
    # Following, My feed and the digest's unsubscribe link (views/follows.py)
    path("follow/<str:kind>/<int:pk>/", follows.follow_target, name="follow"),
    path("unfollow/<str:kind>/<int:pk>/", follows.unfollow_target, name="unfollow"),
    path("my-feed/", follows.MyFeedView.as_view(), name="my_feed"),
    path("digest/unsubscribe/<str:token>/", follows.digest_unsubscribe, name="digest_unsubscribe"),
    # Date archives (views/archives.py)
    path("archive/", archives.ArchiveIndexView.as_view(), name="archive"),
    path("<yyyy:year>/", archives.PostYearArchiveView.as_view(), name="archive_year"),
    path("<yyyy:year>/<mm:month>/", archives.PostMonthArchiveView.as_view(), name="archive_month"),
    # Feeds (feeds.py): RSS and Atom, summary and full content, e.g. feed/, feed/atom/full/
    *feeds.feed_paths("feed/", "feed", feeds.LatestPostsFeed),
    *feeds.feed_paths("category/<slug:slug>/feed/", "category_feed", feeds.CategoryPostsFeed),
    *feeds.feed_paths("tag/<slug:slug>/feed/", "tag_feed", feeds.TagPostsFeed),
    *feeds.feed_paths("author/<str:username>/feed/", "author_feed", feeds.AuthorPostsFeed),
    # Learning paths (views/paths.py)
    path("paths/", paths.path_list, name="learning_paths"),
    path("paths/<slug:slug>/", paths.path_detail, name="learning_path"),
    path("paths/<slug:slug>/steps/<int:step_id>/done/", paths.step_done, name="step_done"),
    path("paths/<slug:slug>/steps/<int:step_id>/undone/", paths.step_undone, name="step_undone"),
    # Site pages at their WordPress path, e.g. about/team/: only word segments, and LAST,
    # so it never shadows an address above (an unknown path is a 404 from page_detail).
    re_path(r"^(?P<path>[-\w]+(?:/[-\w]+)*)/$", paths.page_detail, name="page"),
]
