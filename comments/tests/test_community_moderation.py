"""Community owners and moderators moderate the comments on their community's posts, and nothing else.

``Comment.objects.moderatable_by(user)`` is the rule; the services check it on
the objects they change, and the queue, its counts, its actions and the post
page's Remove button all read it.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Membership
from blog.models import Post
from comments import services
from comments.context_processors import moderation_counts
from comments.models import Comment, CommentFlag, DiscussionSettings
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    StaffFactory,
    SuperuserFactory,
    UserFactory,
)
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

Status = Comment.Status
Role = Membership.Role
QUEUE = reverse("comments:queue")
MODERATE = reverse("comments:moderate")


def held_on(post, body="A first thought."):
    comment = services.comment_submit(post=post, author=UserFactory(), body=body)
    assert comment.status == Status.PENDING
    return comment


def flag(comment, times=1):
    for _ in range(times):
        services.comment_flag(comment=comment, member=UserFactory(), reason="abuse")
    comment.refresh_from_db()
    return comment


class Town:
    """Two communities, A and B, each with a members-only and a public post, and a post outside both."""

    def __init__(self):
        self.owner_a = UserFactory(username="owner-a")
        self.a = CommunityFactory(slug="a", owner=self.owner_a)
        self.b = CommunityFactory(slug="b", owner=UserFactory())
        self.moderator_a = MembershipFactory(community=self.a, role=Role.MODERATOR).member
        self.member_a = MembershipFactory(community=self.a).member
        self.requested_a = MembershipFactory(community=self.a, status=Membership.Status.REQUESTED).member
        self.invited_owner_a = MembershipFactory(
            community=self.a, role=Role.OWNER, status=Membership.Status.INVITED
        ).member
        self.moderator_b = MembershipFactory(community=self.b, role=Role.MODERATOR).member
        members_only = {"visibility": Post.Visibility.MEMBERS}
        self.comments_a = [
            CommentFactory(post=PostFactory(community=self.a, **members_only)),
            CommentFactory(post=PostFactory(community=self.a)),
        ]
        self.comments_b = [
            CommentFactory(post=PostFactory(community=self.b, **members_only)),
            CommentFactory(post=PostFactory(community=self.b)),
        ]
        self.outside = [CommentFactory(post=PostFactory())]

    @property
    def all(self):
        return {c.pk for c in [*self.comments_a, *self.comments_b, *self.outside]}


@pytest.fixture
def town():
    return Town()


def pks(queryset):
    return set(queryset.values_list("pk", flat=True))


# --- The rule ---------------------------------------------------------------------------------


def test_editors_and_superusers_may_moderate_every_comment(town):
    for user in (EditorFactory(), SuperuserFactory()):
        assert pks(Comment.objects.moderatable_by(user)) == town.all


def test_owners_and_moderators_may_moderate_their_communitys_comments_only(town):
    for leader in (town.owner_a, town.moderator_a):
        assert pks(Comment.objects.moderatable_by(leader)) == {c.pk for c in town.comments_a}
    assert pks(Comment.objects.moderatable_by(town.moderator_b)) == {c.pk for c in town.comments_b}


def test_a_leader_of_both_communities_moderates_both(town):
    MembershipFactory(community=town.b, member=town.moderator_a, role=Role.OWNER)
    expected = {c.pk for c in [*town.comments_a, *town.comments_b]}
    assert pks(Comment.objects.moderatable_by(town.moderator_a)) == expected


@pytest.mark.parametrize(
    "who", ["anonymous", "member", "requested", "invited-owner", "stranger", "staff-without-permission"]
)
def test_everyone_else_moderates_nothing(town, who):
    from django.contrib.auth.models import AnonymousUser

    user = {
        "anonymous": AnonymousUser(),
        "member": town.member_a,
        "requested": town.requested_a,
        "invited-owner": town.invited_owner_a,
        "stranger": UserFactory(),
        "staff-without-permission": StaffFactory(),
    }[who]
    assert not Comment.objects.moderatable_by(user).exists()
    assert not services.may_moderate(user)
    assert not any(services.may_moderate_comment(c, user) for c in Comment.objects.all())


def test_a_deactivated_leader_or_editor_moderates_nothing(town):
    for user in (town.owner_a, EditorFactory()):
        user.is_active = False
        user.save()
        assert not Comment.objects.moderatable_by(user).exists()
        assert not services.may_moderate(user)


def test_may_moderate_means_may_moderate_something(town):
    assert services.may_moderate(town.owner_a)
    assert services.may_moderate(town.moderator_a)
    assert services.may_moderate(EditorFactory())
    assert not services.may_moderate(town.member_a)
    # A leader of a community without posts may still open the (empty) queue.
    lonely = UserFactory()
    CommunityFactory(owner=lonely)
    assert services.may_moderate(lonely)


def test_may_moderate_comment_follows_the_rule(town):
    assert services.may_moderate_comment(town.comments_a[0], town.moderator_a)
    assert not services.may_moderate_comment(town.comments_b[0], town.moderator_a)
    assert not services.may_moderate_comment(town.outside[0], town.moderator_a)
    assert services.may_moderate_comment(town.outside[0], EditorFactory())


def test_a_leaders_post_moving_to_another_community_takes_its_comments_along(town):
    comment = town.comments_a[1]
    Post.objects.filter(pk=comment.post_id).update(community=town.b)
    assert not services.may_moderate_comment(comment, town.owner_a)
    assert services.may_moderate_comment(comment, town.moderator_b)


# --- The services check it on the objects themselves ---------------------------------------------


def test_comments_moderate_changes_only_what_the_moderator_may_moderate(town):
    held_a = held_on(town.comments_a[0].post)
    held_b = held_on(town.comments_b[0].post)

    changed = services.comments_moderate(
        comments=Comment.objects.filter(pk__in=[held_a.pk, held_b.pk]),
        status=Status.APPROVED,
        moderator=town.moderator_a,
    )

    assert changed == 1
    held_a.refresh_from_db()
    held_b.refresh_from_db()
    assert (held_a.status, held_a.moderated_by) == (Status.APPROVED, town.moderator_a)
    assert (held_b.status, held_b.moderated_by) == (Status.PENDING, None)


def test_comment_moderate_refuses_a_comment_elsewhere(town):
    held_b = held_on(town.comments_b[0].post)
    with pytest.raises(PermissionDenied):
        services.comment_moderate(comment=held_b, status=Status.APPROVED, moderator=town.moderator_a)
    held_b.refresh_from_db()
    assert held_b.status == Status.PENDING


def test_flags_dismiss_touches_only_what_the_moderator_may_moderate(town):
    hidden_a = flag(town.comments_a[1], times=3)
    hidden_b = flag(town.comments_b[1], times=3)
    assert hidden_a.status == hidden_b.status == Status.PENDING

    dismissed = services.flags_dismiss(
        comments=Comment.objects.filter(pk__in=[hidden_a.pk, hidden_b.pk]), moderator=town.moderator_a
    )

    assert dismissed == 1
    hidden_a.refresh_from_db()
    hidden_b.refresh_from_db()
    assert (hidden_a.status, hidden_b.status) == (Status.APPROVED, Status.PENDING)
    assert CommentFlag.objects.filter(comment=hidden_b, dismissed_at__isnull=True).count() == 3


def test_comment_return_refuses_a_comment_elsewhere(town):
    held_b = held_on(town.comments_b[0].post)
    with pytest.raises(PermissionDenied):
        services.comment_return(comment=held_b, moderator=town.moderator_a, note="Rephrase.")
    held_b.refresh_from_db()
    assert not held_b.is_returned

    held_a = held_on(town.comments_a[0].post)
    services.comment_return(comment=held_a, moderator=town.moderator_a, note="Rephrase.")
    held_a.refresh_from_db()
    assert held_a.is_returned and held_a.moderated_by == town.moderator_a


def test_comment_remove_as_moderator_is_limited_to_the_community(town):
    with pytest.raises(PermissionDenied):
        services.comment_remove(comment=town.comments_b[1], actor=town.moderator_a, reason="Rude.")
    with pytest.raises(PermissionDenied):
        services.comment_remove(comment=town.comments_a[1], actor=town.member_a, reason="Rude.")

    removed = services.comment_remove(comment=town.comments_a[1], actor=town.moderator_a, reason="Rude.")

    assert removed.is_removed and removed.removed_by == town.moderator_a
    town.comments_b[1].refresh_from_db()
    assert not town.comments_b[1].is_removed


def test_only_editors_treat_a_member_as_a_spammer(town):
    spammer = UserFactory()
    held_a = services.comment_submit(post=town.comments_a[0].post, author=spammer, body="Buy pills.")

    with pytest.raises(PermissionDenied):
        services.author_mark_spam(author=spammer, moderator=town.owner_a, deactivate=True)

    held_a.refresh_from_db()
    spammer.refresh_from_db()
    assert held_a.status == Status.PENDING and spammer.is_active
    assert services.author_mark_spam(author=spammer, moderator=EditorFactory()) == 1


# --- The queue ---------------------------------------------------------------------------------


def test_the_queue_shows_a_leader_their_communitys_held_and_flagged_comments(town):
    held_a = held_on(town.comments_a[0].post, body="Held in A.")
    held_on(town.comments_b[0].post, body="Held in B.")
    held_on(town.outside[0].post, body="Held outside.")
    flagged_a = flag(town.comments_a[1])
    flag(town.comments_b[1])
    client = client_for(town.moderator_a)

    held = client.get(QUEUE)
    flagged = client.get(QUEUE, {"tab": "flagged"})

    assert [c.pk for c in held.context["items"]] == [held_a.pk]
    assert [c.pk for c in flagged.context["items"]] == [flagged_a.pk]
    assert held.context["counts"] == {"held": 1, "flagged": 1, "total": 2}
    html = held.content.decode()
    assert "Held in A." in html and "Held in B." not in html and "Held outside." not in html
    assert "Comments on the posts of the communities you moderate." in html


def test_a_leader_approves_rejects_and_dismisses_in_the_queue(town):
    held_a = held_on(town.comments_a[0].post)
    flagged_a = flag(town.comments_a[1], times=3)
    client = client_for(town.owner_a)

    client.post(MODERATE, {"action": "approve", "ids": [held_a.pk]})
    response = client.post(MODERATE, {"action": "dismiss", "ids": [flagged_a.pk]}, follow=True)

    held_a.refresh_from_db()
    flagged_a.refresh_from_db()
    assert (held_a.status, held_a.moderated_by) == (Status.APPROVED, town.owner_a)
    assert flagged_a.status == Status.APPROVED
    assert response.context["counts"]["total"] == 0


def test_the_queue_has_no_admin_links_for_community_moderators(town):
    held_on(town.comments_a[0].post)
    html = client_for(town.moderator_a).get(QUEUE).content.decode()
    assert "/admin/" not in html

    editor_html = client_for(EditorFactory()).get(QUEUE).content.decode()
    assert reverse("admin:comments_comment_changelist") in editor_html


def test_author_history_counts_only_the_leaders_communitys_comments(town):
    author = UserFactory()
    CommentFactory(author=author, post=town.comments_a[1].post)
    CommentFactory.create_batch(2, author=author, post=town.comments_b[1].post, status=Status.SPAM)
    CommentFactory(author=author, post=town.outside[0].post, status=Status.REJECTED)
    CommentFactory(author=author, post=town.comments_a[0].post, status=Status.PENDING, body="Held in A.")

    leader_view = client_for(town.moderator_a).get(QUEUE).context["items"][0].author_history
    editor_view = client_for(EditorFactory()).get(QUEUE).context["items"][0].author_history

    assert leader_view == {"approved": 1, "rejected": 0, "spam": 0, "pending": 1}
    assert editor_view == {"approved": 1, "rejected": 1, "spam": 2, "pending": 1}


def test_spammer_sweeps_are_for_editors_only(town):
    spammer = UserFactory(display_name="Spam King")
    first = services.comment_submit(post=town.comments_a[0].post, author=spammer, body="Buy now 1")
    services.comment_submit(post=town.comments_a[0].post, author=spammer, body="Buy now 2")
    client = client_for(town.owner_a)
    spam_url = reverse("comments:spam_author", kwargs={"user_id": spammer.pk})

    response = client.post(MODERATE, {"action": "spam", "ids": [first.pk]}, follow=True)

    assert "1 comment marked as spam." in response.content.decode()
    assert "more pending comment" not in response.content.decode()
    assert client.get(spam_url).status_code == 403
    assert client.post(spam_url, {"mark_spam": "on", "deactivate": "on"}).status_code == 403
    spammer.refresh_from_db()
    assert spammer.is_active
    assert Comment.objects.filter(author=spammer, status=Status.PENDING).count() == 1


def test_the_queue_page_query_count_is_constant_for_a_leader(town):
    """Guards the N+1s of a leader's queue page, as ``test_queue_page_query_count_is_constant`` does for
    editors."""
    client = client_for(town.moderator_a)

    def count():
        queue = count_queries(client, QUEUE)
        return queue.count, len(queue.response.context["items"])

    held_on(town.comments_a[0].post)
    small = count()
    for _ in range(6):
        held_on(town.comments_a[0].post)
        flag(CommentFactory(post=town.comments_a[1].post), times=2)
        held_on(town.comments_b[0].post)
    large = count()

    assert (small[1], large[1]) == (1, 7)
    assert small[0] == large[0]


# --- Not the admin --------------------------------------------------------------------------------


def test_community_moderators_do_not_reach_the_admin(town):
    client = client_for(town.owner_a)
    for url in (reverse("admin:index"), reverse("admin:comments_comment_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert not town.owner_a.is_staff


# --- The navigation -----------------------------------------------------------------------------


def test_the_nav_counts_what_the_reader_may_moderate(town):
    held_on(town.comments_a[0].post)
    held_on(town.comments_b[0].post)
    link = '<a class="nav-link" href="{}">Moderation ({})</a>'

    editor_page = client_for(EditorFactory()).get(reverse("blog:home")).content.decode()
    leader_queue = client_for(town.moderator_a).get(QUEUE).content.decode()
    member_page = client_for(town.member_a).get(reverse("blog:home")).content.decode()

    assert link.format(QUEUE, 2) in editor_page
    assert link.format(QUEUE, 1) in leader_queue
    assert "Moderation (" not in member_page


@pytest.mark.parametrize("who", ["member_a", "moderator_a", "owner_a"])
def test_the_nav_costs_members_and_leaders_no_query_outside_the_queue(town, who, django_assert_num_queries):
    """The page budgets leave no query for the link: only staff, and pages of the queue itself, get counts."""
    request = RequestFactory().get("/")
    request.user = getattr(town, who)

    with django_assert_num_queries(0):
        assert not moderation_counts(request).get("moderation_counts")


def test_staff_who_lead_a_community_see_their_communitys_count(town):
    staff_leader = StaffFactory()
    MembershipFactory(community=town.a, member=staff_leader, role=Role.MODERATOR)
    held_on(town.comments_a[0].post)
    held_on(town.comments_b[0].post)

    page = client_for(staff_leader).get(reverse("blog:home")).content.decode()

    assert f'<a class="nav-link" href="{QUEUE}">Moderation (1)</a>' in page


# --- The post page ------------------------------------------------------------------------------

MODERATOR_REMOVE = '<details class="comment-moderate">'


@pytest.mark.parametrize(
    "reader, community, expected",
    [
        ("owner_a", "a", True),
        ("moderator_a", "a", True),
        ("member_a", "a", False),
        ("moderator_b", "a", False),
        ("owner_a", "b", False),
        ("moderator_a", None, False),
        ("editor", "b", True),
    ],
)
def test_the_moderators_remove_button_follows_the_rule(town, reader, community, expected):
    post = PostFactory(community=getattr(town, community) if community else None)
    CommentFactory(post=post, body="Words of another member.")
    user = EditorFactory() if reader == "editor" else getattr(town, reader)

    page = client_for(user).get(post.get_absolute_url()).content.decode()

    assert "Words of another member." in page
    assert (MODERATOR_REMOVE in page) is expected


def test_a_leader_removes_a_comment_from_the_post_page(town):
    comment = town.comments_a[1]
    client = client_for(town.moderator_a)

    response = client.post(
        reverse("comments:remove", kwargs={"comment_id": comment.pk}), {"reason": "Off-topic."}, follow=True
    )

    assert "readers see your reason in its place" in response.content.decode()
    assert "Comment removed by a moderator: Off-topic." in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_removed and comment.removed_by == town.moderator_a
    # Removing again is a message, not an error.
    again = client.post(
        reverse("comments:remove", kwargs={"comment_id": comment.pk}), {"reason": "x"}, follow=True
    )
    assert "This comment was already removed." in again.content.decode()


def test_the_remove_button_costs_a_leader_no_query_on_the_post_page(town):
    """The post page runs as many queries for a community's moderator as for a plain member,
    whatever the number of comments: the right to moderate is a subquery of the thread queries."""
    DiscussionSettings.load()
    post = PostFactory(community=town.a, tags=["rule"])
    CommentFactory(post=post)
    leader, member = client_for(town.moderator_a), client_for(town.member_a)

    def counts():
        # Both on a cold cache: members share cached threads, moderators never do.
        return tuple(
            count_queries(client, post.get_absolute_url(), cold_cache=True).count
            for client in (leader, member)
        )

    small = counts()
    for _ in range(20):
        parent = CommentFactory(post=post)
        CommentFactory(post=post, parent=parent, thread_root=parent, depth=1)
    large = counts()

    assert small == large
    assert large[0] == large[1]


def test_the_communities_menu_leads_community_leaders_to_the_queue(town):
    queue_link = f'href="{reverse("comments:queue")}"'
    for leader in (town.owner_a, town.moderator_a):
        assert queue_link in client_for(leader).get(reverse("blog:home")).content.decode()
    for other in (town.member_a, town.requested_a, town.invited_owner_a):
        assert queue_link not in client_for(other).get(reverse("blog:home")).content.decode()
