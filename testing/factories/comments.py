"""The factory of comments."""

import factory

from comments.models import Comment
from comments.services import refresh_comment_counts
from testing.factories.accounts import UserFactory
from testing.factories.blog import PostFactory


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment as it stands after moderation; the post's count is refreshed as the service does."""

    class Meta:
        model = Comment
        skip_postgeneration_save = True

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    author_name = factory.LazyAttribute(lambda c: c.author.public_name if c.author else "Guest")
    body = factory.Sequence(lambda n: f"Comment number {n}, with a thought.")
    status = Comment.Status.APPROVED

    @factory.post_generation
    def refresh_count(comment, create, extracted, **kwargs):
        if create:
            refresh_comment_counts(post_ids=[comment.post_id])
