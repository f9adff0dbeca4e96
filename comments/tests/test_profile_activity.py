"""A member's profile lists their published posts and approved comments, and nothing else."""

import pytest

from blog.models import Post
from comments.models import Comment
from testing.factories import CommentFactory, PostFactory, UserFactory
from testing.queries import count_queries

pytestmark = pytest.mark.django_db


def test_profile_shows_published_posts_and_approved_comments_only(client):
    member = UserFactory(username="harold", display_name="Harold J.")
    PostFactory(author=member, title="Stages of learning")
    PostFactory(author=member, title="Unfinished draft", status=Post.Status.DRAFT)
    on_post = PostFactory(title="A post by someone else")
    CommentFactory(author=member, post=on_post, body="Dependence, independence, interdependence.")
    CommentFactory(author=member, post=on_post, body="Still waiting", status=Comment.Status.PENDING)
    CommentFactory(author=member, post=on_post, body="Was spam", status=Comment.Status.SPAM)
    hidden_post = PostFactory(title="Hidden draft discussion", status=Post.Status.DRAFT)
    CommentFactory(author=member, post=hidden_post, body="On a draft")

    page = client.get(member.get_absolute_url()).content.decode()
    assert "Stages of learning" in page
    assert "Unfinished draft" not in page
    assert "On “A post by someone else”" in page
    assert "Dependence, independence, interdependence." in page
    for hidden in ("Still waiting", "Was spam", "On a draft", "Hidden draft discussion"):
        assert hidden not in page


def test_profile_queries_do_not_grow_with_activity(client):
    """Guards a query per post or per comment's post on the profile page."""
    member = UserFactory(username="busy")

    def add_activity(n):
        for _ in range(n):
            post = PostFactory(author=member, tags=["x", "y"])
            CommentFactory(author=member, post=post)

    def queries():
        return count_queries(client, member.get_absolute_url()).count

    add_activity(2)
    small = queries()
    add_activity(20)
    assert queries() == small
