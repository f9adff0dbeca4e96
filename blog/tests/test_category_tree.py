"""Categories keep WordPress's hierarchy: a category page lists its subcategories and includes their posts."""

import pytest
from django.test import Client
from django.urls import reverse

from blog.models import Post
from testing.clients import client_for
from testing.factories import CategoryFactory, PostFactory, SuperuserFactory
from testing.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    root = CategoryFactory(name="Learning", slug="learning")
    child = CategoryFactory(name="Reflection", slug="reflection", parent=root)
    grandchild = CategoryFactory(name="Journaling", slug="journaling", parent=child)
    other = CategoryFactory(name="Elsewhere", slug="elsewhere")
    return root, child, grandchild, other


def titles(response):
    return {post.title for post in response.context["posts"]}


def test_category_page_lists_its_subcategories(tree):
    root, child, grandchild, _other = tree
    html = Client().get(root.get_absolute_url()).content.decode()
    assert "Subcategories" in html
    assert f'<a href="{child.get_absolute_url()}">Reflection</a>' in html
    assert "Journaling" not in html  # only the direct children are listed
    assert "Subcategories" not in Client().get(grandchild.get_absolute_url()).content.decode()


def test_category_page_includes_the_posts_of_all_subcategories_once(tree):
    root, child, grandchild, other = tree
    PostFactory(title="Root post", categories=[root])
    PostFactory(title="Child post", categories=[child])
    PostFactory(title="Deep post", categories=[grandchild])
    PostFactory(title="Both", categories=[root, grandchild])
    PostFactory(title="Other post", categories=[other])
    PostFactory(title="Draft deep", categories=[grandchild], status=Post.Status.DRAFT)

    response = Client().get(root.get_absolute_url())
    assert titles(response) == {"Root post", "Child post", "Deep post", "Both"}
    assert len(response.context["posts"]) == 4
    assert titles(Client().get(child.get_absolute_url())) == {"Child post", "Deep post", "Both"}
    assert titles(Client().get(grandchild.get_absolute_url())) == {"Deep post", "Both"}
    assert Client().get("/category/missing/").status_code == 404


def test_category_page_queries_do_not_grow_with_the_tree(tree):
    root, child, grandchild, _other = tree
    PostFactory(categories=[grandchild])

    def count():
        return count_queries(Client(), root.get_absolute_url()).count

    before = count()
    for n in range(4):
        CategoryFactory(name=f"Sub {n}", slug=f"sub-{n}", parent=child)
    assert count() == before


def test_a_cycle_does_not_hang_the_page(tree):
    root, child, _grandchild, _other = tree
    type(root).objects.filter(pk=root.pk).update(parent=child)
    assert Client().get(root.get_absolute_url()).status_code == 200


def test_category_admin_edits_the_parent_but_not_under_itself(tree):
    root, child, grandchild, _other = tree
    client = client_for(SuperuserFactory())
    changelist = client.get(reverse("admin:blog_category_changelist"))
    assert changelist.status_code == 200
    assert "field-parent" in changelist.content.decode()
    form = client.get(reverse("admin:blog_category_change", args=[root.pk])).context["adminform"].form
    choices = set(form.fields["parent"].queryset)
    assert root not in choices and child not in choices and grandchild not in choices
