"""Filters for the initials avatar of members without a picture (templates/accounts/includes/_avatar.html)."""

import zlib

from django import template

register = template.Library()

# .avatar-color-0 … .avatar-color-7 in portal/static/portal/portal.css.
AVATAR_COLORS = 8


@register.filter
def initials(name) -> str:
    """The first letters of a name's first and last words: "Lucía Mendoza" → "LM"; "?" for no name."""
    words = [word for word in str(name or "").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.filter
def avatar_color(key) -> int:
    """A color number for a username (or a guest's name): always the same one for the same key."""
    return zlib.crc32(str(key or "").encode()) % AVATAR_COLORS
