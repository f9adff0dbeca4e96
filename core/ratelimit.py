"""The portal's own rate limits (search, invitations, flags), counted in the cache.

django-allauth limits sign-in, sign-up, password reset and email confirmation
(``ACCOUNT_RATE_LIMITS``); comments are limited per member by the discussion
settings (``comments.forms.CommentForm``). The rest use :func:`hit`: a fixed
window counter in the default cache (Redis when several app servers share it,
so the count is per site, not per process). Limits are in
``settings.PORTAL_RATE_LIMITS`` as ``(count, seconds)``; ``None`` turns one off.
"""

import time
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


def too_many_requests(request, name):
    """The 429 page (templates/429.html, as for allauth's limits), never cached, the wait in Retry-After."""
    response = render(request, "429.html", status=429)
    rule = limit(name)
    if rule:
        response["Retry-After"] = str(rule[1])
    add_never_cache_headers(response)
    return response


def limit(name):
    """``(count, seconds)`` for the limit ``name``, or None when it is off."""
    return getattr(settings, "PORTAL_RATE_LIMITS", {}).get(name)


def client_ip(request) -> str:
    """The client's address as django-allauth sees it (``ALLAUTH_TRUSTED_PROXY_COUNT`` behind a proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter().get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no usable address: such requests share one counter
        return "unknown"


def who(request) -> str:
    """The counter's owner: the member when signed in, else the client's address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


def hit(name, owner) -> bool:
    """Count one use of ``name`` by ``owner``; False when it is over the limit (the use is not allowed)."""
    rule = limit(name)
    if not rule:
        return True
    count, seconds = rule
    window = int(time.time() // seconds)
    digest = sha256(str(owner).encode()).hexdigest()[:32]
    key = f"portal:rl:{name}:{digest}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first use of a new window
        cache.add(key, 1, timeout=seconds + 1)
        used = 1
    return used <= count
