"""The query budget of every page type, asserted at two data sizes (docs/performance.md).

Each page is requested on a cold cache (the worst case: the page cache is off
in tests, and the cache is cleared before each request) once with a small
data set and once with ten times more posts, comments, members and
communities. The budget is a ceiling (``django_assert_max_num_queries``) and
the two counts must be equal: a query per post, comment, member or tag would
show as a difference. Per-feature modules test the finer N+1 cases (threads
500 deep, 50-comment pages, profile activity...).
"""

import pytest
from django.urls import reverse

from accounts.models import Membership
from blog.models import LearningPath, LearningPathStep, Post
from blog.services import follow
from comments.models import Comment, DiscussionSettings
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
)
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

# page: (url of the world built by `grow`, reader, budget on a cold cache)
BUDGETS = {
    "home": (lambda world: reverse("blog:home"), "visitor", 8),
    "home, member": (lambda world: reverse("blog:home"), "member", 12),
    "post": (lambda world: world.post.get_absolute_url(), "visitor", 13),
    "post, member": (lambda world: world.post.get_absolute_url(), "member", 19),
    "post, editor": (lambda world: world.post.get_absolute_url(), "editor", 20),
    "category": (
        lambda world: reverse("blog:category", kwargs={"slug": "individual-learning"}),
        "visitor",
        5,
    ),
    "tag": (lambda world: reverse("blog:tag", kwargs={"slug": "reflection"}), "visitor", 5),
    "author": (
        lambda world: reverse("blog:author", kwargs={"username": world.author.username}),
        "visitor",
        5,
    ),
    "search": (lambda world: reverse("search") + "?q=learning", "visitor", 7),
    "archive": (lambda world: reverse("blog:archive"), "visitor", 1),
    "community directory": (lambda world: reverse("communities:directory"), "visitor", 2),
    "community": (lambda world: world.community.get_absolute_url(), "visitor", 8),
    "community, member": (lambda world: world.community.get_absolute_url(), "member", 13),
    "profile": (lambda world: world.author.get_absolute_url(), "visitor", 4),
    "my feed": (lambda world: reverse("blog:my_feed"), "member", 8),
    "learning path": (lambda world: world.path.get_absolute_url(), "member", 6),
    "moderation queue": (lambda world: reverse("comments:queue"), "editor", 10),
    "feed": (lambda world: reverse("blog:feed"), "visitor", 3),
    "post comments feed": (
        lambda world: reverse("comments:post_feed", kwargs={"post_id": world.post.pk}),
        "visitor",
        2,
    ),
}


class BudgetWorld:
    """A community, its members, posts with comments (some held), a path; ``grow`` adds more of each."""

    def __init__(self):
        DiscussionSettings.load()  # the first load creates the row: not part of any page's budget
        self.author = UserFactory(username="prolific")
        self.member = UserFactory(username="reader")
        self.editor = EditorFactory()
        self.community = CommunityFactory(owner=UserFactory(), name="Reflective practitioners")
        MembershipFactory(community=self.community, member=self.member)
        self.post = PostFactory(
            author=self.author, title="Learning histories", tags=["reflection", "learning"]
        )
        self.path = LearningPath.objects.create(title="Start here", slug="start-here", published=True)
        follow(follower=self.member, target=self.post.tags.get(slug="reflection"))
        self.size = 0
        self.grow(3)

    def grow(self, n):
        for i in range(self.size, self.size + n):
            post = PostFactory(author=self.author, tags=["reflection", f"topic-{i}"], title=f"Learning {i}")
            community_post = PostFactory(
                community=self.community,
                visibility=Post.Visibility.MEMBERS if i % 2 else Post.Visibility.PUBLIC,
                tags=["reflection"],
            )
            LearningPathStep.objects.create(path=self.path, post=post, order=i + 1)
            MembershipFactory(community=self.community, role=Membership.Role.MEMBER)
            CommunityFactory(owner=UserFactory())
            for target in (self.post, post, community_post):
                parent = CommentFactory(post=target, body=f"Learning from note {i}")
                CommentFactory(post=target, parent=parent, thread_root=parent, depth=1)
                if target is self.post:
                    answered = parent
            # Held: a comment, and a reply that the moderation queue shows with what it answers.
            CommentFactory(post=self.post, status=Comment.Status.PENDING)
            CommentFactory(
                post=self.post, status=Comment.Status.PENDING, parent=answered, thread_root=answered, depth=1
            )
        self.size += n

    def reader(self, name):
        """Who reads the page: "visitor" (None), "member" or "editor"."""
        return {"visitor": None, "member": self.member, "editor": self.editor}[name]


@pytest.mark.parametrize("page_name", BUDGETS)
def test_every_page_stays_within_its_budget_at_two_data_sizes(page_name, django_assert_max_num_queries):
    url_of, reader, budget = BUDGETS[page_name]
    world = BudgetWorld()
    client = client_for(world.reader(reader))

    with django_assert_max_num_queries(budget):
        small = count_queries(client, url_of(world), cold_cache=True).count
    world.grow(27)
    with django_assert_max_num_queries(budget):
        large = count_queries(client, url_of(world), cold_cache=True).count

    assert small == large, f"{page_name}: {small} queries with 3 of everything, {large} with 30"
