"""What a reader finds on a page: links by their text, and a form's values as a browser would send them.

Tests follow the links and buttons a person would click instead of typing addresses,
so that a page nobody links to fails its test (html.parser, no browser).
"""

from dataclasses import dataclass
from html.parser import HTMLParser

REGIONS = ("header", "main", "footer", "aside", "nav")


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    classes: tuple[str, ...]
    regions: tuple[str, ...]  # the landmarks it is in, outermost first: ("header", "nav")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.open_regions = []
        self.anchor = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in REGIONS:
            self.open_regions.append(tag)
        elif tag == "a" and attrs.get("href") is not None:
            self.anchor = {
                "href": attrs["href"],
                "classes": tuple((attrs.get("class") or "").split()),
                "text": [],
            }

    def handle_endtag(self, tag):
        if tag in REGIONS and tag in self.open_regions:
            del self.open_regions[len(self.open_regions) - 1 - self.open_regions[::-1].index(tag) :]
        elif tag == "a" and self.anchor is not None:
            text = " ".join("".join(self.anchor["text"]).split())
            self.links.append(
                Link(self.anchor["href"], text, self.anchor["classes"], tuple(self.open_regions))
            )
            self.anchor = None

    def handle_data(self, data):
        if self.anchor is not None:
            self.anchor["text"].append(data)


def links(html: str, region: str | None = None) -> list[Link]:
    """Every ``<a href>`` of ``html`` (text with spaces collapsed); with ``region``, only those of the page's
    ``<header>``, ``<main>`` or ``<footer>`` (the outermost landmark: an article's header is in main).
    """
    parser = _Links()
    parser.feed(html)
    parser.close()
    return [link for link in parser.links if region is None or link.regions[:1] == (region,)]


def link(html: str, text: str, region: str | None = None) -> Link:
    """The one link whose text is ``text`` (in ``region``); fails naming the links there are."""
    found = [found for found in links(html, region) if found.text == text]
    assert len(found) == 1, (
        f"{len(found)} links {text!r} in {region or 'the page'}: {[x.text for x in links(html, region)]}"
    )
    return found[0]


def link_texts(html: str, region: str | None = None) -> list[str]:
    return [found.text for found in links(html, region)]


class _Form(HTMLParser):
    """The fields of the first ``<form method="post">`` in ``<main>``, or of the one posting to ``action``."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.in_main = 0
        self.state = "before"  # then "inside", then "after": only the first matching form counts
        self.fields = {}
        self.select = None
        self.textarea = None

    def _is_the_form(self, attrs):
        if self.action is not None:
            return attrs.get("action") == self.action
        return self.in_main > 0 and (attrs.get("method") or "get").lower() == "post"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.in_main += 1
        elif tag == "form" and self.state == "before" and self._is_the_form(attrs):
            self.state = "inside"
        if self.state != "inside" or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields.setdefault(name, []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields.setdefault(name, []).append("")
        elif tag == "select" and name:
            self.select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main -= 1
        elif tag == "form" and self.state == "inside":
            self.state = "after"
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            value = self.fields[self.textarea][-1]
            self.fields[self.textarea][-1] = value[1:] if value.startswith("\n") else value  # as browsers do
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.state == "inside":
            self.fields[self.textarea][-1] += data


def form_values(html: str, action: str | None = None) -> dict[str, list[str]]:
    """What a browser would send from a form as shown: the first POST form of ``<main>``, or the one
    posting to ``action``. Fails if there is no such form.

    Checked boxes and radios, selected options, text inputs and textareas (without the newline
    that may follow ``<textarea>``, as browsers do); a single select with nothing marked sends
    nothing here (a browser would send its first option).
    """
    parser = _Form(action)
    parser.feed(html)
    parser.close()
    assert parser.state != "before", (
        f"No form {'posting to ' + action if action else 'in <main>'} on the page"
    )
    return parser.fields
