"""WordPress's /?p=<id> and /?page_id=<id> links keep working after an import."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from blog.models import Post
from testing.factories import PostFactory, UserFactory
from testing.wordpress import WXR, run
from wordpress.redirects import legacy_redirect, with_legacy_redirect

pytestmark = pytest.mark.django_db


def test_old_post_links_redirect_permanently(client):
    post = PostFactory(wp_id=1234)
    response = client.get("/?p=1234")
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()


def test_unknown_bad_or_hidden_ids_are_404_and_the_home_page_still_works(client):
    PostFactory(wp_id=77, status=Post.Status.DRAFT)
    for query in ("?p=999", "?p=abc", "?p=-1", "?p=77"):
        assert client.get("/" + query).status_code == 404, query
    client.force_login(UserFactory())
    assert client.get("/?p=77").status_code == 404
    home = client.get("/")
    assert home.status_code == 200 and "<h1" in home.content.decode()


def test_old_page_links_redirect_to_the_page_at_its_path(client):
    from blog.models import Page

    parent = Page.objects.create(title="About", slug="about", status=Page.Status.PUBLISHED, wp_id=2)
    child = Page.objects.create(
        title="Team", slug="team", parent=parent, status=Page.Status.PUBLISHED, wp_id=9
    )
    Page.objects.create(title="Hidden", slug="hidden", status=Page.Status.DRAFT, wp_id=10)
    response = client.get("/?page_id=9")
    assert response.status_code == 301
    assert response["Location"] == child.get_absolute_url() == "/about/team/"
    assert client.get(response["Location"]).status_code == 200
    for query in ("?page_id=10", "?page_id=404", "?page_id=x"):
        assert client.get("/" + query).status_code == 404, query


def test_legacy_redirect_of_imported_posts(existing):
    run(WXR / "sample.xml")
    factory = RequestFactory()

    def get(query):
        request = factory.get("/", query)
        request.user = AnonymousUser()
        return legacy_redirect(request, fallback=lambda r: "home page")

    response = get({"p": "101"})
    assert response.status_code == 301 and response["Location"] == "/2009/03/14/gruesse/"
    assert get({}) == "home page"
    from django.http import Http404

    for query in ({"p": "103"}, {"p": "999"}, {"p": "abc"}):  # private, unknown, not a number
        with pytest.raises(Http404):
            get(query)

    home = with_legacy_redirect(lambda request: "home page")
    request = factory.get("/", {"p": "102"})
    request.user = AnonymousUser()
    assert home(request)["Location"] == "/2010/01/02/second-post/"
    request = factory.get("/")
    request.user = AnonymousUser()
    assert home(request) == "home page"
