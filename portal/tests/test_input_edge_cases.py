"""Hostile and odd input on every URL parameter and form: a page, a form error, a redirect or a 404 — never
a 500.

Values: empty, whitespace only, 1 MB of text, NUL bytes (PostgreSQL refuses
them in text), invalid UTF-8 and lone surrogates, right-to-left overrides,
10,000-character words, SQL metacharacters, path traversal and absurd page
numbers. The test client re-raises any exception a view lets escape, so a
would-be 500 fails the test with its traceback. Run on SQLite and on
PostgreSQL (where NUL bytes behave differently).

Forms: when the input is refused, the form is shown again with an error and
with what the member typed (except 1 MB, where the size error is enough);
when it is accepted, nothing stored contains a NUL byte.
"""

from urllib.parse import quote, urlencode

import pytest
from defusedxml import ElementTree
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Community, Membership
from blog.models import LearningPath, LearningPathStep, Post
from comments.models import Comment, DiscussionSettings
from testing.clients import client_for
from testing.comments import started
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
    individual_learning,
)

pytestmark = pytest.mark.django_db

ONE_MB = ("lorem ipsum " * 90_000)[: 1024 * 1024]
# Text values as a member would type them (sent UTF-8 encoded by the test client).
TEXT_VALUES = {
    "empty": "",
    "whitespace": "  \t\n  ",
    "nul": "before\x00after",
    "rtl_override": "gnp.\u202eexe\u202c innocent",
    "long_word": "x" * 10_000,
    "sql": "Robert'); DROP TABLE blog_post;-- /* */ % _ \" ; OR 1=1",
    "astral": "𝒳 😀 \u200d\u0301 ﷽",
    "one_mb": ONE_MB,
}
# Raw (already percent-encoded) values, sent as bytes: invalid UTF-8 and a UTF-8-encoded lone surrogate.
RAW_VALUES = {
    "lone_surrogate": "a%ED%A0%80b",
    "invalid_utf8": "a%C3%28%FF%FEb",
    "nul_percent": "%00",
}
# Query-string values for parameters (page numbers, filters, search words).
PARAM_VALUES = [
    "",
    "   ",
    "-1",
    "0",
    "99999",
    "abc",
    "1e9",
    "9" * 30,
    "1.5",
    "../../etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%00",
    "a%00b",
    "a%ED%A0%80b",
    "%C3%28",
    "%E2%80%AE",
    "' OR 1=1;--",
    "%25%27%22%3B--%2F*",
    "x" * 5_000,
]


def raw_query(**params):
    """A query string whose values are used as they are (they may be percent-encoded already)."""
    return "&".join(
        f"{key}={value if '%' in value else quote(value, safe='')}" for key, value in params.items()
    )


@pytest.fixture
def world():
    rules = DiscussionSettings.load()
    rules.max_links = 50
    rules.save()
    category = individual_learning()
    owner = UserFactory(username="owner")
    community = CommunityFactory(slug="night-owls", owner=owner)
    author = UserFactory(username="writer")
    post = PostFactory(author=author, categories=[category], tags=["reflection"], title="Edge cases")
    member = UserFactory(username="member")
    comment = CommentFactory(post=post, author=member, status=Comment.Status.APPROVED, body="First thought")
    return {
        "category": category,
        "owner": owner,
        "community": community,
        "post": post,
        "member": member,
        "comment": comment,
        "editor": EditorFactory(username="editor"),
        "year": post.publish_at.year,
        "month": f"{post.publish_at.month:02d}",
    }


# --- URL parameters ---------------------------------------------------------------------

