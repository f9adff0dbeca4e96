"""English and Spanish interfaces: the language switch, every page type in Spanish, the catalog's
completeness.

The page checks are built from the catalog itself: a page rendered in Spanish
must not show, in its visible text or its labels, any English msgid of
``locale/es/LC_MESSAGES/django.po`` long enough to be unambiguous (at least
13 characters, no placeholders) whose Spanish text differs. The content the
test creates (titles, bodies, names) is taken out of the page first: it is
the members' text, not the interface.
"""

import os
import re
import shutil
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from blog.models import Category, LearningPath, LearningPathStep
from blog.services import follow
from comments.models import Comment
from testing.factories import CommentFactory, CommunityFactory, EditorFactory, PostFactory, UserFactory
from testing.i18n import MO_PATH, PO_PATH

SPANISH = {settings.LANGUAGE_COOKIE_NAME: "es"}


# --- the catalog ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog():
    return polib.pofile(str(PO_PATH))


def test_every_message_has_a_spanish_translation_that_is_not_fuzzy(catalog):
    untranslated = [entry.msgid for entry in catalog if not entry.obsolete and not entry.translated()]
    fuzzy = [entry.msgid for entry in catalog if "fuzzy" in entry.flags]
    assert not untranslated, f"{len(untranslated)} messages without Spanish: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy messages (check, then remove the flag): {fuzzy[:10]}"
    assert not catalog.obsolete_entries(), "obsolete entries: run `make makemessages` (it drops them)"
    assert catalog.metadata["Language"] == "es"
    assert len(catalog) > 800


def test_the_compiled_catalog_is_built_from_the_current_po():
    """`make messages` (run by `make test` and `make run`) builds django.mo from django.po."""
    assert MO_PATH.exists(), "locale/es/LC_MESSAGES/django.mo is missing: run `make messages`"
    assert MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime, (
        "django.mo is older than django.po: run `make messages`"
    )


