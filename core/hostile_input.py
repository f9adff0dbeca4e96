"""NUL characters and over-long query strings in addresses: no view has to think about them.

No database stores a NUL character in text (PostgreSQL refuses it with an
error, which would be a 500), and no address of the site contains one. So an
address whose path contains a NUL is a 404, and NUL characters are removed
from query-string parameters before any view reads ``request.GET``. Forms are
covered by Django itself: every ``forms.CharField`` refuses NUL characters
with a form error ("Null characters are not allowed.").

A query string longer than ``MAX_QUERY_STRING`` is answered with a 414: no
link or form of the site makes one (the search box stops at 200 characters),
and every page repeats its own address in its links (sign in, language), so a
hand-made 200 KB address would otherwise come back as a page of megabytes.
"""

from django.http import Http404, HttpResponse, QueryDict
from django.template.loader import render_to_string

# The default limit of nginx's request line too (large_client_header_buffers 8k).
MAX_QUERY_STRING = 8192


def _without_nul(query: QueryDict) -> QueryDict | None:
    """A copy of ``query`` without NUL characters, or None when it has none."""
    if not any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()):
        return None
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cleaned


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404("No such page.")
        query_string = request.META.get("QUERY_STRING", "")
        if len(query_string) > MAX_QUERY_STRING:
            return HttpResponse(render_to_string("414.html"), status=414)
        if "%00" in query_string or "\x00" in query_string:
            cleaned = _without_nul(request.GET)
            if cleaned is not None:
                request.GET = cleaned
        return self.get_response(request)