# name: (path builder, query parameters the view reads, who asks)
PAGES = {
    "home": (lambda s: "/", ["page", "p", "page_id"], None),
    "category": (lambda s: f"/category/{s['category'].slug}/", ["page"], None),
    "tag": (lambda s: "/tag/reflection/", ["page"], None),
    "author": (lambda s: "/author/writer/", ["page"], None),
    "archive": (lambda s: "/archive/", ["page"], None),
    "archive_year": (lambda s: f"/{s['year']}/", ["page"], None),
    "archive_month": (lambda s: f"/{s['year']}/{s['month']}/", ["page"], None),
    "post": (lambda s: s["post"].get_absolute_url(), ["cpage", "replyto"], "member"),
    "search": (
        lambda s: "/search/",
        ["q", "type", "page", "category", "tag", "community", "author", "start", "end"],
        None,
    ),
    "directory": (lambda s: "/communities/", ["q", "kind", "page"], None),
    "community": (lambda s: "/communities/night-owls/", ["page"], None),
    "members_page": (lambda s: "/communities/night-owls/members/", ["page"], "owner"),
    "profile": (lambda s: "/members/member/", ["page", "cpage"], None),
    "moderation_queue": (lambda s: "/comments/moderation/", ["tab", "page", "next"], "editor"),
    "write": (lambda s: "/write/", ["community"], "editor"),
    "feed": (lambda s: "/feed/", ["page"], None),
    "category_feed": (lambda s: f"/category/{s['category'].slug}/feed/atom/", ["page"], None),
    "comment_feed": (lambda s: f"/comments/post/{s['post'].pk}/feed/", ["page"], None),
    "sitemap": (lambda s: "/sitemap.xml", ["p"], None),
    "sitemap_section": (lambda s: "/sitemap-posts.xml", ["p"], None),
}
# 414: the query string is over 8 KB (core/hostile_input.py), as when every parameter gets 5,000 characters.
OK_STATUSES = {200, 301, 302, 400, 404, 414}


@pytest.mark.parametrize("name", PAGES)
def test_every_parameter_of_every_page_survives_hostile_values(name, world):
    build, params, who = PAGES[name]
    client = client_for(world.get(who) if who else None)
    path = build(world)
    assert client.get(path).status_code == 200, "the page itself works"
    for param in params:
        for value in PARAM_VALUES:
            cache.clear()  # no rate limit (search has one) stops the tour early
            response = client.get(f"{path}?{raw_query(**{param: value})}")
            assert response.status_code in OK_STATUSES, (path, param, value, response.status_code)
    # All the parameters at once, with the same hostile value.
    for value in PARAM_VALUES:
        cache.clear()
        response = client.get(f"{path}?{raw_query(**dict.fromkeys(params, value))}")
        assert response.status_code in OK_STATUSES, (path, value, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/category/..%2f..%2fetc%2fpasswd/",
        "/category/%2e%2e/",
        "/tag/%00/",
        "/author/%00/",
        "/author/..%2f..%2fetc%2fpasswd/",
        "/author/a%ED%A0%80b/",
        "/members/%00/",
        "/members/%2e%2e/",
        "/members/%E2%80%AEnimda/",
        "/author/" + "x" * 5000 + "/",
        "/communities/%2e%2e/",
        "/communities/night-owls%00/",
        "/2026/13/40/x/",
        "/9999/99/",
        "/0000/",
        "/media/..%2f..%2f..%2fetc%2fpasswd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/%00",
        "/static/..%2f..%2fsettings.py",
        "/comments/99999999999999999999/edit/",
        "/comments/post/99999999999999999999/feed/",
        "/write/99999999999999999999/",
        "/about/%00/",
        "/paths/%2e%2e/",
        "/sitemap-%00.xml",
        "/sitemap-..%2f.xml",
        "/communities/invitation/%00/",
        "/comments/unsubscribe/%00/",
        "/digest/unsubscribe/..%2f..%2f/",
    ],
)
def test_hostile_paths_are_404s_not_errors(path, world):
    for user in (None, world["editor"]):
        response = client_for(user).get(path)
        assert response.status_code in {301, 302, 400, 404}, (path, response.status_code)


@pytest.mark.parametrize("path", ["/search/", "/", "/no-such-page/"])
def test_an_address_longer_than_any_link_is_a_414_page_not_megabytes(path, world):
    response = Client().get(path, {"q": "learning " * 2000})
    assert response.status_code == 414
    page = response.content.decode()
    assert "Address too long" in page and "use fewer words" in page
    assert len(page) < 5000


def test_the_longest_search_the_search_box_makes_still_works(world):
    words = ("ñandú " * 40)[:200]  # the box's maxlength, in letters that URL-encoding triples
    response = Client().get("/search/", {"q": words, "type": "comments", "author": "x" * 150})
    assert response.status_code == 200
    assert len(response.content) < 200_000


