"""Whole pages cached for visitors who are not signed in, and the content version that invalidates them.

Most readers of a learning blog are not signed in, and they all see the same
page. ``AnonymousPageCacheMiddleware`` keeps each public page (home, posts,
lists, archives, communities, profiles, search, feeds, sitemaps: the view
names in ``CACHED_VIEWS``) in the cache as it was rendered, and answers the
next visitor from there with no query and no template.

Invalidation is one number, the *content version*, kept in the cache when it
is Redis (shared by every app server), otherwise in the modification time of
a file under ``VAR_DIR`` (``PAGE_CACHE_VERSION_FILE``), which every process
of the machine sees: gunicorn's workers each have their own memory cache,
and a change made through one of them must reach the pages of the others.
It is part of every page's key. Any change
to what a page can show bumps it (``bump_content_version``): a post
published, edited or deleted, a comment submitted, approved or removed, a
membership, community, category, tag, profile or path changed. The signal
receivers in ``portal.apps`` bump it for every saved or deleted model of the
three apps and taggit, and the few bulk ``QuerySet.update()`` calls bump it
themselves. A bump makes every cached page unreachable at once; old entries
expire on their own. This is deliberately coarse: pages show counts, sidebars
and neighbours that depend on many objects, and for a site where reads
outnumber writes by far, one rule that is obviously right beats per-page
dependency tracking that might miss one.

Two things change pages without a write: a scheduled post reaching its
publication time, and the clock itself. The version's entry remembers the
next scheduled publication, and a request after that moment bumps the
version; every page also expires after ``PAGE_CACHE_SECONDS``.

Signed-in members get their own copies from ``MemberPageCacheMiddleware``
(below), keyed by member and by their ``User.page_version`` as well as the
content version.

What the visitors' cache never holds: anything for a request that carries a session or
messages cookie (a signed-in member, or a visitor with a pending message),
responses that set a cookie (a page with a CSRF token sets one), anything
that is not a 200, and any view not in ``CACHED_VIEWS``. A members-only post
is a 404 for a visitor, so it can never be in a visitor's cached page.

Stale pages are prevented on both sides of a commit: the version is bumped
when the change is made (so tests and autocommit code see it at once) and
again when the transaction commits (so a page rendered from the old rows by
a request that started in between is keyed under a version nobody asks for).
"""

import hashlib
import os
import re
import time
import zlib
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import set_response_etag

VERSION_KEY = "portal:content-version"
NEXT_PUBLISH_KEY = "portal:next-publish:{version}"
PAGE_KEY = "portal:page:{version}:{digest}"
MEMBER_PAGE_KEY = "portal:member-page:{version}:{member}:{member_version}:{digest}"
SESSION_MESSAGES_KEY = "_messages"  # django.contrib.messages' SessionStorage.session_key
# Hidden inputs whose value belongs to one request, by name: in a member's cached copy of
# a page their values are a placeholder, and each request served from it gets fresh ones.
# The CSRF token (a page cached in one browser must work in the member's others); apps
# add theirs in AppConfig.ready() (the comment form's signed "shown at" stamp).
FRESH_INPUTS = {"csrfmiddlewaretoken": get_token}
FRESH_VALUE_PLACEHOLDER = "freshValuePlaceholder3e9b:{name}"
NO_SCHEDULED_POST = float("inf")
NEXT_PUBLISH_CACHE_SECONDS = 24 * 3600
MESSAGES_COOKIE = CookieStorage.cookie_name

# resolver_match.view_name of the pages kept for anonymous visitors.
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


def _new_version():
    # Milliseconds since the epoch: if the cache loses the key, the next version
    # is still above every version that pages were cached under.
    return int(time.time() * 1000)


def content_version() -> int:
    """The current content version; bumps it first when a scheduled post has come due."""
    version = _stored_version()
    next_publish = cache.get(NEXT_PUBLISH_KEY.format(version=version))
    if next_publish is None:
        next_publish = _next_scheduled_publication()
        # Valid as long as the version is: scheduling a post saves it, which bumps the version.
        cache.set(NEXT_PUBLISH_KEY.format(version=version), next_publish, NEXT_PUBLISH_CACHE_SECONDS)
    if time.time() >= next_publish:
        return _bump()
    return version


def _next_scheduled_publication() -> float:
    from blog.models import Post  # portal sits above the apps; imported late to keep settings light

    moment = (
        Post.objects.filter(status=Post.Status.PUBLISHED, publish_at__gt=timezone.now())
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first()
    )
    return moment.timestamp() if moment else NO_SCHEDULED_POST


