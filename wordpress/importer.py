"""Import a WordPress export (WXR 1.0–1.2) into the portal, and redirect WordPress's ``?p=<id>`` links.

``parse_wxr(path)`` reads the file safely (defusedxml: no DTDs, no entity
expansion) into plain dataclasses, before anything touches the database; a file
that is not well-formed raises ``WXRError`` naming the line and column, and a
well-formed file without a valid ``wp:wxr_version`` raises "not a WordPress
export". Elements are matched by namespace URI, never by prefix: the WordPress
namespace is the one the document's ``wxr_version`` element uses (export/1.0/,
1.1/ or 1.2/), so an element whose ``wp`` prefix is bound to another URI is
not a WordPress element (it is counted as ignored).

``import_wxr(data)`` writes the parsed export in one transaction and returns an
``ImportReport``. Idempotency keys: users by username (or email), categories
and tags by slug, posts and pages by ``wp_id``, comments by (post, ``wp_id``).
A post whose ``updated`` is later than its ``imported_at`` was edited in the
portal and is left alone on a re-run; imported pages and comments are never
overwritten (neither has an import stamp).

Slugs: post, category and tag addresses use Django's ASCII ``slug`` converter,
so a WordPress slug (percent-decoded) is kept when it is ASCII and otherwise
replaced by ``slugify`` of it (or of the title); such a post's old dated
address cannot match, but its ``?p=<id>`` link still redirects. Page slugs
may be Unicode (``Page.slug`` allows it).

A literal ``]]>`` split over two CDATA sections (crazy-cdata-escaped.xml) is
standard XML and reads fine; an unescaped nested CDATA (crazy-cdata.xml) is
not well-formed XML and is refused with its line and column, like any
malformed file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag

from accounts.models import User
from blog.models import Category, Page, Post

from .models import Comment
from .services import refresh_comment_counts

# WordPress.com exports (theme-unit-test-data.xml) use https:// in the same URIs.
WP_NAMESPACES = {
    f"{s}://wordpress.org/export/{v}/": v for v in ("1.0", "1.1", "1.2") for s in ("http", "https")
}
EXCERPT_NAMESPACES = {f"{ns}excerpt/" for ns in WP_NAMESPACES}
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
VALID_VERSIONS = {"1.0", "1.1", "1.2"}
NOT_WXR = "not a WordPress export (no valid wp:wxr_version element)"

COMMENT_STATUS = {"1": Comment.Status.APPROVED, "0": Comment.Status.PENDING, "spam": Comment.Status.SPAM}
# anything else ("trash", "post-trashed", …) becomes rejected


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


@dataclass
class ImportReport:
    dry_run: bool = False
    items: int = 0
    created: Counter = field(default_factory=Counter)  # kind -> n
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    changed_since_import: list[str] = field(default_factory=list)  # "post 12: Title"
    hidden: list[str] = field(default_factory=list)  # private / password-protected posts kept as drafts
    skipped: Counter = field(default_factory=Counter)  # post types not imported
    attachments: list[tuple[int | None, str, str, bool | None]] = field(
        default_factory=list
    )  # id, title, url, found
    ignored_elements: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)

    def lines(self):
        yield ("Dry run: nothing was saved." if self.dry_run else "Import finished.")
        yield f"Items in the file: {self.items}"
        for label, counter in (
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
        ):
            if counter:
                yield f"{label.capitalize()}: " + ", ".join(f"{n} {k}" for k, n in sorted(counter.items()))
        if self.changed_since_import:
            yield f"Changed since import, left alone: {len(self.changed_since_import)}"
            yield from (f"  {x}" for x in self.changed_since_import)
        if self.hidden:
            yield f"Kept invisible to the public (private, draft or password-protected): {len(self.hidden)}"
            yield from (f"  {x}" for x in self.hidden)
        if self.skipped:
            yield "Not imported: " + ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
        if self.attachments:
            yield f"Attachments (not downloaded): {len(self.attachments)}"
            for wp_id, title, url, found in self.attachments:
                where = (
                    ""
                    if found is None
                    else (" [found in media dir]" if found else " [missing from media dir]")
                )
                yield f"  {wp_id}: {title} <{url}>{where}"
        if self.ignored_elements:
            total = sum(self.ignored_elements.values())
            yield (
                f"Unknown elements ignored: {total} ("
                + ", ".join(f"{k}: {n}" for k, n in sorted(self.ignored_elements.items()))
                + ")"
            )
        yield from self.notes


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


# --------------------------------------------------------------------------- wpautop

_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
    r"blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|"
    r"figure|figcaption|details|menu|summary)"
)


def wpautop(text, br=True):
    """WordPress's ``wpautop()``: blank-line-separated blocks become <p>, single newlines <br />.

    A port of wp-includes/formatting.php; nothing is changed inside <pre>
    (nor inside <script>/<style>/<svg>/<math>, which the sanitizer drops).
    """
    if not text.strip():
        return ""
    pre_tags = {}
    text = text + "\n"
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        text = ""
        for i, part in enumerate(parts):
            start = part.find("<pre")
            if start == -1:
                text += part
                continue
            name = f"<pre wp-pre-tag-{i}></pre>"
            pre_tags[name] = part[start:] + "</pre>"
            text += part[:start] + name
        text += last
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # newlines inside tags and HTML comments are not line breaks
    text = re.sub(
        r"<!--.*?-->|<[^<>]*>", lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text, flags=re.S
    )
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    if br:
        text = re.sub(
            r"<(script|style|svg|math).*?</\1>",
            lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
            text,
            flags=re.S,
        )
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, pre in pre_tags.items():
        text = text.replace(name, pre)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


def wordpress_html_to_body(html):
    """WordPress content as the body of a portal post: wpautop'd HTML that CommonMark passes through raw.

    CommonMark ends a raw HTML block at a blank line, so newlines inside <pre>
    (the only place wpautop leaves blank lines) are written as ``&#10;``.
    """
    text = wpautop(html)
    return re.sub(
        r"(<pre[\s>].*?</pre>)",
        lambda m: m.group(0).replace("\r", "").replace("\n", "&#10;"),
        text,
        flags=re.S | re.I,
    )


# --------------------------------------------------------------------------- importing

_ASCII_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_UNICODE_SLUG = re.compile(r"[-\w]+")


def ascii_slug(wp_slug, fallback_text="", default="item"):
    """The WordPress slug (percent-decoded) if it is an ASCII slug, else an ASCII slug made from it or the text."""
    decoded = unquote(wp_slug or "")
    if _ASCII_SLUG.fullmatch(decoded):
        return decoded.lower()
    return slugify(decoded) or slugify(fallback_text) or default


def unicode_slug(wp_slug, fallback_text="", default="page"):
    decoded = unquote(wp_slug or "")
    if _UNICODE_SLUG.fullmatch(decoded):
        return decoded
    return slugify(decoded, allow_unicode=True) or slugify(fallback_text, allow_unicode=True) or default


def _free_slug(model, slug, *, max_length=200, exclude_pk=None, taken=()):
    slug = slug[:max_length].strip("-") or "item"
    candidate, n = slug, 2
    qs = model._default_manager.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    while candidate in taken or qs.filter(slug=candidate).exists():
        candidate, n = f"{slug[: max_length - 8]}-{n}", n + 1
    return candidate


class _DryRun(Exception):
    pass


def import_wxr(data: WXRData, *, dry_run=False, media_dir=None, progress=None) -> ImportReport:
    """Import parsed WXR ``data`` in one transaction (rolled back for a dry run)."""
    report = ImportReport(
        dry_run=dry_run, items=len(data.items), ignored_elements=Counter(data.ignored_elements)
    )
    try:
        with transaction.atomic():
            _Importer(data, report, media_dir=media_dir, progress=progress).run()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def import_file(path, **kwargs) -> ImportReport:
    return import_wxr(parse_wxr(path), **kwargs)


class _Importer:
    def __init__(self, data, report, *, media_dir=None, progress=None):
        self.data, self.report = data, report
        self.media_dir = Path(media_dir) if media_dir else None
        self.progress = progress or (lambda n: None)
        self.users = {}  # login -> User
        self.users_by_wp_id = {}
        self.categories = {}  # WordPress slug -> Category
        self.now = timezone.now()

    def run(self):
        for author in self.data.authors:
            if author.login:
                self.user_for(author)
        self.import_categories()
        self.import_tags()
        posts, pages = [], []
        for item in self.data.items:
            if item.post_type == "post":
                posts.append(item)
            elif item.post_type == "page":
                pages.append(item)
            elif item.post_type == "attachment":
                self.attachment(item)
                self.progress(1)
            else:
                self.report.skipped[f"{item.post_type or 'untyped'} items"] += 1
                self.progress(1)
        for item in posts:
            self.import_post(item)
            self.progress(1)
        self.import_pages(pages)
        if self.report.post_ids:
            refresh_comment_counts(post_ids=self.report.post_ids)

    # -- people

    def user_for(self, author):
        login = author.login[:150]
        if login in self.users:
            return self.users[login]
        user = User.objects.filter(username=login).first()
        if user is None and author.email:
            user = User.objects.filter(email__iexact=author.email).first()
        if user is None:
            user = User(
                username=login,
                email=author.email[:254],
                display_name=(author.display_name or "")[: User._meta.get_field("display_name").max_length],
                first_name=author.first_name[:150],
                last_name=author.last_name[:150],
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            self.report.created["authors"] += 1
        else:
            self.report.unchanged["authors"] += 1
        self.users[login] = user
        if author.wp_id:
            self.users_by_wp_id[author.wp_id] = user
        return user

    def default_author(self):
        if self.users:
            return next(iter(self.users.values()))
        return self.user_for(WPAuthor(login="wordpress", display_name="WordPress"))

    # -- terms

    def import_categories(self):
        terms = [t for t in self.data.terms if t.taxonomy == "category"]
        for term in terms:
            slug = ascii_slug(term.slug, term.name, "category")[:100]
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                name = term.name[:100] or slug
                if Category.objects.filter(name=name).exists():
                    name = f"{name[:90]} ({slug})"[:100]
                category = Category.objects.create(name=name, slug=slug, description=term.description)
                self.report.created["categories"] += 1
            else:
                self.report.unchanged["categories"] += 1
            self.categories[term.slug] = category
        for term in terms:  # WordPress's hierarchy, once every category exists
            category, parent = self.categories[term.slug], self.categories.get(term.parent)
            if term.parent and parent and category.parent_id is None and parent != category:
                category.parent = parent
                category.save(update_fields=["parent"])

    def category(self, nicename, name):
        if nicename in self.categories:
            return self.categories[nicename]
        slug = ascii_slug(nicename, name, "category")[:100]
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            name = (name or slug)[:100]
            if Category.objects.filter(name=name).exists():
                name = f"{name[:90]} ({slug})"[:100]
            category = Category.objects.create(name=name, slug=slug)
            self.report.created["categories"] += 1
        self.categories[nicename] = category
        return category

    def import_tags(self):
        for term in self.data.terms:
            if term.taxonomy == "post_tag":
                self.tag(term.slug, term.name, count=True)

    def tag(self, nicename, name, *, count=False):
        slug = ascii_slug(nicename, name, "tag")[:100]
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            tag_name = (name or slug)[:100]
            if Tag.objects.filter(name=tag_name).exists():
                tag_name = f"{tag_name[:90]} ({slug})"[:100]
            tag = Tag.objects.create(name=tag_name, slug=slug)
            self.report.created["tags"] += 1
        elif count:
            self.report.unchanged["tags"] += 1
        return tag

    # -- posts

    def post_fields(self, item):
        title = item.title
        if len(title) > 200:
            self.report.notes.append(f"Title of post {item.wp_id} shortened to 200 characters.")
            title = title[:199] + "…"
        status = Post.Status.PUBLISHED
        hidden_because = ""
        if item.status in ("publish", "future"):
            if item.password:
                status, hidden_because = Post.Status.DRAFT, "password-protected"
        elif item.status == "pending":
            status, hidden_because = Post.Status.REVIEW, "pending review"
        elif item.status == "private":
            status, hidden_because = Post.Status.DRAFT, "private"
        else:
            status, hidden_because = Post.Status.DRAFT, item.status or "no status"
        return {
            "title": title,
            "body": wordpress_html_to_body(item.content),
            "excerpt": wordpress_html_to_body(item.excerpt),
            "status": status,
            "publish_at": item.date_gmt or self.now,
            "comments_open": item.comment_status == "open",
            "featured": item.sticky,
        }, hidden_because

    def import_post(self, item):
        if item.wp_id is None:
            self.report.skipped["posts without wp:post_id"] += 1
            return
        if item.status in ("trash", "auto-draft", "inherit"):
            self.report.skipped[f"{item.status} posts"] += 1
            return
        values, hidden_because = self.post_fields(item)
        label = f"post {item.wp_id}: {item.title[:80]}"
        if hidden_because:
            self.report.hidden.append(f"{label} ({hidden_because})")
        category_list = [
            self.category(nicename or name, name) for d, nicename, name in item.terms if d == "category"
        ]
        tag_list = [self.tag(nicename, name) for d, nicename, name in item.terms if d == "post_tag"]
        post = Post.objects.filter(wp_id=item.wp_id).first()
        if post is not None:
            if post.imported_at and post.updated > post.imported_at:
                self.report.changed_since_import.append(label)
                self.report.post_ids.append(post.pk)
                self.import_comments(post, item)
                return
            if item.date_gmt is None:
                values["publish_at"] = post.publish_at  # undated drafts keep their first import's date
            changed = [k for k, v in values.items() if getattr(post, k) != v]
            same_terms = set(post.categories.all()) == set(category_list) and set(post.tags.all()) == set(
                tag_list
            )
            if not changed and same_terms:
                self.report.unchanged["posts"] += 1
            else:
                for k in changed:
                    setattr(post, k, values[k])
                post.save()
                self.report.updated["posts"] += 1
        else:
            slug = _free_slug(Post, ascii_slug(item.slug, item.title, f"post-{item.wp_id}"))
            author = self.users.get(item.creator[:150]) if item.creator else None
            if author is None:
                author = (
                    self.user_for(WPAuthor(login=item.creator)) if item.creator else self.default_author()
                )
            post = Post(wp_id=item.wp_id, slug=slug, author=author, **values)
            post.save()
            self.report.created["posts"] += 1
        post.categories.set(category_list)
        post.tags.set(tag_list)
        post.refresh_search_tags()
        Post.objects.filter(pk=post.pk).update(imported_at=F("updated"))
        self.report.post_ids.append(post.pk)
        self.import_comments(post, item)

    # -- comments

    def import_comments(self, post, item):
        existing = {c.wp_id: c for c in Comment.objects.filter(post=post, wp_id__isnull=False)}
        by_wp_id = dict(existing)
        new = []
        for wc in item.comments:
            if not wc.wp_id or wc.wp_id in by_wp_id:
                if wc.wp_id in existing:
                    self.report.unchanged["comments"] += 1
                continue
            author = self.users_by_wp_id.get(wc.user_id) if wc.user_id else None
            url = wc.author_url if wc.author_url.startswith(("http://", "https://")) else ""
            comment = Comment(
                post=post,
                author=author,
                author_name=(wc.author_name or (author.public_name if author else "") or "Anonymous")[:100],
                author_url=url if len(url) <= 300 else "",
                author_email=wc.author_email[:254],
                body=wordpress_html_to_body(wc.content),
                status=COMMENT_STATUS.get(wc.approved, Comment.Status.REJECTED),
                wp_id=wc.wp_id,
            )
            comment.save()
            Comment.objects.filter(pk=comment.pk).update(created=wc.date_gmt or post.publish_at)
            by_wp_id[wc.wp_id] = comment
            new.append((comment, wc))
            self.report.created["comments"] += 1
        parents = {wc.wp_id: wc.parent for wc in item.comments}
        for comment, wc in new:  # threading, once every comment of the post exists
            chain, seen, current = [], {wc.wp_id}, wc.parent
            while current and current in by_wp_id and current not in seen:
                chain.append(by_wp_id[current])
                seen.add(current)
                current = parents.get(
                    current, by_wp_id[current].parent.wp_id if by_wp_id[current].parent else 0
                )
            if chain:
                Comment.objects.filter(pk=comment.pk).update(
                    parent=chain[0], thread_root=chain[-1], depth=len(chain)
                )

    # -- pages

    def import_pages(self, pages):
        by_wp_id = {p.wp_id: p for p in pages if p.wp_id is not None}
        done = {}

        def depth(item, seen=()):
            parent = by_wp_id.get(item.parent)
            return 0 if parent is None or item.wp_id in seen else 1 + depth(parent, (*seen, item.wp_id))

        for item in sorted(pages, key=depth):
            self.progress(1)
            if item.comments:
                self.report.skipped["comments on pages (the portal has none)"] += len(item.comments)
            if item.wp_id is None:
                self.report.skipped["pages without wp:post_id"] += 1
                continue
            if item.status in ("trash", "auto-draft", "inherit"):
                self.report.skipped[f"{item.status} pages"] += 1
                continue
            page = Page.objects.filter(wp_id=item.wp_id).first()
            if page is not None:
                self.report.unchanged["pages"] += 1
                done[item.wp_id] = page
                continue
            parent = done.get(item.parent) or (
                Page.objects.filter(wp_id=item.parent).first() if item.parent else None
            )
            slug = unicode_slug(item.slug, item.title, f"page-{item.wp_id}")[:200]
            base, n = slug, 2
            prefix = parent.path if parent else ""
            while Page.objects.filter(path=f"{prefix}{slug}/").exists():
                slug, n = f"{base[:190]}-{n}", n + 1
            published = item.status == "publish" and not item.password
            if not published:
                self.report.hidden.append(
                    f"page {item.wp_id}: {item.title[:80]} ({item.status or 'no status'})"
                )
            page = Page(
                title=item.title[:200],
                slug=slug,
                parent=parent,
                body=wordpress_html_to_body(item.content),
                status=Page.Status.PUBLISHED if published else Page.Status.DRAFT,
                menu_order=item.menu_order,
                wp_id=item.wp_id,
            )
            page.save()
            done[item.wp_id] = page
            self.report.created["pages"] += 1

    # -- attachments

    def attachment(self, item):
        url = item.attachment_url or ""
        found = None
        if self.media_dir is not None and url:
            path = unquote(urlsplit(url).path)
            relative = path.split("/wp-content/uploads/", 1)[-1].lstrip("/")
            found = (self.media_dir / relative).is_file() or (self.media_dir / Path(path).name).is_file()
        self.report.attachments.append((item.wp_id, item.title, url, found))


# --------------------------------------------------------------------------- ?p=<id> redirects


def legacy_redirect(request, fallback=None):
    """301 from WordPress's ``/?p=<id>`` to the imported post, and ``/?page_id=<id>`` to the page.

    Only posts the visitor may read (and published pages) are redirected; anything else is a 404.
    ``fallback`` (a view) serves the request when it carries no such parameter.
    """
    post_id, page_id = request.GET.get("p"), request.GET.get("page_id")
    if post_id is None and page_id is None:
        if fallback is not None:
            return fallback(request)
        raise Http404
    if post_id is not None:
        if not post_id.isdigit():
            raise Http404
        post = get_object_or_404(Post.objects.visible_to(request.user), wp_id=int(post_id))
        return HttpResponsePermanentRedirect(post.get_absolute_url())
    if not page_id.isdigit():
        raise Http404
    pages = Page.objects.all() if request.user.is_staff else Page.objects.filter(status=Page.Status.PUBLISHED)
    page = get_object_or_404(pages, wp_id=int(page_id))
    return HttpResponsePermanentRedirect(page.get_absolute_url())


def with_legacy_redirect(view):
    """Wrap the home page view so that ``/?p=<id>`` redirects (see ``legacy_redirect``)."""

    def wrapped(request, *args, **kwargs):
        return legacy_redirect(request, fallback=lambda r: view(r, *args, **kwargs))

    wrapped.__name__ = getattr(view, "__name__", "home")
    return wrapped