# --- Forms ---------------------------------------------------------------------------------


def comment_form(s):
    return (
        reverse("comments:post", kwargs={"post_id": s["post"].pk}),
        "member",
        {"started": started(), "website": ""},
    )


def comment_edit_form(s):
    return reverse("comments:edit", kwargs={"comment_id": s["comment"].pk}), "member", {}


def flag_form(s):
    other = CommentFactory(post=s["post"], author=s["owner"], status=Comment.Status.APPROVED)
    return reverse("comments:flag", kwargs={"comment_id": other.pk}), "member", {"reason": "spam"}


def profile_form(s):
    return reverse("accounts:edit_profile"), "member", {"display_name": "M", "bio": "", "website": ""}


def community_form(s):
    return (
        reverse("communities:create"),
        "member",
        {
            "name": "Edge circle",
            "description": "",
            "kind": Community.Kind.PRACTICE,
            "visibility": Community.Visibility.PUBLIC,
            "join_policy": Community.JoinPolicy.OPEN,
            "parent": "",
        },
    )


def invite_form(s):
    return reverse("communities:invite", kwargs={"slug": "night-owls"}), "owner", {}


def post_form(s):
    return (
        reverse("blog:post_create"),
        "editor",
        {
            "title": "Edge post",
            "community": "",
            "visibility": Post.Visibility.PUBLIC,
            "categories": [s["category"].pk],
            "tags": "",
            "excerpt": "",
            "body": "Body",
            "status": Post.Status.PUBLISHED,
            "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "comments_open": "on",
        },
    )


# form: (builder, text fields to attack)
FORMS = {
    "comment": (comment_form, ["body"]),
    "comment_edit": (comment_edit_form, ["body"]),
    "flag": (flag_form, ["note", "reason"]),
    "profile": (profile_form, ["display_name", "bio", "website"]),
    "community": (community_form, ["name", "description"]),
    "invite": (invite_form, ["invitees"]),
    "post": (post_form, ["title", "excerpt", "body", "tags", "publish_at"]),
}
FORM_CASES = [(form, field) for form, (_, fields) in FORMS.items() for field in fields]
ERROR_MARKERS = ("invalid-feedback", "errorlist", "alert-danger", "alert-warning", 'aria-invalid="true"')


def stored_text_has_no_nul():
    """No text column of what the forms write holds a NUL byte (SQLite would keep one; PostgreSQL refuses)."""
    rows = [
        *Comment.objects.values_list("body", "body_html"),
        *Post.objects.values_list("title", "excerpt", "body", "body_html"),
        *Community.objects.values_list("name", "description", "description_html"),
    ]
    return not any("\x00" in (text or "") for row in rows for text in row)


@pytest.mark.parametrize("value_name", list(TEXT_VALUES))
@pytest.mark.parametrize(("form", "field"), FORM_CASES, ids=[f"{f}-{n}" for f, n in FORM_CASES])
def test_forms_handle_hostile_text(form, field, value_name, world):
    builder, _ = FORMS[form]
    url, who, data = builder(world)
    client = client_for(world[who])
    value = TEXT_VALUES[value_name]
    data = {**data, field: value}
    data.setdefault("body", "Some words")

    response = client.post(url, data)

    assert response.status_code in {200, 302, 400, 429}, response.status_code
    assert stored_text_has_no_nul()
    if response.status_code in {200, 400}:
        page = response.content.decode()
        assert any(marker in page for marker in ERROR_MARKERS), "a refused form says why"
        if value_name != "one_mb" and value.strip() and field not in ("reason", "publish_at"):
            assert escape(value.strip())[:500] in page, "what the member typed is kept"


