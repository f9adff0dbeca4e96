"""The editorial workflow in the admin: review, publishing permission, preview, revisions, featured posts."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from testing.clients import client_for
from testing.factories import PostFactory, StaffFactory, UserFactory, individual_learning
from testing.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    """A staff author who may write posts in the admin but not publish them."""
    from django.contrib.auth.models import Permission

    user = StaffFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="blog", codename__in=["add_post", "change_post", "view_post"]
        )
    )
    return user


@pytest.fixture
def author_client(author):
    return client_for(author)


def post_data(author, **overrides):
    return {
        "title": "Double-loop learning",
        "slug": "",
        "author": author.pk,
        "excerpt": "",
        "body": "Questioning the governing variables.",
        "categories": [individual_learning().pk],
        "tags": "",
        "status": Post.Status.DRAFT,
        "publish_at_0": timezone.localtime().strftime("%Y-%m-%d"),
        "publish_at_1": timezone.localtime().strftime("%H:%M:%S"),
        "comments_open": "on",
        "featured_order": 0,
        **overrides,
    }


def status_choices(response):
    return [value for value, _ in response.context["adminform"].form.fields["status"].choices]


# --- Who may publish -------------------------------------------------------


def test_editors_have_the_publish_permission(editor, author):
    assert editor.has_perm("blog.publish_post")
    assert not author.has_perm("blog.publish_post")


def test_author_is_not_offered_published(author_client, editor_client):
    assert status_choices(author_client.get(reverse("admin:blog_post_add"))) == ["draft", "review"]
    assert "published" in status_choices(editor_client.get(reverse("admin:blog_post_add")))


def test_author_can_submit_for_review(author_client, author):
    response = author_client.post(
        reverse("admin:blog_post_add"), post_data(author, status=Post.Status.REVIEW)
    )

    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == Post.Status.REVIEW and post.is_in_review


def test_forged_publish_post_is_refused(author_client, author):
    response = author_client.post(
        reverse("admin:blog_post_add"), post_data(author, status=Post.Status.PUBLISHED)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"]
    assert not Post.objects.exists()


def test_forged_publish_of_an_existing_draft_is_refused(author_client, author):
    post = PostFactory(author=author, status=Post.Status.REVIEW)

    response = author_client.post(
        reverse("admin:blog_post_change", args=[post.pk]),
        post_data(author, title=post.title, slug=post.slug, status=Post.Status.PUBLISHED),
    )

    assert response.status_code == 200
    post.refresh_from_db()
    assert post.status == Post.Status.REVIEW


def test_author_cannot_feature_nor_bulk_publish(author_client, author):
    post = PostFactory(author=author, status=Post.Status.REVIEW)

    response = author_client.post(
        reverse("admin:blog_post_changelist"), {"action": "publish", ACTION_CHECKBOX_NAME: [post.pk]}
    )
    author_client.post(
        reverse("admin:blog_post_changelist"), {"action": "feature", ACTION_CHECKBOX_NAME: [post.pk]}
    )

    assert response.status_code in (200, 302)
    post.refresh_from_db()
    assert (post.status, post.featured) == (Post.Status.REVIEW, False)
    form = author_client.get(reverse("admin:blog_post_change", args=[post.pk])).context["adminform"].form
    assert "featured" not in form.fields


def test_editor_can_publish(editor_client, editor):
    response = editor_client.post(
        reverse("admin:blog_post_add"), post_data(editor, status=Post.Status.PUBLISHED)
    )

    assert response.status_code == 302
    assert Post.objects.get().status == Post.Status.PUBLISHED


def test_editor_publishes_posts_in_review_in_bulk(editor_client):
    in_review = PostFactory(status=Post.Status.REVIEW)

    editor_client.post(
        reverse("admin:blog_post_changelist"), {"action": "publish", ACTION_CHECKBOX_NAME: [in_review.pk]}
    )

    in_review.refresh_from_db()
    assert in_review.status == Post.Status.PUBLISHED


def test_review_filter_lists_posts_in_review(editor_client):
    in_review = PostFactory(title="Awaiting an editor", status=Post.Status.REVIEW)
    PostFactory(title="A plain draft", status=Post.Status.DRAFT)
    PostFactory(title="Already live")

    response = editor_client.get(reverse("admin:blog_post_changelist") + "?publication=review")

    assert list(response.context["cl"].result_list) == [in_review]


# --- Preview ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days", "badge"),
    [
        (Post.Status.DRAFT, -1, "Draft"),
        (Post.Status.REVIEW, -1, "In review"),
        (Post.Status.PUBLISHED, 3, "Scheduled"),
    ],
)
def test_preview_link_opens_the_post_with_its_badge(editor_client, status, days, badge):
    post = PostFactory(status=status, publish_at=timezone.now() + timedelta(days=days))

    form = editor_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "Preview on site" in form
    assert f'href="{post.get_absolute_url()}"' in form

    page = editor_client.get(post.get_absolute_url())
    assert page.status_code == 200
    assert f">{badge}</span>" in page.content.decode()


def test_preview_is_not_for_readers(client):
    post = PostFactory(status=Post.Status.REVIEW)

    assert client.get(post.get_absolute_url()).status_code == 404


# --- Revisions ---------------------------------------------------------------


def test_history_records_the_user_and_revert_restores_an_old_title(editor_client, editor):
    editor_client.post(reverse("admin:blog_post_add"), post_data(editor, title="First title"))
    post = Post.objects.get()
    editor_client.post(
        reverse("admin:blog_post_change", args=[post.pk]),
        post_data(editor, title="Second title", slug=post.slug),
    )
    post.refresh_from_db()
    assert post.title == "Second title"
    assert [h.history_user for h in post.history.all()] == [editor, editor]

    history = editor_client.get(reverse("admin:blog_post_history", args=[post.pk]))
    assert history.status_code == 200
    assert "First title" in history.content.decode() or "Second title" in history.content.decode()

    first = post.history.earliest()
    revert_url = reverse("admin:blog_post_simple_history", args=[post.pk, first.history_id])
    assert editor_client.get(revert_url).status_code == 200
    response = editor_client.post(revert_url, post_data(editor, title="First title", slug=post.slug))

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.title == "First title"
    latest = post.history.latest()
    assert (latest.title, latest.history_user) == ("First title", editor)


def test_author_cannot_publish_by_reverting_to_a_published_revision(author_client, author):
    post = PostFactory(author=author, title="Live once")
    post.status = Post.Status.REVIEW
    post.save()
    published_revision = post.history.earliest()
    assert published_revision.status == Post.Status.PUBLISHED

    revert_url = reverse("admin:blog_post_simple_history", args=[post.pk, published_revision.history_id])
    author_client.post(revert_url, post_data(author, title="Live once", slug=post.slug, status="published"))

    post.refresh_from_db()
    assert post.status == Post.Status.REVIEW


# --- Featured posts on the home page -----------------------------------------


def home_featured(client):
    response = client.get(reverse("blog:home"))
    assert response.status_code == 200
    return response


def test_featured_band_is_ordered_by_featured_order(client):
    second = PostFactory(title="Second featured", featured=True, featured_order=2)
    first = PostFactory(title="First featured", featured=True, featured_order=1)
    PostFactory(title="Not featured")

    response = home_featured(client)

    assert response.context["featured_posts"] == [first, second]
    html = response.content.decode()
    band = html[html.index("featured-heading") :]
    assert band.index("First featured") < band.index("Second featured")
    # Featured posts stay in the list below as well.
    assert {first, second} <= set(response.context["object_list"])


def test_featured_band_hides_posts_the_reader_may_not_see(client):
    PostFactory(title="Featured draft", featured=True, status=Post.Status.DRAFT)
    PostFactory(title="Featured in review", featured=True, status=Post.Status.REVIEW)
    PostFactory(title="Featured later", featured=True, publish_at=timezone.now() + timedelta(days=2))

    response = home_featured(client)

    assert response.context["featured_posts"] == []
    assert "featured-heading" not in response.content.decode()


def test_featured_band_shows_at_most_three(client):
    for order in range(5):
        PostFactory(featured=True, featured_order=order)

    assert len(home_featured(client).context["featured_posts"]) == 3


def test_featured_band_queries_do_not_grow(client):
    def count():
        return count_queries(client, reverse("blog:home")).count

    PostFactory(featured=True, tags=["a"])
    small = count()
    for order in range(6):
        PostFactory(featured=True, featured_order=order, tags=["a", f"t{order}"])
    assert count() == small


def test_editor_features_posts_from_the_list(editor_client):
    post = PostFactory()

    editor_client.post(
        reverse("admin:blog_post_changelist"), {"action": "feature", ACTION_CHECKBOX_NAME: [post.pk]}
    )

    post.refresh_from_db()
    assert post.featured


def test_non_staff_member_sees_the_band(client):
    client.force_login(UserFactory())
    PostFactory(title="For everyone", featured=True)

    assert [p.title for p in home_featured(client).context["featured_posts"]] == ["For everyone"]


def test_no_featured_posts_costs_no_query(client):
    def count():
        return count_queries(client, reverse("blog:home")).count

    PostFactory()
    home_featured(client)  # warm the sidebar cache
    without = count()
    PostFactory(featured=True)
    home_featured(client)  # the new public post changes the cache key: warm it again
    assert count() == without + 1
