"""Switching to Spanish translates every page: every page type, every role, the admin and the forms' errors.

The pages are those of the authorization matrix (``testing.authz_matrix.SPECS``,
which must name every URL of the project): each one a role may read (a
``"200"`` cell) is requested in Spanish as that role, in the world of
``testing/authz_world.py`` (signed out, a member, a comment author, a community
owner, an editor, a superuser: the Django admin's index, changelists, add,
change, delete and history pages of every registered model included), and
each form a role may post is posted empty, so that its errors show.

On each HTML page, ``<html lang="es">`` and no text left in English:

* no visible text node (or label, title, placeholder, button) is an English
  message of our catalog (``locale/es/LC_MESSAGES/django.po``) whose Spanish
  differs, whatever its length, and no such message of 13 characters or more
  appears inside a longer text;
* no text node reads as English although no catalog has it (a string never
  marked for translation): one with two English function words ("the", "your",
  "to"…) that Spanish does not have.

The members' own text (titles, bodies, names: every text field of the
world's rows) is not the interface: a node found inside it is skipped.
"""

import re
from html.parser import HTMLParser

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from blog.models import Category
from testing.authz_matrix import REFUSALS, SPECS
from testing.authz_world import CSRF_TOKEN, ROLES, world_rolled_back
from testing.i18n import PO_PATH

# The roles whose pages are read: between them they see every page of the site and the admin.
CHECKED_ROLES = ["anonymous", "member", "author", "community_owner", "editor", "superuser"]
# Words of English that Spanish does not use: two of them in one text node is English left over.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "your",
        "you",
        "and",
        "with",
        "this",
        "that",
        "these",
        "those",
        "of",
        "to",
        "are",
        "is",
        "was",
        "were",
        "have",
        "been",
        "will",
        "would",
        "from",
        "by",
        "for",
        "on",
        "at",
        "it",
        "its",
        "an",
        "or",
        "not",
        "yet",
        "which",
        "who",
        "what",
        "when",
        "where",
        "there",
        "here",
        "please",
        "cannot",
        "should",
        "must",
        "our",
        "we",
        "they",
        "their",
        "them",
        "all",
        "any",
        "each",
        "every",
        "only",
        "than",
        "then",
        "into",
        "about",
        "after",
        "before",
    ]
)
# Not words of a sentence: names that are the same in Spanish.
NOT_ENGLISH_TEXT = frozenset({"RSS", "Atom", "Markdown", "JSON", "Email", "URL"})


# --- The catalog ---------------------------------------------------------------------------------


def normalize(text):
    return " ".join(text.split())


def catalog_messages():
    """English -> Spanish of every message whose Spanish differs (placeholders and plurals left out)."""
    messages = {}
    for entry in polib.pofile(str(PO_PATH)):
        english, spanish = normalize(entry.msgid), normalize(entry.msgstr)
        if entry.msgid_plural or "%" in english or "<" in english or not spanish or english == spanish:
            continue
        messages[english] = spanish
    return messages


# --- The page's visible text ---------------------------------------------------------------------


