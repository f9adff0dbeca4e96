"""The content version that keys every cached page, and the per-request values in cached HTML.

One number, the *content version*, is part of the key of every cached page
and fragment (``portal/middleware.py``, the comment threads, the post
sidebars). Any change to what a page can show bumps it
(``bump_content_version``) and so makes every cached copy unreachable at
once; old entries expire on their own. Coarse on purpose: one rule that is
obviously right beats per-page dependency tracking that might miss one.
docs/caching.md gives the reasons and what bumps it.

The version lives in the cache when it is Redis (shared by every server),
otherwise in the modification time of ``PAGE_CACHE_VERSION_FILE``, which
every process of the machine sees.

This module imports no app. The one thing it needs from an app, the moment
the next scheduled post comes due, is registered by that app
(``register_next_publication``, from ``blog``'s ``ready()``).
"""

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token

VERSION_KEY = "portal:content-version"
NEXT_PUBLISH_KEY = "portal:next-publish:{version}"
# Hidden inputs whose value belongs to one request, by name: in a cached copy of a page
# their values are a placeholder, and each request served from it gets fresh ones. The
# CSRF token here; apps add theirs in AppConfig.ready() (the comment form's "shown at" stamp).
FRESH_INPUTS = {"csrfmiddlewaretoken": get_token}
FRESH_VALUE_PLACEHOLDER = "freshValuePlaceholder3e9b:{name}"
NO_SCHEDULED_POST = float("inf")
NEXT_PUBLISH_CACHE_SECONDS = 24 * 3600


def _no_scheduled_publication() -> float:
    return NO_SCHEDULED_POST


_next_publication: Callable[[], float] = _no_scheduled_publication


def register_next_publication(source: Callable[[], float]) -> None:
    """``source()`` says when the next scheduled post comes due (a timestamp, or ``NO_SCHEDULED_POST``).

    The first request after that moment bumps the version: a post appearing changes pages without a write.
    """
    global _next_publication
    _next_publication = source


def _new_version():
    # Milliseconds since the epoch: if the cache loses the key, the next version
    # is still above every version that pages were cached under.
    return int(time.time() * 1000)


def content_version() -> int:
    """The current content version; bumps it first when a scheduled post has come due."""
    version = _stored_version()
    next_publish = cache.get(NEXT_PUBLISH_KEY.format(version=version))
    if next_publish is None:
        next_publish = _next_publication()
        # Valid as long as the version is: scheduling a post saves it, which bumps the version.
        cache.set(NEXT_PUBLISH_KEY.format(version=version), next_publish, NEXT_PUBLISH_CACHE_SECONDS)
    if time.time() >= next_publish:
        return _bump()
    return version


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
    """Make every cached page unreachable: now, and again when the current transaction commits.

    The second bump retires a page that a concurrent request rendered from the old rows meanwhile.
    """
    _bump()
    transaction.on_commit(_bump, robust=True)


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
