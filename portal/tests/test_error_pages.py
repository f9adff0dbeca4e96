"""Styled error pages with DEBUG off: 400, 403, 404, 500 and the CSRF failure page never leak internals.

The views that fail on purpose live in this module's URLconf (the project's
URLs plus three), used through ``override_settings(ROOT_URLCONF=...)``.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import include, path, reverse

from testing.clients import client_for
from testing.comments import comment_data
from testing.factories import CommentFactory, PostFactory, UserFactory
from testing.pages import link

pytestmark = pytest.mark.django_db

SECRET_MESSAGE = "database password is hunter2 in portal.settings"


def explode(request):
    raise RuntimeError(SECRET_MESSAGE)


def forbidden(request):
    raise PermissionDenied(SECRET_MESSAGE)


def database_down(request):
    from django.db.utils import OperationalError

    raise OperationalError(SECRET_MESSAGE)


urlpatterns = [
    path("test-errors/explode/", explode),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/database-down/", database_down),
    path("", include("portal.urls")),
]

THIS_URLCONF = __name__
LEAKS = ("Traceback", "RuntimeError", "hunter2", "SECRET_KEY", "DATABASES", "portal.settings", 'File "')


def assert_leaks_nothing(response):
    content = response.content.decode()
    for leak in LEAKS:
        assert leak not in content, leak


@pytest.fixture
def visitor():
    client = Client(raise_request_exception=False)
    return client


@override_settings(DEBUG=False, ROOT_URLCONF=THIS_URLCONF)
@pytest.mark.parametrize("url", ["/test-errors/explode/", "/test-errors/database-down/"])
def test_a_crashing_view_gives_the_styled_500_page(visitor, url):
    response = visitor.get(url)
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong on our side" in content
    assert "/static/portal/portal.css" in content, "styled with the site's CSS"
    assert "Content-Security-Policy" in response.headers
    assert_leaks_nothing(response)


@override_settings(DEBUG=False, ROOT_URLCONF=THIS_URLCONF)
def test_permission_denied_gives_the_styled_403_page(visitor):
    response = visitor.get("/test-errors/forbidden/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "You cannot do that here" in content
    assert 'class="navbar' in content, "the site's own layout, with its navigation"
    assert reverse("account_login") in content, "a visitor is offered to sign in"
    assert_leaks_nothing(response)


@override_settings(DEBUG=False)
def test_another_members_comment_edit_is_a_styled_error(visitor):
    """A real view: editing someone else's comment does not show Django's bare error page."""
    comment = CommentFactory(post=PostFactory())
    visitor.force_login(UserFactory())
    response = visitor.get(reverse("comments:edit", kwargs={"comment_id": comment.pk}))
    assert response.status_code in (403, 404)
    assert 'class="error-page' in response.content.decode()


@override_settings(DEBUG=False)
def test_unknown_address_gives_the_styled_404_page(visitor):
    response = visitor.get("/2020/01/01/no-such-post/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert 'class="navbar' in content
    assert 'role="search"' in content, "a search box to find what was meant"
    message = content.split('class="error-page', 1)[1].split("</main>", 1)[0]
    assert "no-such-post" not in message, "the address is not echoed in the message"
    assert "Using the URLconf" not in content, "not Django's debug page"
    assert_leaks_nothing(response)


@override_settings(DEBUG=False)
def test_a_host_not_allowed_gives_the_styled_400_page(visitor):
    response = visitor.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Bad request" in content
    assert "/static/portal/portal.css" in content
    assert "attacker.example" not in content
    assert "ALLOWED_HOSTS" not in content
    assert_leaks_nothing(response)


@override_settings(DEBUG=False)
def test_error_pages_are_not_cached_for_the_next_visitor(visitor):
    """A 404 is not kept by the anonymous page cache: the page appears once it exists."""
    first = visitor.get("/no-such-page/")
    assert first.status_code == 404
    assert first.headers.get("Cache-Control", "").find("public") == -1


# --- CSRF failure --------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_a_comment_refused_by_the_csrf_check_explains_and_gives_the_text_back():
    member = UserFactory()
    post = PostFactory()
    client = client_for(member, enforce_csrf_checks=True, raise_request_exception=False)
    text = "My long careful reply <script>alert('x')</script> with thoughts & care."
    response = client.post(reverse("comments:post", kwargs={"post_id": post.pk}), comment_data(text))
    assert response.status_code == 403
    content = response.content.decode()
    assert "The form could not be sent" in content
    assert "Nothing was saved" in content
    assert "Here is what you wrote" in content
    # The text comes back escaped, in a read-only box; never as markup.
    assert (
        "My long careful reply &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; with thoughts &amp; care."
        in content
    )
    assert "<script>alert(" not in content
    assert "readonly" in content
    assert "CSRF token" not in content and "Referer" not in content, "Django's technical reason is not shown"
    assert "no-cache" in response["Cache-Control"]
    assert post.comments.count() == 0
    # The form's own address takes only POSTs: "back" leads to the post, at its form.
    back = link(content, "Back to the page of the form").href
    assert back == post.get_absolute_url() + "#respond"
    assert client.get(back).status_code == 200


@override_settings(DEBUG=False)
def test_the_csrf_page_leads_back_to_the_page_the_form_came_from():
    member = UserFactory()
    client = client_for(member, enforce_csrf_checks=True, raise_request_exception=False)
    profile = reverse("accounts:edit_profile")
    response = client.post(profile, {"bio": "About me"}, HTTP_REFERER=f"http://testserver{profile}?tab=about")
    assert response.status_code == 403
    assert link(response.content.decode(), "Back to the page of the form").href == f"{profile}?tab=about"


@override_settings(DEBUG=False)
def test_the_csrf_page_never_leads_to_another_site():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post(
        reverse("account_login"), {"login": "x"}, HTTP_REFERER="https://evil.example/phish"
    )
    back = link(response.content.decode(), "Back to the page of the form").href
    assert back == reverse("account_login")


@override_settings(DEBUG=False)
def test_a_form_without_text_refused_by_the_csrf_check_says_to_go_back():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post(reverse("account_login"), {"login": "someone", "password": "secret-password"})
    assert response.status_code == 403
    content = response.content.decode()
    assert "The form could not be sent" in content
    assert "Back button" in content
    assert "secret-password" not in content, "a password is never shown back"
