from functools import partial

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from blog.media import serve_media
from blog.sitemaps import SITEMAPS, ProfileSitemap
from blog.views import posts as blog_views
from comments.models import Comment
from portal.search import search
from portal.views import healthz, switch_language
from wordpress.redirects import with_legacy_redirect

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME


def commenters():
    """Members with an approved comment on a post anyone may read: their profiles go in the sitemap too."""
    return Comment.objects.counted().on_visible_posts(None).values("author")


# Classes (or a partial), not instances: the sitemap views build one per request.
sitemaps = {**SITEMAPS, "members": partial(ProfileSitemap, contributors=[commenters])}

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("language/<str:code>/", switch_language, name="switch_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("comments/", include("comments.urls")),
    path("communities/", include("portal.community_urls")),
    path("search/", search, name="search"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain; charset=utf-8"),
        name="robots_txt",
    ),
    path(
        "sitemap.xml",
        require_safe(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        require_safe(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap_section",
    ),
    # WordPress's ?p=<id> links to imported posts redirect (301) to the post.
    path("", with_legacy_redirect(blog_views.HomeView.as_view()), name="home_or_legacy"),
    path("", include("blog.urls")),
]

if settings.SERVE_MEDIA:
    # Uploaded media for a single-server site; behind a load balancer, serve
    # MEDIA_ROOT from the web server or object storage and set SERVE_MEDIA=0.
    urlpatterns += [
        # Covers of members-only posts only to their readers (blog/media.py).
        re_path(r"^media/(?P<path>.*)$", serve_media),
    ]
