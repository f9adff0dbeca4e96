from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from blog.models import Post
from blog.related import related_posts
from testing.factories import (
    PostFactory,
    StaffFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)

pytestmark = pytest.mark.django_db


def test_slug_is_made_from_the_title_and_kept_unique():
    first = PostFactory(title="Learning in networks")
    second = PostFactory(title="Learning in networks")
    third = PostFactory(title="Learning in networks")
    assert first.slug == "learning-in-networks"
    assert second.slug == "learning-in-networks-2"
    assert third.slug == "learning-in-networks-3"


def test_an_explicit_duplicate_slug_is_refused_by_the_database():
    PostFactory(slug="same-slug")
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=PostFactory().pk).update(slug="same-slug")


def test_a_title_without_letters_still_gets_a_slug():
    assert PostFactory(title="¿¡…!?").slug == "untitled"


def test_published_excludes_drafts_and_scheduled_posts():
    visible = PostFactory()
    PostFactory(status=Post.Status.DRAFT)
    scheduled = PostFactory(publish_at=timezone.now() + timedelta(hours=1))
    assert list(Post.objects.published()) == [visible]
    assert scheduled.is_scheduled and not scheduled.is_published


def test_a_scheduled_post_becomes_visible_when_its_time_comes():
    post = PostFactory(publish_at=timezone.now() + timedelta(minutes=5))
    assert not Post.objects.published().filter(pk=post.pk).exists()
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert Post.objects.published().filter(pk=post.pk).exists()


def test_staff_see_drafts_members_do_not():
    draft = PostFactory(status=Post.Status.DRAFT)
    assert draft in Post.objects.visible_to(StaffFactory())
    assert draft not in Post.objects.visible_to(UserFactory())


def test_post_url_is_dated_like_a_wordpress_permalink():
    post = PostFactory(title="Dated", publish_at=timezone.make_aware(timezone.datetime(2006, 12, 15, 10, 0)))
    assert post.get_absolute_url() == "/2006/12/15/dated/"


def test_markdown_is_rendered_once_on_save():
    post = PostFactory(body="Hello *world*\n\n> a quote", excerpt="**Short**")
    stored = Post.objects.values("body_html", "excerpt_html").get(pk=post.pk)
    assert "<em>world</em>" in stored["body_html"]
    assert "<blockquote>" in stored["body_html"]
    assert "<strong>Short</strong>" in stored["excerpt_html"]


def test_related_posts_rank_shared_tags_before_shared_categories():
    post = PostFactory(tags=["networks", "reflection", "pkm"])
    two_tags = PostFactory(tags=["networks", "reflection"])
    one_tag = PostFactory(tags=["pkm"])
    same_category_only = PostFactory(tags=["unrelated"])
    PostFactory(tags=["unrelated"], categories=[organizational_learning()])
    related = list(
        related_posts(
            Post.objects.published(),
            post,
            tag_ids=[t.pk for t in post.tags.all()],
            category_ids=[individual_learning().pk],
        )
    )
    assert related == [two_tags, one_tag, same_category_only]
