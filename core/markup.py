"""Markdown to safe HTML: CommonMark (markdown-it-py), then sanitized with nh3.

The sanitizer's output is the only HTML templates mark ``|safe``. Rendering
happens once, when a model is saved, and the HTML is stored beside the source.
"""

import re

import nh3
from markdown_it import MarkdownIt

# Characters that change how text is displayed without being seen: bidi
# embeddings, overrides and isolates, zero-width spaces, word joiner, BOM.
INVISIBLE_CHARACTERS = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_POST_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_COMMENT_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "i", "li", "ol", "p", "pre", "s",
    "strong", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# Raw HTML inside Markdown is allowed through the parser and then sanitized,
# so that content imported from WordPress (HTML) keeps its markup.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


# What browsers ignore in a URL's scheme (ASCII whitespace and C0 controls), and the scheme itself.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _without_invisible_characters_in_urls(element, attribute, value):
    """A URL cannot hide where it leads behind bidi overrides or zero-width characters.

    nh3 checks the scheme before this filter runs, so removing characters here
    could turn ``java\u200bscript:`` (a harmless relative URL) into a
    ``javascript:`` URL: the scheme is checked again on the cleaned value, and
    a URL whose scheme is not allowed is dropped.
    """
    if attribute in ("href", "src"):
        value = INVISIBLE_CHARACTERS.sub("", value)
        scheme = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", value))
        if scheme and scheme.group(1).lower() not in _URL_SCHEMES:
            return None
    return value


def sanitize_html(html, *, comment=False):
    return nh3.clean(
        html,
        tags=_COMMENT_TAGS if comment else _POST_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_without_invisible_characters_in_urls,
        url_schemes=_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text, *, comment=False):
    """Render member-written Markdown to sanitized HTML."""
    if not text:
        return ""
    return sanitize_html(_markdown.render(text), comment=comment)
