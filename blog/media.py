"""Uploaded files, served by the portal itself when ``SERVE_MEDIA`` is on (one server).

A post's cover and its thumbnail go only to those who may open the post: the
cover of a members-only post is as private as the post (a 404 for anyone
else, like the post itself), and is marked ``Cache-Control: private`` so that
no shared cache keeps it. Other files (avatars, community logos) are public.
"""

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.views.decorators.http import require_safe
from django.views.static import serve

from .models import Post

COVERS = "covers/"


@require_safe
def serve_media(request, path):
    if path.startswith(COVERS):
        cover_of = list(
            Post.objects.filter(Q(cover=path) | Q(cover_thumbnail=path)).values_list("pk", flat=True)[:1]
        )
        if cover_of:
            if not Post.objects.visible_to(request.user).filter(pk__in=cover_of).exists():
                raise Http404("No such file.")
            response = serve(request, path, document_root=settings.MEDIA_ROOT)
            if not Post.objects.readable_by(None).published().filter(pk__in=cover_of).exists():
                response["Cache-Control"] = "private"
            return response
    return serve(request, path, document_root=settings.MEDIA_ROOT)
