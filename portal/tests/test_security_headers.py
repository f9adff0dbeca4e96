"""Security headers on every page type: CSP, nosniff, Referrer-Policy, COOP, frame denial; HSTS and cookies
in production.

The Content-Security-Policy header is parsed and its directives asserted: no
inline script or style may run (no 'unsafe-inline', no nonce: anonymous pages
are cached whole), nothing loads from another host, no plugin, no framing.
Templates carry no inline script, event handler or style attribute, and every
<script> a page loads comes from this site's static files, so the policy
breaks nothing.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from testing.factories import (
    PASSWORD,
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
    individual_learning,
)

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# <script type="application/json"> (json_script) is data, which the CSP does not block.
DATA_BLOCK_TYPES = {"application/json", "application/ld+json"}


def parse_csp(header):
    """``{"directive": ["value", ...]}`` from a Content-Security-Policy header."""
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in policy, f"directive {words[0]} given twice"
            policy[words[0].lower()] = words[1:]
    return policy


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.inline, self.handlers, self.styles = [], 0, [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.sources.append(attrs["src"])
            elif attrs.get("type") not in DATA_BLOCK_TYPES:  # a JSON data block does not run
                self._in_script = True
        if tag == "style":
            self.styles.append("<style>")
        for name in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag}[{name}]")
            if name == "style":
                self.styles.append(f"{tag}[style]")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline += 1


def assert_common_headers(response):
    csp = parse_csp(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "scripts only from this site: no unsafe-inline, no nonce"
    assert csp["style-src"] == ["'self'"]
    assert set(csp["img-src"]) == {"'self'", "data:"}
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    for values in csp.values():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values
        assert not any(value.startswith("'nonce-") for value in values)
        assert "*" not in values
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def assert_no_inline_code(response):
    """The page would run as intended under the policy: scripts are static files, nothing inline."""
    if "html" not in response["Content-Type"]:
        return
    parser = _Scripts()
    parser.feed(response.content.decode())
    assert parser.inline == 0, "an inline <script> would be blocked by the CSP"
    assert parser.handlers == [], f"event handler attributes would be blocked: {parser.handlers}"
    assert parser.styles == [], f"inline styles would be blocked: {parser.styles}"
    for source in parser.sources:
        assert source.startswith(
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
        ) or (source.startswith("/admin/") and "jsi18n" in source), f"script from elsewhere: {source}"


@pytest.fixture
def world():
    member = UserFactory(username="ada", display_name="Ada Lovelace")
    community = CommunityFactory(slug="study-circle", owner=member)
    post = PostFactory(author=member, title="Notes on reflection", tags=["reflection"])
    post.categories.add(individual_learning())
    CommentFactory(post=post, author=UserFactory(username="bo"), body="A first reply.")
    return {"member": member, "community": community, "post": post}


def page_urls(world):
    post = world["post"]
    return {
        "home": "/",
        "post": post.get_absolute_url(),
        "category": reverse("blog:category", kwargs={"slug": individual_learning().slug}),
        "tag": reverse("blog:tag", kwargs={"slug": "reflection"}),
        "search": reverse("search") + "?q=reflection",
        "community": reverse("communities:detail", kwargs={"slug": world["community"].slug}),
        "profile": reverse("accounts:profile", kwargs={"username": "ada"}),
        "sign-in": reverse("account_login"),
        "sign-up": reverse("account_signup"),
        "feed": reverse("blog:feed"),
        "sitemap": reverse("sitemap"),
        "robots": "/robots.txt",
        "healthz": "/healthz",
    }


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "post",
        "category",
        "tag",
        "search",
        "community",
        "profile",
        "sign-in",
        "sign-up",
        "feed",
        "sitemap",
        "robots",
        "healthz",
    ],
)
def test_public_pages_send_the_security_headers(client, world, name):
    response = client.get(page_urls(world)[name])
    assert response.status_code == 200, name
    assert_common_headers(response)
    assert_no_inline_code(response)


def test_a_cached_page_keeps_its_headers(client, world, settings):
    """The anonymous page cache answers the second visitor: the headers are the same, with no nonce to
    reuse."""
    settings.PAGE_CACHE_SECONDS = 600
    url = world["post"].get_absolute_url()
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert second["X-Page-Cache"] == "hit"
    assert_common_headers(second)
    assert parse_csp(first["Content-Security-Policy"]) == parse_csp(second["Content-Security-Policy"])


def test_not_found_page_sends_the_security_headers(client, world):
    response = client.get("/no/such/page/here/")
    assert response.status_code == 404
    assert_common_headers(response)
    assert_no_inline_code(response)


def test_signed_in_pages_send_the_security_headers(client, world):
    client.force_login(world["member"])
    for url in (
        world["post"].get_absolute_url(),
        reverse("accounts:edit_profile"),
        reverse("communities:members", kwargs={"slug": world["community"].slug}),
        reverse("comments:queue"),
        reverse("blog:post_create"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_common_headers(response)
        assert_no_inline_code(response)


def test_moderation_queue_and_admin_work_under_the_policy(client, world):
    """The editor's pages load their JavaScript from static files, which 'self' allows."""
    client.force_login(EditorFactory(username="ed"))
    queue = client.get(reverse("comments:queue"))
    assert queue.status_code == 200
    assert_common_headers(queue)
    assert_no_inline_code(queue)

    change = client.get(reverse("admin:blog_post_change", args=[world["post"].pk]))
    assert change.status_code == 200
    assert_common_headers(change)
    parser = _Scripts()
    parser.feed(change.content.decode())
    assert parser.inline == 0 and parser.handlers == []
    assert any(src.endswith("admin/js/change_form.js") for src in parser.sources), parser.sources
    assert all(src.startswith("/") for src in parser.sources), parser.sources

    changelist = client.get(reverse("admin:comments_comment_changelist"))
    assert changelist.status_code == 200
    assert_common_headers(changelist)


