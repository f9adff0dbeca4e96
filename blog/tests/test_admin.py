"""The post and category admin, as an editor uses it."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from testing.clients import messages_of
from testing.factories import (
    CategoryFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:blog_post_changelist")


def listed_titles(response):
    return {post.title for post in response.context["cl"].result_list}


def test_changelist_shows_title_categories_status_and_approved_count(editor_client):
    PostFactory(
        title="Double-loop learning",
        categories=[individual_learning(), organizational_learning()],
        comment_count=4,
    )
    PostFactory(title="Coming soon", publish_at=timezone.now() + timedelta(days=3))

    response = editor_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Double-loop learning" in html
    assert '<td class="field-category_names">Individual learning, Organizational learning</td>' in html
    assert '<td class="field-approved_comments">4</td>' in html
    assert '<td class="field-publication_status">Scheduled</td>' in html
    assert '<td class="field-publication_status">Published</td>' in html


def test_status_filter_narrows_the_list(editor_client):
    PostFactory(title="Live")
    PostFactory(title="Draft", status=Post.Status.DRAFT)
    PostFactory(title="Later", publish_at=timezone.now() + timedelta(days=1))

    assert listed_titles(editor_client.get(CHANGELIST, {"publication": "draft"})) == {"Draft"}
    assert listed_titles(editor_client.get(CHANGELIST, {"publication": "published"})) == {"Live"}
    assert listed_titles(editor_client.get(CHANGELIST, {"publication": "scheduled"})) == {"Later"}
    assert listed_titles(editor_client.get(CHANGELIST)) == {"Live", "Draft", "Later"}


def test_category_and_tag_filters_narrow_the_list(editor_client):
    PostFactory(title="Personal", categories=[individual_learning()], tags=["habits"])
    PostFactory(title="Team", categories=[organizational_learning()], tags=["culture"])

    response = editor_client.get(CHANGELIST, {"categories__id__exact": organizational_learning().pk})
    assert listed_titles(response) == {"Team"}

    tag = Post.objects.get(title="Personal").tags.get()
    response = editor_client.get(CHANGELIST, {"tagged_items__tag__id__exact": tag.pk})
    assert listed_titles(response) == {"Personal"}


def test_search_finds_posts_by_title_and_author(editor_client):
    PostFactory(title="Communities of practice", author=UserFactory(display_name="Etienne Wenger"))
    PostFactory(title="Spaced repetition")

    assert listed_titles(editor_client.get(CHANGELIST, {"q": "communities"})) == {"Communities of practice"}
    assert listed_titles(editor_client.get(CHANGELIST, {"q": "wenger"})) == {"Communities of practice"}


def test_publish_action_publishes_drafts_and_keeps_future_ones_scheduled(editor_client):
    draft = PostFactory(status=Post.Status.DRAFT)
    future = PostFactory(status=Post.Status.DRAFT, publish_at=timezone.now() + timedelta(days=2))
    already = PostFactory()
    before = {post.pk: post.publish_at for post in (draft, future, already)}

    response = editor_client.post(
        CHANGELIST,
        {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk, future.pk, already.pk]},
        follow=True,
    )

    assert response.status_code == 200
    for post in (draft, future, already):
        post.refresh_from_db()
        assert post.status == Post.Status.PUBLISHED
        assert post.publish_at == before[post.pk]
    assert draft.is_published
    assert future.is_scheduled
    messages = messages_of(response)
    assert messages == [
        "2 posts were published. 1 of them has a publish date in the future and stays scheduled until then."
    ]


def test_unpublish_action_moves_posts_back_to_draft(editor_client):
    published = PostFactory.create_batch(2)
    draft = PostFactory(status=Post.Status.DRAFT)

    response = editor_client.post(
        CHANGELIST,
        {"action": "unpublish", ACTION_CHECKBOX_NAME: [p.pk for p in [*published, draft]]},
        follow=True,
    )

    assert set(Post.objects.values_list("status", flat=True)) == {Post.Status.DRAFT}
    assert messages_of(response) == ["2 posts were moved back to draft."]


def test_add_form_creates_post_with_slug_from_title_and_rendered_body(client):
    editor = EditorFactory()
    client.force_login(editor)
    add_url = reverse("admin:blog_post_add")

    form = client.get(add_url)
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["author"] == editor.pk
    assert "prepopulated_fields" in form.context and form.context["prepopulated_fields"]

    response = client.post(
        add_url,
        {
            "title": "What is a learning organization?",
            "slug": "",
            "author": editor.pk,
            "excerpt": "Senge's *five* disciplines.",
            "body": "Systems **thinking** first.",
            "categories": [organizational_learning().pk],
            "tags": "senge, systems",
            "status": Post.Status.PUBLISHED,
            "publish_at_0": "2025-01-15",
            "publish_at_1": "09:30:00",
            "comments_open": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get()
    assert post.slug == "what-is-a-learning-organization"
    assert post.body_html.strip() == "<p>Systems <strong>thinking</strong> first.</p>"
    assert post.author == editor
    assert list(post.categories.all()) == [organizational_learning()]
    assert set(post.tags.names()) == {"senge", "systems"}


def test_change_form_offers_active_members_as_authors_and_previews_the_body(editor_client):
    PostFactory()
    gone = UserFactory(is_active=False)
    kept = PostFactory(author=UserFactory(is_active=False))

    response = editor_client.get(reverse("admin:blog_post_change", args=[kept.pk]))

    authors = response.context["adminform"].form.fields["author"].queryset
    assert kept.author in authors
    assert gone not in authors
    assert "Some <em>thoughts</em> on learning." in response.content.decode()  # the rendered preview


def test_category_list_shows_post_counts(editor_client):
    empty = CategoryFactory(name="Unlearning")
    PostFactory.create_batch(2, categories=[individual_learning(), organizational_learning()])
    PostFactory(categories=[individual_learning()])

    response = editor_client.get(reverse("admin:blog_category_changelist"))

    page = response.content.decode()
    for category, count in [(individual_learning(), 3), (organizational_learning(), 2), (empty, 0)]:
        link = reverse("admin:blog_post_changelist") + f"?categories__id__exact={category.pk}"
        assert f'<td class="field-post_count_link"><a href="{link}">{count}</a></td>' in page
    assert "blog.Post.None" not in page


def make_posts(count):
    for n in range(count):
        category = CategoryFactory()
        PostFactory(
            author=UserFactory(),
            categories=[individual_learning(), category],
            tags=[f"tag-{n}", "shared"],
            status=Post.Status.DRAFT if n % 3 == 0 else Post.Status.PUBLISHED,
        )


def test_changelist_query_count_does_not_grow_with_posts(editor_client):
    """Guards the N+1s of the post list: categories per row, author per row, filter choices."""

    def capture():
        page = count_queries(editor_client, CHANGELIST)
        return page.sql, len(page.response.context["cl"].result_list)

    make_posts(3)
    small, listed = capture()
    assert listed == 3
    make_posts(27)
    large, listed = capture()
    assert listed == 30
    assert len(large) == len(small), "\n\n".join(large)