def _stored_version() -> int:
    path = settings.PAGE_CACHE_VERSION_FILE
    if path is not None:
        try:
            return os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return _bump()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> int:
    path = settings.PAGE_CACHE_VERSION_FILE
    if path is not None:
        # The file's modification time is the version: every process on the machine
        # sees a bump made by any of them at its next request (one stat() call).
        path = Path(path)
        try:
            previous = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            previous = 0
        version = max(time.time_ns(), previous + 1)
        os.utime(path, ns=(version, version))
        return version
    try:
        return cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted or never set
        version = _new_version()
        cache.set(VERSION_KEY, version, timeout=None)
        return version


def bump_content_version() -> None:
    """Make every cached page unreachable: now, and again when the current transaction commits."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def _is_cached_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return match.view_name in CACHED_VIEWS or match.view_name.startswith(CACHED_VIEW_PREFIXES)


class AnonymousPageCacheMiddleware:
    """Serve public pages to visitors without a session from the cache (see the module's docstring).

    Sits below WhiteNoise and ConditionalGetMiddleware (so a cached page still
    answers ``If-None-Match`` with a 304) and above the session middleware (so
    a hit costs no session work at all).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._may_use_cache(request):
            return self.get_response(request)
        key = self._key(request, content_version())
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

    @staticmethod
    def _key(request, version) -> str:
        return PAGE_KEY.format(version=version, digest=_page_digest(request))


def _page_digest(request) -> str:
    language = translation.get_language_from_request(request)
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}|{language}"
    return hashlib.md5(address.encode()).hexdigest()  # noqa: S324 (a cache key, not a secret)


def fresh_value_placeholder(name: str) -> str:
    """What stands for the value of the hidden input ``name`` (one of ``FRESH_INPUTS``) in cached HTML."""
    return FRESH_VALUE_PLACEHOLDER.format(name=name)


def with_placeholders(html: str) -> str:
    """``html`` with the values of its ``FRESH_INPUTS`` replaced by their placeholders, for a cache."""
    for name in FRESH_INPUTS:
        html = re.sub(
            rf'(<input [^>]*name="{name}" value=")[^"]*(")',
            rf"\g<1>{fresh_value_placeholder(name)}\g<2>",
            html,
        )
    return html


def with_fresh_values(html: str, request) -> str:
    """Cached ``html`` with this request's own values where the placeholders are (its CSRF token...)."""
    for name, fresh_value in FRESH_INPUTS.items():
        placeholder = fresh_value_placeholder(name)
        if placeholder in html:
            html = html.replace(placeholder, fresh_value(request))
    return html


def not_for_page_cache(request) -> None:
    """Keep the page being rendered out of the member page cache (it shows something the clock changes)."""
    request.page_cache_unsafe = True


def bump_member_pages(member_id) -> None:
    """Make the cached pages of this member unreachable (their ``page_version`` goes up)."""
    from accounts.models import User  # portal sits above the apps

    User.objects.filter(pk=member_id).update(page_version=F("page_version") + 1)


class MemberPageCacheMiddleware:
    """Each signed-in member's own copy of the public pages, whole, from the cache.

    A member's page differs from a visitor's (their name and communities in
    the navigation, their check marks, subscriptions, held comments, Edit
    links, the comment form with a CSRF token) and from another member's, so
    the copy is the member's own: its key holds the member, the content
    version (anything shown to everyone changed) and the member's
    ``page_version`` (anything shown to this member alone changed), which
    comes with the user row that the authentication middleware loads anyway.
    A hit costs the session and the user, then one cache read.

    ``page_version`` goes up (``bump_member_pages``) after every request of
    the member that is not a GET or HEAD and not refused (whatever it
    changed), and when a row that only its member sees (a thread
    subscription, notification preferences) is saved or deleted by anyone
    (``portal.apps.MEMBER_OWN_MODELS``).

    The CSRF tokens of the page (and the other ``FRESH_INPUTS``) are kept as
    a placeholder and each request gets its own in their place, so a page
    cached in one browser works in the member's other browsers.

    Not cached: a page rendered while the member has
    messages waiting, a page that marked itself with ``not_for_page_cache``
    (a comment still in its edit window: the Edit link must go when the
    window closes), responses that are not a 200 or that set a cookie, and
    views outside ``CACHED_VIEWS``. Copies are compressed and expire after
    ``MEMBER_PAGE_CACHE_SECONDS``.
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
                bump_member_pages(user.pk)
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
