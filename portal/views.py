from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from blog.models import Post
from core.i18n import set_language_cookie


@never_cache
@require_safe
def healthz(request):
    """Liveness and database check for load balancers; it goes through the whole middleware stack."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def switch_language(request, code):
    """Set the interface language cookie and go back to ``next`` (a path on this site) or home.

    A GET (the visitors' footer link: cached pages carry no CSRF token) sets only
    the cookie; a member's CSRF-checked POST also saves ``User.language``, which
    their emails and their next sign-in follow (docs/translations.md).
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    next_url = request.POST.get("next", "") if request.method == "POST" else request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        url=next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    next_url = _address_for_a_get(request, next_url)
    if request.method == "POST" and request.user.is_authenticated and request.user.language != code:
        # A plain UPDATE: no model signal, so the anonymous page cache is not flushed for this.
        get_user_model().objects.filter(pk=request.user.pk).update(language=code)
        request.user.language = code
    return set_language_cookie(HttpResponseRedirect(next_url), code)


def _address_for_a_get(request, next_url):
    """``next_url``, unless it is an address that takes only POSTs: then the page it belongs to.

    A refused comment is shown at the comment form's address, ``/comments/post/<id>/``;
    the footer sends the post's page as ``next`` from there (``page_address``), and a
    ``next`` that still names the form's address (an older page, a typed link) leads
    to the post's page too, if the reader may see it, else home: never to a 405.
    """
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return next_url
    if match.view_name == "comments:post":
        post = Post.objects.visible_to(request.user).filter(pk=match.kwargs["post_id"]).first()
        return post.get_absolute_url() + "#respond" if post is not None else "/"
    return next_url


def _form_page(request):
    """The page a refused form was sent from, for a "back" link: the Referer when it is on this site,
    else the form's own address (``_address_for_a_get`` turns one that takes only POSTs into its page)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        url=referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        candidate = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    else:
        candidate = request.get_full_path()
    return _address_for_a_get(request, candidate)


# Fields whose text is shown back on the CSRF failure page, so nothing written is lost.
WRITTEN_FIELDS = ("body", "text", "content", "note", "description", "bio", "excerpt", "title")


def csrf_failure(request, reason=""):
    """The page for a form refused by the CSRF check (settings.CSRF_FAILURE_VIEW), styled like the site.

    The usual cause is a form left open so long that the session ended, or
    cookies blocked. The page says so, and shows back what the member wrote in
    the form's text fields (escaped, in read-only boxes) so they can copy it:
    the form was refused, so nothing of it was saved, with a link back to the
    page the form came from. ``reason`` (Django's technical reason) is logged
    by Django, never shown.
    """
    written = []
    if request.method == "POST":
        for name in WRITTEN_FIELDS:
            value = request.POST.get(name, "").strip()
            if value:
                written.append({"name": name, "value": value[:20000]})
    context = {"written": written, "form_page": _form_page(request)}
    response = render(request, "403_csrf.html", context, status=403)
    add_never_cache_headers(response)
    return response
