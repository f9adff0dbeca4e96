"""Site pages at their WordPress path, nested under their parent; the catch-all shadows nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from blog.models import LearningPath, Page
from testing.clients import client_for
from testing.factories import CategoryFactory, PostFactory, StaffFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def published(**kwargs):
    return Page.objects.create(status=Page.Status.PUBLISHED, **kwargs)


def test_nested_page_lives_at_parent_child_path():
    about = published(title="About", slug="about", body="Who *we* are.")
    team = published(title="Our team", slug="team", parent=about, body="The people.")
    assert team.path == "about/team/"
    assert team.get_absolute_url() == "/about/team/"

    response = Client().get("/about/team/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Our team" in html and "The people." in html
    assert f'<a href="{about.get_absolute_url()}">About</a>' in html  # breadcrumb
    parent = Client().get("/about/").content.decode()
    assert "<em>we</em>" in parent and '<a href="/about/team/">Our team</a>' in parent
    assert Client().get("/about/nobody/").status_code == 404
    assert Client().get("/team/").status_code == 404


def test_draft_page_is_404_for_visitors_and_members_but_shown_to_staff_with_a_badge():
    Page.objects.create(title="Coming soon", slug="soon", body="Not yet.")
    assert Client().get("/soon/").status_code == 404
    member = client_for(UserFactory())
    assert member.get("/soon/").status_code == 404
    staff = client_for(StaffFactory())
    response = staff.get("/soon/")
    assert response.status_code == 200
    assert "Draft: only staff can see this page." in response.content.decode()


def test_catch_all_does_not_shadow_the_site():
    category = CategoryFactory(name="Unlearning", slug="unlearning")
    post = PostFactory(title="Dated", slug="dated-post", categories=[category], tags=["habits"])
    LearningPath.objects.create(title="A path", slug="a-path", published=True)
    year, month, day = post.publish_at.strftime("%Y %m %d").split()
    client = Client()
    for url, name in [
        (post.get_absolute_url(), "post"),
        ("/category/unlearning/", "category"),
        ("/tag/habits/", "tag"),
        (f"/author/{post.author.username}/", "author"),
        ("/archive/", "archive"),
        (f"/{year}/", "archive_year"),
        (f"/{year}/{month}/", "archive_month"),
        ("/feed/", "feed"),
        ("/paths/", "learning_paths"),
        ("/paths/a-path/", "learning_path"),
        ("/my-feed/", "my_feed"),
        ("/write/", "post_create"),
    ]:
        response = client.get(url)
        assert response.resolver_match.url_name == name, url
        assert response.status_code in (200, 302), url
    assert (
        reverse("blog:post", kwargs={"year": 2006, "month": 12, "day": 15, "slug": "x"}) == "/2006/12/15/x/"
    )
    assert client.get("/2006/12/15/no-such-post/").resolver_match.url_name == "post"
    assert client.get("/category/missing/").resolver_match.url_name == "category"
    assert client.get("/no-such-page/").status_code == 404


def test_admin_edits_pages_and_refuses_addresses_the_site_uses():
    client = client_for(SuperuserFactory())
    add = reverse("admin:blog_page_add")
    data = {
        "title": "About",
        "slug": "about",
        "parent": "",
        "body": "Hi",
        "status": "published",
        "menu_order": 0,
    }
    assert client.post(add, data).status_code == 302
    about = Page.objects.get(path="about/")
    child = {**data, "title": "Team", "slug": "team", "parent": about.pk}
    assert client.post(add, child).status_code == 302
    assert Page.objects.filter(path="about/team/").exists()

    for slug in ("archive", "paths", "feed", "my-feed", "2006", "about"):
        response = client.post(add, {**data, "slug": slug})
        assert response.status_code == 200, slug
        assert response.context["adminform"].form.errors["slug"], slug

    # Renaming the parent moves its subpages with it.
    change = reverse("admin:blog_page_change", args=[about.pk])
    assert client.post(change, {**data, "slug": "about-us"}).status_code == 302
    assert set(Page.objects.values_list("path", flat=True)) == {"about-us/", "about-us/team/"}
    assert "Preview" in client.get(change).content.decode() or "View" in client.get(change).content.decode()
    assert client.get(reverse("admin:blog_page_changelist")).status_code == 200