def test_no_web_template_has_inline_script_or_style():
    """A style="" attribute, <style>, inline <script> or on*= handler in a page template would be blocked
    by the CSP.

    Email templates are exempt: mail clients need inline styles, and no CSP applies to them.
    """
    problems = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        if "email" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"\sstyle\s*=", text):
            problems.append(f"{path.relative_to(TEMPLATES_DIR)}: style attribute")
        if re.search(r"<style[\s>]", text):
            problems.append(f"{path.relative_to(TEMPLATES_DIR)}: <style>")
        if re.search(r"<script(?![^>]*\b(?:src=|type=\"application/(?:ld\+)?json\"))[^>]*>", text):
            problems.append(f"{path.relative_to(TEMPLATES_DIR)}: inline <script>")
        if re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text):
            problems.append(f"{path.relative_to(TEMPLATES_DIR)}: event handler")
    assert problems == []


# --- Production: HSTS, HTTPS redirect, secure cookies ------------------------------------

PRODUCTION = {
    "DEBUG": False,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@override_settings(**PRODUCTION)
def test_production_redirects_to_https_but_not_healthz(client, world):
    response = client.get("/", secure=False)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    health = client.get("/healthz", secure=False)
    assert health.status_code == 200, "load balancers probe /healthz over plain HTTP"


@override_settings(**PRODUCTION)
def test_production_sends_hsts_on_secure_requests(client, world):
    for url in ("/", world["post"].get_absolute_url(), reverse("account_login")):
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert_common_headers(response)


@override_settings(**PRODUCTION, SECURE_HSTS_PRELOAD=True)
def test_hsts_preload_when_asked(client):
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@override_settings(**PRODUCTION)
def test_production_cookies_are_secure_httponly_and_samesite(client, world):
    form = client.get(reverse("account_login"), secure=True)
    csrf = form.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    response = client.post(
        reverse("account_login"),
        {"login": "ada", "password": PASSWORD},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value
    assert session["secure"], "the session cookie never travels over plain HTTP"
    assert session["httponly"], "no script can read the session cookie"
    assert session["samesite"] == "Lax"
