"""Factories of posts and categories, and the two categories the migrations create."""

from datetime import timedelta

import factory
from django.utils import timezone

from blog.models import Category, Post
from testing.factories.accounts import UserFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


def individual_learning():
    return Category.objects.get(slug="individual-learning")


def organizational_learning():
    return Category.objects.get(slug="organizational-learning")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Learning note {n}")
    author = factory.SubFactory(UserFactory)
    excerpt = "A short summary."
    body = "Some *thoughts* on learning.\n\nA second paragraph."
    status = Post.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def categories(post, create, extracted, **kwargs):
        if create:
            post.categories.set(extracted if extracted is not None else [individual_learning()])

    @factory.post_generation
    def tags(post, create, extracted, **kwargs):
        if create and extracted:
            post.tags.set(extracted)