def test_the_catalog_has_every_message_of_the_code_and_templates(tmp_path, settings):
    """Runs makemessages over the sources into a copy of the catalog: a string added to a template or
    to the code without its Spanish translation shows up here as an empty or fuzzy entry."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed: 'apt-get install gettext'.")
    base = Path(settings.BASE_DIR)
    for entry in base.iterdir():
        if entry.name not in {"locale", ".venv", "var", "node_modules", ".git"} and entry.is_dir():
            (tmp_path / entry.name).symlink_to(entry)
    copy = tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy(PO_PATH, copy)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command(
            "makemessages",
            locale=["es"],
            symlinks=True,
            no_obsolete=True,
            verbosity=0,
            ignore_patterns=[".venv", "var", "node_modules"],
        )
    finally:
        os.chdir(cwd)
    updated = polib.pofile(str(copy))
    missing = [entry.msgid for entry in updated if not entry.translated() or "fuzzy" in entry.flags]
    assert not missing, (
        f"{len(missing)} messages of the code and templates have no Spanish translation: {missing[:10]}. "
        "Run `make makemessages`, then translate them in locale/es/LC_MESSAGES/django.po."
    )
    assert {e.msgid for e in updated} == {e.msgid for e in polib.pofile(str(PO_PATH))}, (
        "the catalog lists messages the sources no longer have: run `make makemessages`"
    )


# --- the language switch -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_switch_sets_the_language_cookie_and_goes_back_to_the_page(client):
    response = client.get(
        reverse("switch_language", kwargs={"code": "es"}), {"next": "/tag/reflection/?page=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tag/reflection/?page=2"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600  # remembered, not only for the browser session
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    page = client.get("/").content.decode()
    assert '<html lang="es">' in page and "Saltar al contenido" in page

    response = client.get(reverse("switch_language", kwargs={"code": "en"}), {"next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Skip to content" in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_the_switch_never_redirects_off_the_site(client, next_url):
    response = client.get(reverse("switch_language", kwargs={"code": "es"}), {"next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_an_unknown_language_is_a_404_and_sets_nothing(client):
    response = client.get("/language/fr/?next=/")
    assert response.status_code == 404
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_the_footer_offers_the_other_language_as_a_link_without_a_form(client):
    page = client.get("/category/individual-learning/?page=1").content.decode()
    assert (
        '<a lang="es" hreflang="es" rel="nofollow" '
        'href="/language/es/?next=%2Fcategory%2Findividual-learning%2F%3Fpage%3D1">'
        "Español</a>" in page
    )
    assert '<span lang="en" aria-current="true" class="fw-semibold">English</span>' in page
    # No CSRF token in an anonymous page: it can be served from the page cache to anyone.
    assert "csrfmiddlewaretoken" not in page
    spanish = Client(headers={"accept-language": "es"}).get("/").content.decode()
    assert '<a lang="en" hreflang="en" rel="nofollow" href="/language/en/?next=%2F">English</a>' in spanish


@pytest.mark.django_db
def test_accept_language_chooses_spanish_and_the_cookie_wins_over_it():
    assert (
        '<html lang="es">' in Client(headers={"accept-language": "es-ES,es;q=0.9"}).get("/").content.decode()
    )
    visitor = Client(headers={"accept-language": "es-ES,es;q=0.9"})
    visitor.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    response = visitor.get("/")
    assert '<html lang="en">' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


# --- every page type in Spanish --------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes outside script/style, plus titles, labels and
    placeholders."""

    ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-label", "data-confirm"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.skip += 1
        for name, value in attrs:
            if value and (
                name in self.ATTRIBUTES
                or (tag == "input" and name == "value" and dict(attrs).get("type") in {"submit", "button"})
            ):
                self.parts.append(value)
            if tag == "meta" and name == "content" and dict(attrs).get("name") == "description":
                self.parts.append(value or "")

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_leftovers(html, catalog, content):
    text = visible_text(html)
    for item in sorted(content, key=len, reverse=True):
        text = text.replace(" ".join(item.split()), " ")
    leftovers = []
    for entry in catalog:
        english = " ".join(entry.msgid.split())
        if len(english) < 13 or "%(" in english or "<" in english or entry.msgid_plural:
            continue
        if english == " ".join(entry.msgstr.split()):
            continue
        if english in text:
            leftovers.append(english)
    return leftovers


@pytest.fixture
def world(db):
    """One of everything, written so that no content string looks like an interface string."""
    now = timezone.now()
    owner = UserFactory(username="rosa", display_name="Rosa Quintero")
    member = UserFactory(username="ilse", display_name="Ilse Brandt")
    editor = EditorFactory(username="hannah", display_name="Hannah Ortiz")
    community = CommunityFactory(
        name="Círculo Lisboa", slug="circulo-lisboa", description="Lecturas.", owner=owner
    )
    Membership.objects.create(
        community=community,
        member=member,
        role=Membership.Role.MEMBER,
        status=Membership.Status.ACTIVE,
        joined=now,
    )
    post = PostFactory(
        title="Cuadernos y memoria",
        author=owner,
        body="Notas **breves**.",
        excerpt="Breve.",
        tags=["cuadernos"],
        publish_at=now - timedelta(days=40),
        community=community,
    )
    other = PostFactory(
        title="Zettelkasten", author=owner, body="Karteikarten.", excerpt="Karten.", tags=["cuadernos"]
    )
    CommentFactory(
        post=post, author=member, author_name=member.public_name, body="Gracias, Rosa.", language="es"
    )
    Comment.objects.create(
        post=other,
        author=member,
        author_name=member.public_name,
        body="Frage offen.",
        status=Comment.Status.PENDING,
    )
    learning_path = LearningPath.objects.create(
        title="Ruta corta", slug="ruta-corta", description="Dos.", published=True
    )
    LearningPathStep.objects.create(path=learning_path, post=post, order=1, stage="dependence")
    LearningPathStep.objects.create(path=learning_path, post=other, order=2, stage="independence")
    follow(follower=member, target=community)
    content = [
        post.title,
        other.title,
        "Notas breves.",
        "Breve.",
        "Karteikarten.",
        "Karten.",
        "Gracias, Rosa.",
        "Frage offen.",
        "cuadernos",
        community.name,
        "Lecturas.",
        learning_path.title,
        "Dos.",
        owner.public_name,
        member.public_name,
        editor.public_name,
        "rosa",
        "ilse",
        "hannah",
        *Category.objects.values_list("name", flat=True),
        settings.PORTAL_NAME,
        settings.PORTAL_LICENSE["name"],
        settings.PORTAL_LICENSE["short_name"],
        "English",
        "Español",
    ]
    return {
        "post": post,
        "community": community,
        "member": member,
        "editor": editor,
        "path": learning_path,
        "content": content,
    }


