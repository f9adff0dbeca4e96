"""The query budget of every page type, asserted at two data sizes (the README's table).

Each page is requested on a cold cache (the worst case: the page cache is off
in tests, and the cache is cleared before each request) once with a small
data set and once with ten times more posts, comments, members and
communities. The budget is a ceiling (``django_assert_max_num_queries``) and
the two counts must be equal: a query per post, comment, member or tag would
show as a difference. Per-feature modules test the finer N+1 cases (threads
500 deep, 50-comment pages, profile activity...).
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.tests.factories import CommunityFactory, EditorFactory, MembershipFactory, UserFactory
from blog.models import LearningPath, LearningPathStep, Post
from blog.services import follow
from blog.tests.factories import PostFactory
from comments.models import Comment, DiscussionSettings
from comments.tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

# page: (url of the site built by `grow`, reader, budget on a cold cache)
BUDGETS = {
    "home": (lambda site: reverse("blog:home"), "visitor", 8),
    "home, member": (lambda site: reverse("blog:home"), "member", 12),
    "post": (lambda site: site.post.get_absolute_url(), "visitor", 13),
    "post, member": (lambda site: site.post.get_absolute_url(), "member", 19),
    "post, editor": (lambda site: site.post.get_absolute_url(), "editor", 20),
    "category": (lambda site: reverse("blog:category", kwargs={"slug": "individual-learning"}), "visitor", 5),
    "tag": (lambda site: reverse("blog:tag", kwargs={"slug": "reflection"}), "visitor", 5),
    "author": (lambda site: reverse("blog:author", kwargs={"username": site.author.username}), "visitor", 5),
    "search": (lambda site: reverse("search") + "?q=learning", "visitor", 7),
    "archive": (lambda site: reverse("blog:archive"), "visitor", 1),
    "community directory": (lambda site: reverse("communities:directory"), "visitor", 2),
    "community": (lambda site: site.community.get_absolute_url(), "visitor", 8),
    "community, member": (lambda site: site.community.get_absolute_url(), "member", 13),
    "profile": (lambda site: site.author.get_absolute_url(), "visitor", 4),
    "my feed": (lambda site: reverse("blog:my_feed"), "member", 8),
    "learning path": (lambda site: site.path.get_absolute_url(), "member", 6),
    "moderation queue": (lambda site: reverse("comments:queue"), "editor", 10),
    "feed": (lambda site: reverse("blog:feed"), "visitor", 3),
    "post comments feed": (
        lambda site: reverse("comments:post_feed", kwargs={"post_id": site.post.pk}),
        "visitor",
        2,
    ),
}


class Site:
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
            CommentFactory(post=self.post, status=Comment.Status.PENDING)
        self.size += n


def client_for(site, reader):
    client = Client()
    if reader != "visitor":
        client.force_login({"member": site.member, "editor": site.editor}[reader])
    return client


def count_queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page_name", BUDGETS)
def test_every_page_stays_within_its_budget_at_two_data_sizes(page_name, django_assert_max_num_queries):
    url_of, reader, budget = BUDGETS[page_name]
    site = Site()
    client = client_for(site, reader)

    with django_assert_max_num_queries(budget):
        small = count_queries(client, url_of(site))
    site.grow(27)
    with django_assert_max_num_queries(budget):
        large = count_queries(client, url_of(site))

    assert small == large, f"{page_name}: {small} queries with 3 of everything, {large} with 30"
