"""A small world for the browser tests (``portal/tests/browser``): members, an editor, posts,
a threaded discussion, a community by request with a members-only post, and a learning path.

Everything goes through the factories and services, as the rest of the suite does.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Community
from blog import services as blog_services
from blog.models import LearningPath, LearningPathStep, Post
from comments.models import Comment, DiscussionSettings
from comments.services import comment_submit
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)


def browser_friendly_discussion(**overrides):
    """Discussion rules for a browser that fills a form in well under the 3 s a bot needs.

    The first-comment hold stays on (the journey shows it); the rate limits stay.
    """
    rules = DiscussionSettings.load()
    rules.min_seconds_to_post = 0
    for name, value in overrides.items():
        setattr(rules, name, value)
    rules.save()
    return rules


@dataclass
class BrowserWorld:
    """Who and what the browser tests act on (``build_browser_world``)."""

    editor: object
    ada: object
    ben: object
    owner: object
    post: object
    other_post: object
    members_post: object
    community: object
    learning_path: object
    thread_root: object
    reply: object


def build_browser_world():
    browser_friendly_discussion()
    editor = EditorFactory(username="edith", display_name="Edith Editor")
    ada = UserFactory(username="ada", display_name="Ada Lovelace")
    ben = UserFactory(username="ben", display_name="Ben Franklin")
    owner = UserFactory(username="olga", display_name="Olga Owner")
    now = timezone.now()
    post = PostFactory(
        title="Learning in the open",
        author=editor,
        excerpt="Why we learn better when we share what we learn.",
        body="Sharing **half-finished** thoughts helps.\n\n## Why\n\nBecause others answer.",
        publish_at=now - timedelta(days=2),
        tags=["reflection", "open-learning"],
        categories=[individual_learning()],
    )
    other_post = PostFactory(
        title="Communities of practice",
        author=editor,
        body="Practice together.",
        publish_at=now - timedelta(days=1),
        tags=["reflection"],
        categories=[organizational_learning()],
    )
    community = CommunityFactory(
        name="Reading circle",
        slug="reading-circle",
        join_policy=Community.JoinPolicy.REQUEST,
        owner=owner,
    )
    members_post = PostFactory(
        title="Circle minutes",
        author=owner,
        body="For the circle only.",
        community=community,
        visibility=Post.Visibility.MEMBERS,
        publish_at=now - timedelta(hours=3),
    )
    thread_root = CommentFactory(post=post, author=ben, body="Sharing early helped me too.")
    reply = comment_submit(
        post=post, author=editor, body="Thanks, Ben: what did you share first?", parent=thread_root
    )
    CommentFactory(post=post, author=owner, body="A second thread.")
    learning_path = LearningPath.objects.create(
        title="From individual to organizational learning",
        slug="individual-to-org",
        description="Start with yourself, then your team.",
        published=True,
    )
    for order, (step_post, stage) in enumerate(
        [(post, LearningPathStep.Stage.DEPENDENCE), (other_post, LearningPathStep.Stage.INTERDEPENDENCE)],
        start=1,
    ):
        LearningPathStep.objects.create(path=learning_path, post=step_post, order=order, stage=stage)
    return BrowserWorld(
        editor=editor,
        ada=ada,
        ben=ben,
        owner=owner,
        post=post,
        other_post=other_post,
        members_post=members_post,
        community=community,
        learning_path=learning_path,
        thread_root=thread_root,
        reply=reply,
    )


def held_comment(world, author=None):
    """A comment waiting in the moderation queue."""
    author = author or UserFactory(username="newcomer", display_name="New Comer")
    comment = comment_submit(post=world.post, author=author, body="My very first comment, please approve.")
    assert comment.status == Comment.Status.PENDING
    return comment


def follow_tag(member, slug):
    from taggit.models import Tag

    return blog_services.follow(follower=member, target=Tag.objects.get(slug=slug))


def request_membership(world, member):
    return account_services.membership_join(community=world.community, member=member)
