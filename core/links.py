"""Absolute links, for what is read away from the site (emails, exported data)."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` on the portal's public address (``PORTAL_BASE_URL``); empty stays empty."""
    return f"{settings.PORTAL_BASE_URL}{path}" if path else ""
