"""Find anything in an HTML fragment that could run script in a browser (a quick check, html.parser).

The thorough one, parsing as a browser does (html5lib), is ``testing.script_finder``.
"""

from html.parser import HTMLParser

SCRIPT_ELEMENTS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "style",
    "link",
    "meta",
    "base",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in SCRIPT_ELEMENTS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            elif name == "style":
                self.problems.append(f"{tag}[style]")
            elif name in URL_ATTRIBUTES and ":" in value.split("/")[0] and not value.startswith(SAFE_SCHEMES):
                self.problems.append(f"{tag}[{name}={value[:40]}]")

    handle_startendtag = handle_starttag


def script_vectors(html):
    """Return a list of script-capable elements, attributes and URLs found in ``html``."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
