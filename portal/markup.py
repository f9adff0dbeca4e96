"""Markdown to safe HTML: CommonMark (markdown-it-py), then sanitized with nh3.

The sanitizer's output is the only HTML templates mark ``|safe``. Rendering
happens once, when a model is saved, and the HTML is stored beside the source.
"""

import nh3
from markdown_it import MarkdownIt

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


def sanitize_html(html, *, comment=False):
    return nh3.clean(
        html,
        tags=_COMMENT_TAGS if comment else _POST_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text, *, comment=False):
    """Render member-written Markdown to sanitized HTML."""
    if not text:
        return ""
    return sanitize_html(_markdown.render(text), comment=comment)
