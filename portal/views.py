from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
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
def switch_language(request, code):
    """Set the interface language cookie and go back to ``?next=`` (a path on this site) or the home page.

    A GET link rather than Django's ``set_language`` POST form: the language
    switcher is in every page's footer, and a form there would need a CSRF
    token, which cannot be in the anonymous pages served from the page cache
    (and ``{% csrf_token %}`` would make every page uncacheable). Choosing a
    language changes nothing but this visitor's preference cookie, like a
    link, so a forged request can do no harm. LocaleMiddleware reads the
    cookie (``settings.LANGUAGE_COOKIE_NAME``) on the following requests.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        url=next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# Fields whose text is shown back on the CSRF failure page, so nothing written is lost.
WRITTEN_FIELDS = ("body", "text", "content", "note", "description", "bio", "excerpt", "title")


def csrf_failure(request, reason=""):
    """The page for a form refused by the CSRF check (settings.CSRF_FAILURE_VIEW), styled like the site.

    The usual cause is a form left open so long that the session ended, or
    cookies blocked. The page says so, and shows back what the member wrote in
    the form's text fields (escaped, in read-only boxes) so they can copy it:
    the form was refused, so nothing of it was saved. ``reason`` (Django's
    technical reason) is logged by Django, never shown.
    """
    written = []
    if request.method == "POST":
        for name in WRITTEN_FIELDS:
            value = request.POST.get(name, "").strip()
            if value:
                written.append({"name": name, "value": value[:20000]})
    response = render(request, "403_csrf.html", {"written": written}, status=403)
    add_never_cache_headers(response)
    return response
