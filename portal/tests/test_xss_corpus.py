"""Every XSS vector of the corpus, typed into the real forms, comes back inert on every page that shows it.

Each test signs in as the member who may use the form, loads the form page
(for its CSRF token, with a client that enforces CSRF), posts the vector as
a browser would, then fetches the pages where the text is shown and parses
them with html5lib (a browser's parser): no script element, no event
handler attribute, no javascript:/vbscript:/data: URL (after entity decoding
and removing the whitespace and control characters browsers ignore), no
iframe/object/embed/base/meta refresh, no CSS expression. Template syntax
({{ }}, {% %}) must come back as text, never evaluated.
"""

import re

import pytest
from defusedxml import ElementTree
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Community, User
from blog.models import Post
from comments.models import Comment, DiscussionSettings
from testing import worlds
from testing.clients import client_for
from testing.comments import started
from testing.factories import EditorFactory, PostFactory, UserFactory, individual_learning
from testing.script_finder import script_problems
from testing.xss_vectors import MARKDOWN, TEMPLATE_INJECTION, URL_SCHEMES, VECTORS

pytestmark = pytest.mark.django_db

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
IDS = [f"{index:03d}" for index in range(len(VECTORS))]


def assert_inert(response, what):
    assert response.status_code == 200, (what, response.status_code)
    problems = script_problems(response.content.decode())
    assert problems == [], f"{what}: {problems}"


def assert_feed_inert(response, what):
    """Feed readers render the HTML inside <description>/<content>: parse that HTML too."""
    assert response.status_code == 200, (what, response.status_code)
    root = ElementTree.fromstring(response.content)
    for element in root.iter():
        if element.text and "<" in element.text:
            problems = script_problems(element.text, fragment=True)
            assert problems == [], f"{what} <{element.tag}>: {problems}"


def assert_template_text_kept(vector, page):
    """Template syntax is shown as typed (escaped), not evaluated."""
    if vector in TEMPLATE_INJECTION:
        for fragment in re.findall(r"\{\{|\{%|%\}|\}\}", vector):
            assert fragment in page
        assert "SECRET_KEY" not in vector or "django-insecure" not in page


def csrf_client(user, form_url):
    """A client that enforces CSRF, signed in as ``user``, with the token of the form at ``form_url``."""
    client = client_for(user, enforce_csrf_checks=True)
    form_page = client.get(form_url)
    assert form_page.status_code == 200
    assert_inert(form_page, form_url)
    return client, CSRF_TOKEN.search(form_page.content.decode()).group(1)


def first_word(vector):
    words = re.findall(r"[A-Za-z]{4,}", vector)
    return words[0] if words else "alert"


@pytest.fixture
def trusted_member():
    """A member whose comments are published at once (one approved comment, generous link limit)."""
    rules = DiscussionSettings.load()
    rules.max_links = 50
    rules.save()
    return worlds.trusted_member(display_name="Trusted Member")


@pytest.fixture
def editor():
    return EditorFactory(display_name="Edna Editor")


def test_the_corpus_is_large_and_varied():
    assert len(VECTORS) >= 100
    assert any("javascript" in v.lower() for v in MARKDOWN)
    for needle in ("onerror", "<svg", "<math", "srcdoc", "expression(", "&#x", "vbscript", "data:", "{{"):
        assert any(needle in vector for vector in VECTORS), needle


