"""Property-based test of the sanitizer: random hostile markup never comes out able to run script.

Hypothesis builds documents from a small grammar of what attackers use: tags
(HTML, SVG, MathML, raw-text elements), event handler and URL attributes,
URLs whose scheme is disguised (entities decimal/hex with and without
semicolons, leading zeros, tabs and newlines, case, zero-width and bidi
characters, percent-encoding, full-width letters), CSS, comments, broken and
unclosed tags, and Markdown links, images, autolinks and reference
definitions. The output of ``core.markup`` is parsed with html5lib and
checked with the same rule as the corpus test (``script_finder``).

The run is reproducible: ``derandomize=True`` and no example database.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.markup import render_markdown, sanitize_html
from testing.script_finder import script_problems

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TAGS = [
    "a", "img", "p", "div", "span", "script", "style", "iframe", "object", "embed", "svg", "math",
    "mtext", "mglyph", "table", "td", "form", "button", "input", "textarea", "title", "noscript",
    "xmp", "template", "base", "meta", "link", "animate", "set", "use", "video", "source", "details",
    "body", "select", "option", "plaintext", "foreignobject", "annotation-xml", "blockquote", "code",
]  # fmt: skip
EVENTS = [
    "onerror",
    "onload",
    "onclick",
    "onfocus",
    "onmouseover",
    "ontoggle",
    "onbegin",
    "ONERROR",
    "oNlOaD",
]
URL_ATTRIBUTES = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcdoc",
    "data",
    "poster",
    "background",
]
OTHER_ATTRIBUTES = [
    "title",
    "alt",
    "style",
    "autofocus",
    "attributename",
    "values",
    "to",
    "http-equiv",
    "lang",
]
SCHEMES = ["javascript", "vbscript", "data", "JaVaScRiPt", "livescript", "https", "mailto"]
PAYLOADS = ["alert(1)", "text/html,<script>alert(1)</script>", "image/svg+xml,<svg onload=alert(1)>", "//x"]


def _entity(char, style):
    code = ord(char)
    return [
        char,
        f"&#{code};",
        f"&#{code}",
        f"&#x{code:x};",
        f"&#X{code:X}",
        f"&#{code:07d};",
        f"&#x{code:06x}",
    ][style]


@st.composite
def disguised_scheme(draw):
    """A scheme, each character possibly an entity, with whitespace, controls or invisibles inside."""
    scheme = draw(st.sampled_from(SCHEMES))
    pieces = []
    for char in scheme + ":":
        pieces.append(_entity(char, draw(st.integers(0, 6))))
        pieces.append(
            draw(
                st.sampled_from(
                    ["", "", "", "\t", "\n", "\r", "&Tab;", "&NewLine;", "\x01", "\u200b", "\u202e"]
                )
            )
        )
    prefix = draw(st.sampled_from(["", " ", "\x00", "\x1f", "&#32;", "\u3000"]))
    text = prefix + "".join(pieces)
    if draw(st.booleans()):
        text = text.replace(":", draw(st.sampled_from(["&colon;", "%3A", ":"])))
    if draw(st.integers(0, 9)) == 0:
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)  # full width
    return text


@st.composite
def url(draw):
    return draw(disguised_scheme()) + draw(st.sampled_from(PAYLOADS))


def quoted(value, quote):
    if quote == '"':
        return '"' + value.replace('"', "&quot;") + '"'
    if quote == "'":
        return "'" + value.replace("'", "&#39;") + "'"
    return value.replace(" ", "")


@st.composite
def attribute(draw):
    kind = draw(st.integers(0, 2))
    quote = draw(st.sampled_from(['"', "'", ""]))
    if kind == 0:
        return f" {draw(st.sampled_from(EVENTS))}={quoted('alert(1)', quote)}"
    if kind == 1:
        return f" {draw(st.sampled_from(URL_ATTRIBUTES))}={quoted(draw(url()), quote)}"
    name = draw(st.sampled_from(OTHER_ATTRIBUTES))
    value = draw(
        st.sampled_from(
            [
                "x",
                "background:url(javascript:alert(1))",
                "width:expression(alert(1))",
                "href",
                "onmouseover",
                "refresh",
                '"><img src=x onerror=alert(1)>',
            ]
        )
    )
    return f" {name}={quoted(value, quote)}"


@st.composite
def element(draw, depth=0):
    tag = draw(st.sampled_from(TAGS))
    attributes = "".join(draw(st.lists(attribute(), max_size=3)))
    separator = draw(st.sampled_from([" ", "/", "\n", "\t"])) if attributes else ""
    opening = f"<{draw(st.sampled_from([tag, tag.upper()]))}{separator}{attributes.lstrip()}>"
    inner = "".join(draw(st.lists(node(depth + 1), max_size=3))) if depth < 2 else draw(text())
    closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag}", "<!--", "-->"]))
    return opening + inner + closing


def text():
    return st.sampled_from(
        [
            "hello",
            "a & b",
            "&lt;script&gt;",
            "{{ x }}",
            "{% debug %}",
            "]]>",
            "<!--",
            "-->",
            "<",
            ">",
            '"',
            "'",
        ]
    )


@st.composite
def markdown(draw):
    target = draw(url())
    label = draw(st.sampled_from(["click", "<img src=x onerror=alert(1)>", "x"]))
    form = draw(st.integers(0, 5))
    if form == 0:
        return f"[{label}]({target})"
    if form == 1:
        return f"[{label}](<{target}>)"
    if form == 2:
        return f"![{label}]({target})"
    if form == 3:
        return f"<{target.strip()}>"
    if form == 4:
        return f'[{label}][r]\n\n[r]: {target} "t\\" onmouseover=\\"alert(1)"'
    return f'[{label}]({target} "a\\" onclick=\\"alert(1)")'


@st.composite
def node(draw, depth=0):
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(text())
    if choice == 1:
        return draw(markdown())
    return draw(element(depth))


@st.composite
def document(draw):
    return draw(st.sampled_from(["", "\n\n", "> ", "* ", "    "])).join(
        draw(st.lists(node(), min_size=1, max_size=4))
    )


@PROPERTY_SETTINGS
@given(document(), st.booleans())
def test_rendered_markdown_never_runs_script(source, comment):
    html = render_markdown(source, comment=comment)
    assert script_problems(html, fragment=True) == [], (source, html)


@PROPERTY_SETTINGS
@given(document())
def test_sanitized_html_never_runs_script(source):
    html = sanitize_html(source)
    assert script_problems(html, fragment=True) == [], (source, html)
    # Sanitizing is stable: cleaning the output again changes nothing a browser would run.
    assert script_problems(sanitize_html(html), fragment=True) == []


@PROPERTY_SETTINGS
@given(url())
def test_disguised_urls_in_links_and_images(target):
    for source in (f'<a href="{target}">x</a>', f"[x]({target})", f"![x]({target})", f'<img src="{target}">'):
        html = render_markdown(source)
        assert script_problems(html, fragment=True) == [], (source, html)
