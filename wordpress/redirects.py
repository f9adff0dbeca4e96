"""WordPress's ``/?p=<id>`` and ``/?page_id=<id>`` links redirect (301) to the imported post or page.

Old links keep working after an import, and only to what the visitor may read:
a hidden post, an unknown id or a malformed one is a 404, as if it did not exist.
"""

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404

from blog.models import Page, Post


def legacy_redirect(request, fallback=None):
    """301 from WordPress's ``/?p=<id>`` to the imported post, and ``/?page_id=<id>`` to the page.

    Only posts the visitor may read (and published pages) are redirected; anything else is a 404.
    ``fallback`` (a view) serves the request when it carries no such parameter.
    """
    post_id, page_id = request.GET.get("p"), request.GET.get("page_id")
    if post_id is None and page_id is None:
        if fallback is not None:
            return fallback(request)
        raise Http404
    if post_id is not None:
        if not post_id.isdigit():
            raise Http404
        post = get_object_or_404(Post.objects.visible_to(request.user), wp_id=int(post_id))
        return HttpResponsePermanentRedirect(post.get_absolute_url())
    if not page_id.isdigit():
        raise Http404
    pages = Page.objects.all() if request.user.is_staff else Page.objects.filter(status=Page.Status.PUBLISHED)
    page = get_object_or_404(pages, wp_id=int(page_id))
    return HttpResponsePermanentRedirect(page.get_absolute_url())


def with_legacy_redirect(view):
    """Wrap the home page view so that ``/?p=<id>`` and ``/?page_id=<id>`` redirect (``legacy_redirect``)."""

    def wrapped(request, *args, **kwargs):
        return legacy_redirect(request, fallback=lambda r: view(r, *args, **kwargs))

    wrapped.__name__ = getattr(view, "__name__", "home")
    return wrapped
