"""``{% page_address %}``: this page's address for a GET, for links that send the reader back here."""

from urllib.parse import urlsplit, urlunsplit

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_address(context):
    """Where "back to this page" leads: the language switcher's ``next``.

    A GET or HEAD is at its own address. A page that answers a POST may be at an
    address that takes only POSTs (a refused comment at ``/comments/post/<id>/``),
    where a GET is a 405: such views give ``page_address`` (the post's page, at
    the form); without it, the page the form was sent from (the ``Referer``, when
    it is on this site), else the request's own address (``switch_language``
    still turns the comment form's address into its post's page).
    """
    given = context.get("page_address")
    if given:
        return given
    request = context.get("request")
    if request is None:
        return "/"
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc == request.get_host() and referer.path.startswith("/"):
        return urlunsplit(("", "", referer.path, referer.query, ""))
    return request.get_full_path()