PAGES = {
    # name: (url builder, who is signed in, expected status, a Spanish string the page must show)
    "home": (lambda s: "/", None, 200, "Lo más comentado este mes"),
    "post": (lambda s: s["post"].get_absolute_url(), None, 200, "Entradas anterior y siguiente"),
    "post as member": (lambda s: s["post"].get_absolute_url(), "member", 200, "Publicar el comentario"),
    "category": (lambda s: "/category/individual-learning/", None, 200, "Saltar al contenido"),
    "tag": (lambda s: "/tag/cuadernos/", None, 200, "Entradas con la etiqueta"),
    "search": (lambda s: "/search/?q=cuadernos", None, 200, "Aplicar los filtros"),
    "empty search": (lambda s: "/search/", None, 200, "Escribe unas palabras para buscar"),
    "community directory": (lambda s: "/communities/", None, 200, "Organizaciones, comunidades de práctica"),
    "community page": (lambda s: s["community"].get_absolute_url(), None, 200, "Inicia sesión para unirte"),
    "community members": (
        lambda s: f"/communities/{s['community'].slug}/members/",
        "owner",
        200,
        "Invitar a personas",
    ),
    "profile": (lambda s: "/members/rosa/", None, 200, "Miembro desde"),
    "own profile": (lambda s: "/members/ilse/", "member", 200, "Editar el perfil"),
    "edit profile": (lambda s: "/accounts/profile/", "member", 200, "Guardar el perfil"),
    "sign in": (lambda s: "/accounts/login/", None, 200, "Iniciar sesión"),
    "sign up": (lambda s: "/accounts/signup/", None, 200, "Regístrate"),
    "moderation queue": (lambda s: "/comments/moderation/", "editor", 200, "Cola de moderación"),
    "my feed": (lambda s: "/my-feed/", "member", 200, "Lo que sigues"),
    "email settings": (lambda s: "/comments/notifications/", "member", 200, "Guardar los ajustes"),
    "paths": (lambda s: "/paths/", None, 200, "Itinerarios de aprendizaje"),
    "path": (lambda s: s["path"].get_absolute_url(), "member", 200, "Marcar como hecho"),
    "archive": (lambda s: "/archive/", None, 200, "Entradas mes a mes"),
    "archive year": (lambda s: f"/{s['post'].publish_at:%Y}/", None, 200, "Entradas de"),
    "archive month": (lambda s: f"/{s['post'].publish_at:%Y/%m}/", None, 200, "Entradas de"),
    "write": (lambda s: "/write/", "editor", 200, "Escribir una entrada"),
    "404": (lambda s: "/no-such-page/here/", None, 404, "Página no encontrada"),
}


@pytest.mark.parametrize("name", PAGES)
def test_each_page_type_is_in_spanish_with_no_english_left(world, catalog, name):
    url, who, status, spanish = PAGES[name]
    client = Client()
    client.cookies.load(SPANISH)
    if who:
        user = {"member": world["member"], "editor": world["editor"], "owner": world["post"].author}[who]
        client.force_login(user)
    response = client.get(url(world))
    assert response.status_code == status
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert spanish in page
    leftovers = english_leftovers(page, catalog, world["content"])
    assert not leftovers, f"English left on the Spanish {name} page: {leftovers}"