def test_the_finder_sees_what_it_looks_for():
    """The checker would catch each kind of problem, so a passing corpus test means something."""
    found = script_problems(
        '<a href=" jav&#x09;ascript&colon;alert(1)">a</a><img src=x onerror=y><script></script>'
        '<p style="width:expr/**/ession(1)">x</p><iframe srcdoc="x"></iframe>'
        '<svg><a xlink:href="data:text/html,x">a</a></svg><meta http-equiv="refresh" content="0">',
        fragment=True,
    )
    assert "img[onerror]" in found and "<script>" in found and "<iframe>" in found
    assert "iframe[srcdoc]" in found and "<meta http-equiv>" in found
    assert any(p.startswith("a[href=") for p in found)
    assert any(p.startswith("p[style=") for p in found)
    assert sum(p.startswith("a[href=") for p in found) == 2
    assert script_problems('<a href="https://example.org/javascript:x">a</a><img src="/media/a.png">') == []


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_comment_body(vector, trusted_member):
    post = PostFactory(title="Discussion page")
    client, token = csrf_client(trusted_member, post.get_absolute_url())

    response = client.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        {"body": vector, "started": started(), "website": "", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    comment = Comment.objects.get(post=post)
    page = client.get(post.get_absolute_url())
    assert_inert(page, "post page")
    assert_template_text_kept(vector, page.content.decode())
    if comment.status == Comment.Status.APPROVED:
        assert_feed_inert(client.get(reverse("comments:post_feed", kwargs={"post_id": post.pk})), "feed")
        search = client.get(reverse("search"), {"q": first_word(vector), "type": "comments"})
        assert_inert(search, "search")


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_post_title_body_and_excerpt(vector, editor):
    client, token = csrf_client(editor, reverse("blog:post_create"))

    response = client.post(
        reverse("blog:post_create"),
        {
            "csrfmiddlewaretoken": token,
            "title": f"Xsscorpus {vector}"[:200],
            "community": "",
            "visibility": Post.Visibility.PUBLIC,
            "categories": [individual_learning().pk],
            "tags": "",
            "excerpt": vector,
            "body": vector,
            "status": Post.Status.PUBLISHED,
            "publish_at": (timezone.localtime() - timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "comments_open": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    post = Post.objects.get()
    visitor = Client()
    page = visitor.get(post.get_absolute_url())
    assert_inert(page, "post page")
    assert_template_text_kept(vector, page.content.decode())
    assert_inert(visitor.get(reverse("blog:home")), "home")
    assert_feed_inert(visitor.get("/feed/full/"), "full feed")
    assert_inert(visitor.get(reverse("search"), {"q": "xsscorpus"}), "search")


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_community_name_and_description(vector):
    owner = UserFactory()
    client, token = csrf_client(owner, reverse("communities:create"))

    response = client.post(
        reverse("communities:create"),
        {
            "csrfmiddlewaretoken": token,
            "name": f"Xsscorpus {vector}"[:120],
            "description": vector,
            "kind": Community.Kind.PRACTICE,
            "visibility": Community.Visibility.PUBLIC,
            "join_policy": Community.JoinPolicy.OPEN,
            "parent": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    community = Community.objects.get(name__startswith="Xsscorpus")
    visitor = Client()
    page = visitor.get(community.get_absolute_url())
    assert_inert(page, "community page")
    assert_template_text_kept(vector, page.content.decode())
    assert_inert(visitor.get(reverse("communities:directory"), {"q": "xsscorpus"}), "directory")
    assert_inert(client.get(reverse("communities:edit", kwargs={"slug": community.slug})), "edit form")


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_profile_display_name_bio_and_website(vector):
    member = UserFactory(username="xssmember")
    client, token = csrf_client(member, reverse("accounts:edit_profile"))
    edit_url = reverse("accounts:edit_profile")

    response = client.post(
        edit_url,
        {"csrfmiddlewaretoken": token, "display_name": vector[:80], "bio": vector, "website": ""},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.bio == vector.strip(), "stored as typed: escaping happens when it is shown"
    visitor = Client()
    page = visitor.get(member.get_absolute_url())
    assert_inert(page, "profile page")
    assert_template_text_kept(vector, page.content.decode())

    # A website field holding the vector: refused with the error shown and the text kept, or stored inert.
    response = client.post(
        edit_url,
        {"csrfmiddlewaretoken": token, "display_name": "Xss Member", "bio": "", "website": vector},
    )
    if response.status_code == 200:
        page = response.content.decode()
        assert_inert(response, "profile form with errors")
        assert "invalid-feedback" in page or "errorlist" in page
        assert f'value="{escape(vector)}"' in page, "the typed website is kept in the form"
    else:
        assert response.status_code == 302
        assert User.objects.get(pk=member.pk).website.startswith(("http://", "https://"))
        assert_inert(visitor.get(member.get_absolute_url()), "profile page with website")


PREVIEW_VECTORS = MARKDOWN + URL_SCHEMES[:10]


@pytest.mark.parametrize("vector", PREVIEW_VECTORS, ids=[f"{i:02d}" for i in range(len(PREVIEW_VECTORS))])
def test_post_preview(vector, editor):
    """The Markdown preview of the post form shows the sanitized HTML, before anything is saved."""
    client, token = csrf_client(editor, reverse("blog:post_create"))
    response = client.post(
        reverse("blog:post_create"), {"csrfmiddlewaretoken": token, "body": vector, "preview": "1"}
    )
    assert_inert(response, "preview")
    assert not Post.objects.exists()