class TextNodes(HTMLParser):
    """Text nodes a reader sees or hears, and the attributes read out (labels, titles, placeholders)."""

    ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-confirm", "aria-description"}
    SKIPPED = {"script", "style", "textarea", "template"}  # code, and text members wrote in a form

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            if name in self.ATTRIBUTES or (
                tag == "input" and name == "value" and attributes.get("type") in {"submit", "button", "reset"}
            ):
                self.nodes.append(value)
            if tag == "meta" and name == "content" and attributes.get("name") == "description":
                self.nodes.append(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in self.SKIPPED:
            self.skip -= 1

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.nodes.append(data)


def text_nodes(html):
    parser = TextNodes()
    parser.feed(html)
    return [normalize(node) for node in parser.nodes if normalize(node)]


def english_left(html, messages, content):
    """What a Spanish page shows in English: catalog messages, and sentences never marked.

    ``content`` is a Content: the members' text is taken out of each node first.
    """
    found = []
    for node in text_nodes(html):
        if content.holds(node):
            continue
        if node in messages:
            found.append(node)
            continue
        rest = content.remove(node)
        long_ones = [english for english in messages if len(english) >= 13 and english in rest]
        if long_ones:
            found += long_ones
            continue
        words = re.findall(r"[A-Za-z]+", rest)
        if rest not in NOT_ENGLISH_TEXT and len([w for w in words if w.lower() in ENGLISH_WORDS]) >= 2:
            found.append(node)
    return found


class Content:
    """The members' text: a node inside one of them is theirs; within a node, their words are taken out."""

    def __init__(self, texts):
        texts = {normalize(text) for text in texts if text}
        # Markdown is shown without its marks: "*together*" is read as "together".
        texts |= {normalize(re.sub(r"[*_`#>]", "", text)) for text in texts}
        self.texts = sorted((text for text in texts if len(text) >= 3), key=len, reverse=True)
        self.joined = "\n".join(self.texts)
        self.pattern = re.compile("|".join(re.escape(text) for text in self.texts)) if self.texts else None

    def holds(self, node):
        return node in self.joined

    def remove(self, node):
        return normalize(self.pattern.sub(" ", node)) if self.pattern else node


def members_text():
    """Every text the world's rows hold (titles, bodies, names, addresses): the members' content."""
    content = {settings.PORTAL_NAME, settings.PORTAL_LICENSE["name"], settings.PORTAL_LICENSE["short_name"]}
    for label in ("accounts", "blog", "comments", "taggit", "account", "auth"):
        for model in apps.get_app_config(label).get_models():
            if model is Category:
                continue  # the default topics are the interface's, translated (blog.models)
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField) and not f.choices
            ]
            for row in model._default_manager.values_list(*fields) if fields else ():
                content.update(normalize(str(value)) for value in row if value)
    return content


# --- The world, and the pages ------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The authorization matrix's world, built once for the module and rolled back at its end."""
    with world_rolled_back(django_db_blocker) as built:
        built.content = Content(members_text())
        yield built


@pytest.fixture(scope="module")
def messages():
    return catalog_messages()


class _Rollback(Exception):
    pass


def request_in_spanish(world, role, method, path, data=None):
    """The page as ``role`` sees it in Spanish; a POST is rolled back, whatever it changed."""
    client = world.client(role, language="es")
    outcome = {}
    try:
        with transaction.atomic():
            if method == "GET":
                outcome["response"] = client.get(path)
            else:
                outcome["response"] = client.post(path, {"csrfmiddlewaretoken": CSRF_TOKEN, **(data or {})})
            raise _Rollback
    except _Rollback:
        pass
    return outcome["response"]


def pages_of(role):
    """(label, method, spec) of every page ``role`` may read, and of every form they may post."""
    pages = []
    for spec in SPECS:
        if role not in spec.roles:
            continue
        if spec.get[role] == "200":
            pages.append((spec.id, "GET", spec))
        # Every form the role may post, posted empty: those answered with a page show their errors.
        if spec.post[role].rstrip("+=") not in REFUSALS:
            pages.append((f"{spec.id} (empty form)", "POST", spec))
    return pages


def is_html(response):
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("role", CHECKED_ROLES)
def test_every_page_a_role_sees_is_in_spanish(world, messages, role):
    assert set(CHECKED_ROLES) <= set(ROLES)
    problems, checked = [], 0
    for label, method, spec in pages_of(role):
        path = spec.path(world)
        response = request_in_spanish(world, role, method, path)
        if not is_html(response):
            continue
        checked += 1
        page = response.content.decode()
        if '<html lang="es"' not in page:
            problems.append(f'{label} {method} {path}: not <html lang="es">')
            continue
        left = english_left(page, messages, world.content)
        if left:
            problems.append(f"{label} {method} {path}: {sorted(set(left))}")
    assert checked >= {"anonymous": 25, "member": 35, "superuser": 100}.get(role, 30), checked
    assert not problems, f"English on the Spanish pages of {role}:\n" + "\n".join(problems)


# --- The check itself ------------------------------------------------------------------------


def test_the_check_finds_catalog_messages_and_unmarked_sentences(messages):
    page = """<html lang="es"><body>
      <h1>Iniciar sesión</h1><button>Save profile</button>
      <p>Notes from the open circle</p>
      <p>Only the owners can see this list.</p>
      <input type="submit" value="Guardar"><input placeholder="Search posts and comments">
      <textarea>What the member wrote, in the form.</textarea>
    </body></html>"""
    left = english_left(page, messages, Content({"Notes from the open circle"}))
    assert "Save profile" in left
    assert "Only the owners can see this list." in left  # in no catalog, and English
    assert "Notes from the open circle" not in left  # the members' text
    assert not any("member wrote" in text for text in left)
    assert "Iniciar sesión" not in left and "Guardar" not in left