def test_the_check_finds_english_when_the_page_is_english(world, catalog):
    """The check itself: the same page in English is full of the catalog's English."""
    page = Client().get("/").content.decode()
    assert len(english_leftovers(page, catalog, world["content"])) >= 3


@pytest.mark.django_db
def test_allauth_pages_and_their_form_errors_are_in_spanish():
    client = Client()
    client.cookies.load(SPANISH)
    page = client.post("/accounts/login/", {"login": "nobody", "password": "wrong"}).content.decode()
    assert '<html lang="es">' in page
    assert "Forgot your password?" not in page and "Sign In" not in page
    assert "no son correctos" in page  # allauth's own Spanish error message
    page = client.get("/accounts/password/reset/").content.decode()
    assert "Password Reset" not in page and "contraseña" in page


# --- dates, relative times, themes -----------------------------------------------------------


@pytest.mark.django_db
def test_dates_are_localized_and_carry_their_exact_value_for_relative_times():
    post = PostFactory(publish_at=timezone.now().replace(year=2025, month=3, day=14, hour=12))
    CommentFactory(post=post, body="A timely thought.")
    client = Client()
    english = client.get(post.get_absolute_url()).content.decode()
    assert "March 14, 2025" in english
    client.cookies.load(SPANISH)
    spanish = client.get(post.get_absolute_url()).content.decode()
    assert "14 de marzo de 2025" in spanish and "March 14, 2025" not in spanish
    times = re.findall(r"<time [^>]*data-relative[^>]*>", spanish)
    assert len(times) >= 2  # the post's date and the comment's
    for tag in times:
        assert re.search(r'datetime="\d{4}-\d\d-\d\dT[^"]+"', tag)
        assert re.search(r'title="[^"]*\d{4}[^"]*"', tag)  # the exact date on hover
    assert "portal/relative-time.js" in spanish


@pytest.mark.django_db
def test_the_theme_script_is_a_blocking_file_in_head_before_the_styles(client):
    page = client.get("/").content.decode()
    head = page.split("</head>")[0]
    theme = head.index('<script src="/static/portal/theme.js"></script>')
    assert theme < head.index("bootstrap.min.css")
    assert "<script>" not in page  # no inline script: the CSP forbids them
    static = Path(settings.BASE_DIR) / "portal" / "static" / "portal"
    assert "prefers-color-scheme: dark" in (static / "theme.js").read_text()
    assert "[data-bs-theme=dark]" in (static / "portal.css").read_text()
    assert "Intl.RelativeTimeFormat" in (static / "relative-time.js").read_text()


@pytest.mark.django_db
def test_the_default_topics_are_translated_in_form_choices_too():
    """The search filter (and the write form, the admin) list the topics in the reader's language."""
    page = Client().get(reverse("search"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<option value="individual-learning">Aprendizaje individual</option>' in page
    assert '<option value="organizational-learning">Aprendizaje organizativo</option>' in page
    # A topic an editor adds keeps the name they gave it.
    Category.objects.create(name="Learning circles", slug="learning-circles")
    page = Client().get(reverse("search"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<option value="learning-circles">Learning circles</option>' in page


@pytest.mark.django_db
def test_the_task_queue_and_tag_apps_in_the_admin_are_in_spanish(client, settings):
    """django-tasks-db names its app and three columns in English only, taggit its app "Taggit"."""
    from blog.tasks import send_digest

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result_id = send_digest.enqueue(UserFactory().pk).id
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    index = client.get(reverse("admin:index")).content.decode()
    changelist = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).content.decode()
    change = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[result_id])
    ).content.decode()

    assert "Tareas en segundo plano" in index and "Tasks Database Backend" not in index
    assert 'href="/admin/taggit/"' in index and "Taggit" not in index  # taggit's app is "Etiquetas"
    assert "<span>Tarea</span>" in changelist and "Task name" not in changelist
    assert "Traza:" in change and "Ejecutar después de:" in change
    assert "Run after" not in change and "Traceback:" not in change