@pytest.mark.parametrize("value_name", list(RAW_VALUES))
@pytest.mark.parametrize(("form", "field"), FORM_CASES, ids=[f"{f}-{n}" for f, n in FORM_CASES])
def test_forms_handle_invalid_encodings(form, field, value_name, world):
    """Bytes that are not UTF-8 (or encode a lone surrogate) are decoded with replacement characters."""
    builder, _ = FORMS[form]
    url, who, data = builder(world)
    client = client_for(world[who])
    data = {**data}
    data.setdefault("body", "Some words")
    data[field] = "PLACEHOLDER"
    body = urlencode(data, doseq=True).replace("PLACEHOLDER", RAW_VALUES[value_name])

    response = client.post(url, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code in {200, 302, 400, 429}, response.status_code
    assert stored_text_has_no_nul()


@pytest.mark.parametrize("value_name", list(TEXT_VALUES))
def test_the_membership_role_and_moderation_forms_handle_hostile_values(value_name, world):
    """Forms with choices and ids: an owner changing a role, an editor acting on the queue."""
    value = TEXT_VALUES[value_name]
    owner = client_for(world["owner"])
    membership = Membership.objects.create(
        community=world["community"],
        member=UserFactory(),
        status=Membership.Status.ACTIVE,
        joined=timezone.now(),
    )
    response = owner.post(reverse("communities:role", kwargs={"pk": membership.pk}), {"role": value})
    assert response.status_code in {200, 302, 400, 403, 404}
    editor = client_for(world["editor"])
    for data in (
        {"action": value, "comments": [world["comment"].pk]},
        {"action": "approve", "comments": [value]},
        {"action": "approve", "comments": [world["comment"].pk], "next": value},
    ):
        response = editor.post(reverse("comments:moderate"), data)
        assert response.status_code in {200, 302, 400, 403, 404}, (data, response.status_code)


NEXT_VALUES = [
    "before\x00after",
    "before after",
    "view-name",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "/ok/\nSet-Cookie: x=1",
    "javascript:alert(1)",
    "\u202e/gnp.exe",
    "x" * 5_000,
]


@pytest.mark.parametrize("value", NEXT_VALUES, ids=range(len(NEXT_VALUES)))
def test_next_parameters_go_back_on_this_site_or_to_the_default(value, world):
    """Buttons that send the member back to ``next``: any other text falls back to the default page."""
    learning_path = LearningPath.objects.create(title="Path", slug="path", published=True)
    step = LearningPathStep.objects.create(
        path=learning_path, post=world["post"], order=1, stage="dependence"
    )
    member = client_for(world["member"])
    editor = client_for(world["editor"])
    requests = [
        (member, reverse("blog:follow", kwargs={"kind": "category", "pk": world["category"].pk})),
        (member, reverse("comments:follow", kwargs={"post_id": world["post"].pk})),
        (member, reverse("blog:step_done", kwargs={"slug": "path", "step_id": step.pk})),
        (editor, reverse("comments:moderate")),
    ]
    for client, url in requests:
        response = client.post(url, {"next": value, "action": "approve", "comments": [world["comment"].pk]})
        assert response.status_code in {302, 400, 404}, (url, response.status_code)
        if response.status_code == 302:
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith(("//", "/\\")), location
            assert "\n" not in location and "\x00" not in location


def test_control_characters_in_a_post_never_break_its_feeds(world):
    """XML 1.0 cannot hold most control characters: the feeds drop them instead of failing."""
    editor = client_for(world["editor"])
    builder, _ = FORMS["post"]
    url, _who, data = builder(world)
    control = "Bell\x07 vertical\x0b tab\x01 escape\x1b"
    response = editor.post(url, {**data, "title": f"Title {control}", "excerpt": control, "body": control})
    assert response.status_code == 302
    post = Post.objects.get(title__startswith="Title")
    CommentFactory(post=post, author=world["member"], status=Comment.Status.APPROVED, body="Reply")
    visitor = Client()
    for feed in (
        "/feed/",
        "/feed/full/",
        "/feed/atom/",
        "/feed/atom/full/",
        f"/comments/post/{post.pk}/feed/",
    ):
        response = visitor.get(feed)
        assert response.status_code == 200, feed
        text = ElementTree.tostring(ElementTree.fromstring(response.content), encoding="unicode")
        assert "Bell vertical tab escape" in text or feed.startswith("/comments/"), feed


@pytest.mark.parametrize("path", ["/search/", "/communities/"])
def test_a_huge_search_query_is_a_page_saying_so(path, world):
    """200 KB of search words: a 414 page (the search itself would use the first 500 characters)."""
    query = "learning ' OR 1=1 -- " * 10_000
    response = Client().get(path, {"q": query, "type": "comments"})
    assert response.status_code == 414
    assert "Address too long" in response.content.decode()
