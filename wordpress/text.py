"""WordPress text as portal text: post bodies (a port of ``wpautop``) and slugs.

Bodies are stored as Markdown source, so WordPress HTML is given the paragraphs
WordPress would have shown and kept as raw HTML that CommonMark passes through;
it is sanitized when the post is saved, like any body (core.markup).
"""

import re
from urllib.parse import unquote

from django.utils.text import slugify

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


_ASCII_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_UNICODE_SLUG = re.compile(r"[-\w]+")


def ascii_slug(wp_slug, fallback_text="", default="item"):
    """The WordPress slug (percent-decoded) if it is an ASCII slug, else one made from it or from the text.

    Post, category and tag addresses use Django's ASCII ``slug`` converter. No
    slug starts or ends with a dash, and none is empty (``default``).
    """
    decoded = unquote(wp_slug or "").strip("-")
    if _ASCII_SLUG.fullmatch(decoded):
        return decoded.lower()
    return slugify(decoded) or slugify(fallback_text) or default


def unicode_slug(wp_slug, fallback_text="", default="page"):
    """Like ``ascii_slug``, for page slugs, which may be Unicode (``Page.slug`` allows it)."""
    decoded = unquote(wp_slug or "").strip("-")
    if _UNICODE_SLUG.fullmatch(decoded):
        return decoded
    return slugify(decoded, allow_unicode=True) or slugify(fallback_text, allow_unicode=True) or default
