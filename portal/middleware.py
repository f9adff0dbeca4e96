"""Whole pages from the cache: for visitors without a session, and each member's own copies.

Both middlewares key a page by the content version (``core.page_cache``),
so any change anyone makes to what a page shows makes every copy
unreachable; a member's copies are also keyed by their ``User.page_version``
(what only they see). docs/caching.md says what is cached, what never is,
and why.
"""

import hashlib
import zlib

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import set_response_etag

from accounts.models import User
from core.page_cache import content_version, with_fresh_values, with_placeholders

PAGE_KEY = "portal:page:{version}:{digest}"
MEMBER_PAGE_KEY = "portal:member-page:{version}:{member}:{member_version}:{digest}"
SESSION_MESSAGES_KEY = "_messages"  # django.contrib.messages' SessionStorage.session_key
MESSAGES_COOKIE = CookieStorage.cookie_name

# resolver_match.view_name of the pages kept in the cache.
CACHED_VIEWS = frozenset(
    {
        "home_or_legacy",
        "blog:home",
        "blog:post",
        "blog:category",
        "blog:tag",
        "blog:author",
        "blog:archive",
        "blog:archive_year",
        "blog:archive_month",
        "blog:learning_paths",
        "blog:learning_path",
        "blog:page",
        "communities:directory",
        "communities:detail",
        "accounts:profile",
        "search",
        "sitemap",
        "sitemap_section",
        "robots_txt",
        "comments:post_feed",
        "comments:post_feed_atom",
    }
)
# Feeds come in four variants each (feed, feed_full, feed_atom, feed_atom_full).
CACHED_VIEW_PREFIXES = (
    "blog:feed",
    "blog:category_feed",
    "blog:tag_feed",
    "blog:author_feed",
    "communities:feed",
)


def _is_cached_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return match.view_name in CACHED_VIEWS or match.view_name.startswith(CACHED_VIEW_PREFIXES)


def _page_digest(request) -> str:
    language = translation.get_language_from_request(request)
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}|{language}"
    return hashlib.md5(address.encode()).hexdigest()  # noqa: S324 (a cache key, not a secret)


class AnonymousPageCacheMiddleware:
    """Serve public pages to visitors without a session from the cache, with no query and no template.

    Sits below WhiteNoise and ConditionalGetMiddleware (a cached page still
    answers ``If-None-Match`` with a 304) and above the session middleware
    (a hit costs no session work). Never stored: a request with a session or
    messages cookie, a response that sets a cookie, is not a 200 or comes
    from a view outside ``CACHED_VIEWS``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._may_use_cache(request):
            return self.get_response(request)
        key = PAGE_KEY.format(version=content_version(), digest=_page_digest(request))
        entry = cache.get(key)
        if entry is not None:
            status, headers, content = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if self._may_store(request, response):
            set_response_etag(response)
            headers = [(name, value) for name, value in response.items() if name.lower() != "x-page-cache"]
            cache.set(key, (response.status_code, headers, response.content), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _may_use_cache(request) -> bool:
        return (
            settings.PAGE_CACHE_SECONDS > 0
            and request.method == "GET"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and MESSAGES_COOKIE not in request.COOKIES
        )

    @staticmethod
    def _may_store(request, response) -> bool:
        user = getattr(request, "user", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _is_cached_view(request)
            and not (user is not None and user.is_authenticated)
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )


class MemberPageCacheMiddleware:
    """Each signed-in member's own copy of the public pages, whole, from the cache.

    The key holds the member, the content version and the member's
    ``page_version``, which comes with the user row the authentication
    middleware loads anyway: a hit costs the session, the user and one cache
    read. Every request of the member that is not a GET or HEAD and not
    refused bumps their ``page_version``. The page's per-request inputs (the
    CSRF token...) are placeholders in the copy and fresh in each response.
    Not stored: a page rendered while messages wait, one that called
    ``not_for_page_cache``, a response that is not a 200 or sets a cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        if request.method not in ("GET", "HEAD"):
            # Whatever the member changed shows on their next pages; a refused request changed nothing.
            if settings.MEMBER_PAGE_CACHE_SECONDS > 0 and response.status_code < 400:
                User.bump_page_version(user.pk)
            return response
        key = getattr(request, "member_page_key", None)
        if key is not None and self._may_store(request, response):
            content = with_placeholders(response.content.decode(response.charset))
            headers = [(name, value) for name, value in response.items() if name.lower() != "x-page-cache"]
            entry = (headers, zlib.compress(content.encode(), 1))
            cache.set(key, entry, settings.MEMBER_PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self._may_use_cache(request):
            return None
        user = request.user
        key = MEMBER_PAGE_KEY.format(
            version=content_version(),
            member=user.pk,
            member_version=user.page_version,
            digest=_page_digest(request),
        )
        entry = cache.get(key)
        if entry is None:
            request.member_page_key = key
            return None
        headers, compressed = entry
        response = HttpResponse(with_fresh_values(zlib.decompress(compressed).decode(), request))
        for name, value in headers:
            response[name] = value
        response["X-Page-Cache"] = "hit"
        return response

    @staticmethod
    def _may_use_cache(request) -> bool:
        user = getattr(request, "user", None)
        return (
            settings.MEMBER_PAGE_CACHE_SECONDS > 0
            and request.method == "GET"
            and user is not None
            and user.is_authenticated
            and _is_cached_view(request)
            and MESSAGES_COOKIE not in request.COOKIES
            and not request.session.get(SESSION_MESSAGES_KEY)
        )

    @staticmethod
    def _may_store(request, response) -> bool:
        messages = getattr(request, "_messages", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not getattr(request, "page_cache_unsafe", False)
            and not (messages is not None and (messages.used or messages._queued_messages))
            and "no-store" not in response.get("Cache-Control", "")
        )
