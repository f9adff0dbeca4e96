from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("comments/", include("comments.urls")),
    path("communities/", include("portal.community_urls")),
    path("", include("blog.urls")),
]

if settings.SERVE_MEDIA:
    # Uploaded media for a single-server site; behind a load balancer, serve
    # MEDIA_ROOT from the web server or object storage and set SERVE_MEDIA=0.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
