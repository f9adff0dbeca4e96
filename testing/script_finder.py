"""Parse HTML the way a browser does (html5lib) and list everything in it that could run script.

Used by test_xss_corpus (whole pages) and test_sanitizer_properties (sanitizer output).
"""

import re

import html5lib

# Elements that run script or load a document, whatever their attributes.
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "noscript",
}  # fmt: skip
# Attributes whose value is a URL the browser may navigate to or load.
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "background", "poster", "data", "cite", "codebase",
    "lowsrc", "dynsrc", "ping", "manifest", "icon", "longdesc", "usemap", "values", "to", "from", "by",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
# What browsers ignore in a URL's scheme: ASCII whitespace and C0 controls.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_CSS_COMMENTS = re.compile(r"/\*.*?\*/", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")


def _local(name):
    """``{namespace}local`` → ``local`` (html5lib names SVG/MathML elements and xlink attributes so)."""
    return name.rsplit("}", 1)[-1].lower()


def _site_script(element):
    """The site's own scripts: an HTML <script src="/static/…"> with nothing inline."""
    return (
        element.tag == "script"
        and element.attrib.get("src", "").startswith("/static/")
        and not (element.text or "").strip()
        and set(element.attrib) <= {"src", "defer", "type"}
    )


def dangerous_url(value):
    """Whether an (entity-decoded) URL attribute value would run script or embed a document."""
    normalised = _IGNORED_IN_SCHEME.sub("", value).lower()
    if normalised.startswith("data:image/") and not normalised.startswith("data:image/svg"):
        return False  # A raster image cannot run script; SVG can.
    return normalised.startswith(DANGEROUS_SCHEMES)


def dangerous_css(value):
    css = _CSS_COMMENTS.sub("", value)
    css = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), css).replace("\\", "")
    css = _IGNORED_IN_SCHEME.sub("", css).lower()
    return any(
        token in css for token in ("expression(", "javascript:", "vbscript:", "-moz-binding", "behavior:")
    )


def script_problems(html, *, fragment=False, allowed=()):
    """Return a list of descriptions of script-capable markup in ``html`` (empty when safe).

    ``allowed`` is a set of (tag, attribute, value) triples the site itself emits.
    """
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    root = parser.parseFragment(html) if fragment else parser.parse(html)
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tag = _local(element.tag)
        if tag == "script" and _site_script(element):
            continue
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}>")
        if tag == "meta" and any(_local(name) == "http-equiv" for name in element.attrib):
            problems.append("<meta http-equiv>")
        if tag == "link" and "stylesheet" in element.attrib.get("rel", "").lower():
            href = element.attrib.get("href", "")
            if not href.startswith("/static/"):
                problems.append(f"<link rel=stylesheet href={href[:40]}>")
        if tag == "style" and dangerous_css(element.text or ""):
            problems.append("<style> with script")
        for name, value in element.attrib.items():
            attribute = _local(name)
            if (tag, attribute, value) in allowed:
                continue
            if attribute.startswith("on"):
                problems.append(f"{tag}[{attribute}]")
            elif attribute == "srcdoc":
                problems.append(f"{tag}[srcdoc]")
            elif attribute == "srcset":
                if any(dangerous_url(part.strip()) for part in value.split(",")):
                    problems.append(f"{tag}[srcset={value[:40]}]")
            elif attribute in URL_ATTRIBUTES and dangerous_url(value):
                problems.append(f"{tag}[{attribute}={value[:40]!r}]")
            elif attribute == "style" and dangerous_css(value):
                problems.append(f"{tag}[style={value[:40]!r}]")
            elif (
                attribute == "attributename"
                and value.lower() in ("href", "xlink:href")
                or (attribute == "attributename" and value.lower().startswith("on"))
            ):
                problems.append(f"{tag}[attributeName={value}]")
    return problems
