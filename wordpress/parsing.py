"""Read a WordPress export (WXR 1.0–1.2) into plain dataclasses, before anything touches the database.

defusedxml reads the file (no DTDs, no entity expansion): an export comes from
outside. A file that is not well-formed raises ``WXRError`` with its line and
column; a well-formed one without a valid ``wp:wxr_version`` is "not a WordPress
export". Elements are matched by namespace URI, never by prefix, so a ``wp:``
element bound to another URI is not WordPress's (it is counted as ignored).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils import timezone

# WordPress.com exports (theme-unit-test-data.xml) use https:// in the same URIs.
WP_NAMESPACES = {
    f"{s}://wordpress.org/export/{v}/": v for v in ("1.0", "1.1", "1.2") for s in ("http", "https")
}
EXCERPT_NAMESPACES = {f"{ns}excerpt/" for ns in WP_NAMESPACES}
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
VALID_VERSIONS = {"1.0", "1.1", "1.2"}
NOT_WXR = "not a WordPress export (no valid wp:wxr_version element)"


class WXRError(Exception):
    """The file cannot be imported; nothing was written."""


# --------------------------------------------------------------------------- parsed data


@dataclass
class WPAuthor:
    login: str
    email: str = ""
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    wp_id: int | None = None


@dataclass
class WPTerm:
    taxonomy: str  # "category" or "post_tag"
    slug: str
    name: str
    parent: str = ""
    description: str = ""


@dataclass
class WPComment:
    wp_id: int
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""
    date_gmt: datetime | None = None
    content: str = ""
    approved: str = "1"
    parent: int = 0
    user_id: int = 0
    comment_type: str = ""


@dataclass
class WPItem:
    title: str = ""
    wp_id: int | None = None
    post_type: str = ""
    status: str = ""
    slug: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    date_gmt: datetime | None = None
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    sticky: bool = False
    comment_status: str = "open"
    attachment_url: str = ""
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, nicename, name)
    comments: list[WPComment] = field(default_factory=list)


@dataclass
class WXRData:
    version: str
    base_site_url: str = ""
    base_blog_url: str = ""
    authors: list[WPAuthor] = field(default_factory=list)
    terms: list[WPTerm] = field(default_factory=list)
    items: list[WPItem] = field(default_factory=list)
    ignored_elements: Counter = field(default_factory=Counter)


# --------------------------------------------------------------------------- parsing


def _split(tag):
    if isinstance(tag, str) and tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag if isinstance(tag, str) else ""


def _int(text, default=0):
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def _date(text):
    text = (text or "").strip()
    if not text or text.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _local_date(text):
    """wp:post_date is in the blog's time zone: read it in the portal's (used when there is no GMT date)."""
    value = _date(text)
    return timezone.make_aware(value.replace(tzinfo=None)) if value else None


class _Reader:
    def __init__(self, wp_ns, ignored):
        self.wp, self.ignored = wp_ns, ignored

    def kind(self, element):
        """'wp', 'content', 'excerpt', 'dc', '' (no namespace) or None (another namespace)."""
        ns, local = _split(element.tag)
        if ns == self.wp:
            return "wp", local
        if ns == CONTENT_NS:
            return "content", local
        if ns in EXCERPT_NAMESPACES:
            return "excerpt", local
        if ns == DC_NS:
            return "dc", local
        if ns == "":
            return "", local
        return None, local

    def fields(self, element, known):
        """First text of each known (kind, local) child; others are counted as ignored."""
        values = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            key = self.kind(child)
            if key in known:
                values.setdefault(key, child.text or "")
            else:
                self.ignore(child)
        return values

    def ignore(self, element):
        ns, local = _split(element.tag)
        self.ignored[f"{{{ns}}}{local}" if ns else local] += 1


def parse_wxr(source) -> WXRData:
    """Parse a WXR file (path or file object) into ``WXRData``; raise ``WXRError`` if it is not one."""
    try:
        tree = SafeET.parse(source, forbid_dtd=True)
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        reason = re.sub(r":? line \d+, column \d+$", "", str(error))
        raise WXRError(f"not well-formed XML at line {line}, column {column} ({reason})") from error
    except DefusedXmlException as error:
        raise WXRError(f"refused unsafe XML ({error.__class__.__name__}): {error}") from error
    root = tree.getroot()
    channel = root.find("channel") if _split(root.tag)[1] == "rss" else None
    if channel is None:
        raise WXRError(NOT_WXR)
    wp_ns = version = None
    for child in channel:
        ns, local = _split(child.tag)
        if local == "wxr_version" and ns in WP_NAMESPACES and (child.text or "").strip() in VALID_VERSIONS:
            wp_ns, version = ns, child.text.strip()
            break
    if wp_ns is None:
        raise WXRError(NOT_WXR)

    data = WXRData(version=version)
    r = _Reader(wp_ns, data.ignored_elements)
    plain = {("", "title"), ("", "link"), ("", "description"), ("", "pubDate"), ("", "language")}
    plain |= {("", "generator"), ("", "image"), ("wp", "wxr_version"), ("", "cloud")}
    for child in channel:
        if not isinstance(child.tag, str):
            continue
        key = r.kind(child)
        if key == ("wp", "base_site_url"):
            data.base_site_url = (child.text or "").strip()
        elif key == ("wp", "base_blog_url"):
            data.base_blog_url = (child.text or "").strip()
        elif key == ("wp", "author"):
            data.authors.append(_author(r, child))
        elif key in (("wp", "category"), ("wp", "tag"), ("wp", "term")):
            term = _term(r, child, key[1])
            if term:
                data.terms.append(term)
        elif key == ("", "item"):
            data.items.append(_item(r, child))
        elif key not in plain:
            r.ignore(child)
    return data


def _author(r, element):
    f = r.fields(
        element,
        {("wp", x) for x in ("author_id", "author_login", "author_email", "author_display_name")}
        | {("wp", "author_first_name"), ("wp", "author_last_name")},
    )
    return WPAuthor(
        login=f.get(("wp", "author_login"), "").strip(),
        email=f.get(("wp", "author_email"), "").strip(),
        display_name=f.get(("wp", "author_display_name"), ""),
        first_name=f.get(("wp", "author_first_name"), ""),
        last_name=f.get(("wp", "author_last_name"), ""),
        wp_id=_int(f.get(("wp", "author_id")), None),
    )


def _term(r, element, kind):
    names = {
        "category": ("category_nicename", "cat_name", "category_parent", "category_description", None),
        "tag": ("tag_slug", "tag_name", None, "tag_description", None),
        "term": ("term_slug", "term_name", "term_parent", "term_description", "term_taxonomy"),
    }[kind]
    f = r.fields(element, {("wp", n) for n in names if n} | {("wp", "term_id")})
    taxonomy = {"category": "category", "tag": "post_tag"}.get(kind) or f.get(("wp", names[4]), "").strip()
    if taxonomy not in ("category", "post_tag"):
        return None  # nav_menu and other taxonomies
    slug = f.get(("wp", names[0]), "").strip()
    name = f.get(("wp", names[1]), "")
    if not (slug or name):
        return None
    return WPTerm(
        taxonomy=taxonomy,
        slug=slug,
        name=name,
        parent=f.get(("wp", names[2]), "").strip() if names[2] else "",
        description=f.get(("wp", names[3]), "") if names[3] else "",
    )


_ITEM_WP = {
    "post_id", "post_date", "post_date_gmt", "post_modified", "post_modified_gmt", "comment_status",
    "ping_status", "post_name", "status", "post_parent", "menu_order", "post_type", "post_password",
    "is_sticky", "attachment_url",
}  # fmt: skip
_ITEM_KNOWN = {("wp", x) for x in _ITEM_WP} | {
    ("", x) for x in ("title", "link", "pubDate", "guid", "description")
}
_ITEM_KNOWN |= {("dc", "creator"), ("content", "encoded"), ("excerpt", "encoded")}


def _item(r, element):
    item = WPItem()
    values = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        key = r.kind(child)
        if key in _ITEM_KNOWN:
            values.setdefault(key, child.text or "")
        elif key == ("", "category"):
            domain = child.get("domain", "")
            item.terms.append((domain, child.get("nicename", ""), child.text or ""))
        elif key == ("wp", "comment"):
            item.comments.append(_comment(r, child))
        elif key == ("wp", "postmeta"):
            pass  # custom fields: not imported, and not unknown
        else:
            r.ignore(child)
    get = lambda k, d="": values.get(("wp", k), d)  # noqa: E731
    item.title = values.get(("", "title"), "")
    item.wp_id = _int(get("post_id"), None)
    item.post_type = get("post_type").strip()
    item.status = get("status").strip()
    item.slug = get("post_name").strip()
    item.creator = values.get(("dc", "creator"), "").strip()
    item.content = values.get(("content", "encoded"), "")
    item.excerpt = values.get(("excerpt", "encoded"), "")
    item.date_gmt = _date(get("post_date_gmt")) or _local_date(get("post_date"))
    item.parent = _int(get("post_parent"))
    item.menu_order = _int(get("menu_order"))
    item.password = get("post_password")
    item.sticky = get("is_sticky").strip() == "1"
    item.comment_status = get("comment_status", "open").strip()
    item.attachment_url = get("attachment_url").strip()
    return item


_COMMENT_WP = {
    "comment_id", "comment_author", "comment_author_email", "comment_author_url", "comment_author_IP",
    "comment_date", "comment_date_gmt", "comment_content", "comment_approved", "comment_type",
    "comment_parent", "comment_user_id", "commentmeta",
}  # fmt: skip


def _comment(r, element):
    f = r.fields(element, {("wp", x) for x in _COMMENT_WP})
    get = lambda k: f.get(("wp", k), "")  # noqa: E731
    return WPComment(
        wp_id=_int(get("comment_id")),
        author_name=get("comment_author"),
        author_email=get("comment_author_email").strip(),
        author_url=get("comment_author_url").strip(),
        date_gmt=_date(get("comment_date_gmt")) or _local_date(get("comment_date")),
        content=get("comment_content"),
        approved=get("comment_approved").strip() or "1",
        parent=_int(get("comment_parent")),
        user_id=_int(get("comment_user_id")),
        comment_type=get("comment_type").strip(),
    )
