"""The audit log: moderation decisions, membership and role changes and admin actions, for editors only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Community, Membership, MembershipEvent
from accounts.services import (
    community_create,
    invitation_accept,
    invite,
    membership_approve,
    membership_change_role,
    membership_decline,
    membership_join,
    membership_leave,
    membership_remove,
)
from blog.models import Post
from comments.models import Comment, CommentFlag
from comments.services import comments_moderate
from comments.views.audit import PER_PAGE
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    EditorFactory,
    PostFactory,
    StaffFactory,
    SuperuserFactory,
    UserFactory,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

URL = reverse("comments:audit")
Action = MembershipEvent.Action


def rows(response):
    """The log's rows as plain text, one string per entry."""
    html = response.content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return [" ".join(_strip_tags(row).split()) for row in body.split("</tr>") if "<td" in row]


def _strip_tags(html):
    import re

    return re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").replace("&#x27;", "'").replace("&quot;", '"')


@pytest.fixture
def owner():
    return UserFactory(username="olga", display_name="Olga Owner")


@pytest.fixture
def community(owner):
    return community_create(creator=owner, name="Reading circle", join_policy=Community.JoinPolicy.REQUEST)


# --- Who may read it ---------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_members_community_owners_and_plain_staff_are_refused(owner, community):
    assert client_for(UserFactory()).get(URL).status_code == 403
    assert client_for(owner).get(URL).status_code == 403  # leads a community, is not an editor
    assert client_for(StaffFactory()).get(URL).status_code == 403  # staff without the permission


def test_editors_and_superusers_may_read_it(community):
    assert client_for(EditorFactory()).get(URL).status_code == 200
    assert client_for(SuperuserFactory()).get(URL).status_code == 200
    staff = StaffFactory()
    staff.user_permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get(app_label="comments", model="moderationevent"),
            codename="view_moderationevent",
        )
    )
    assert client_for(staff).get(URL).status_code == 200


def test_the_log_cannot_be_changed_through_it():
    assert client_for(EditorFactory()).post(URL, {"kind": "admin"}).status_code == 405


# --- What it records -----------------------------------------------------------


def test_every_membership_service_writes_an_event(owner, community):
    asker, declined, invited, leaver = (UserFactory() for _ in range(4))
    request = membership_join(community=community, member=asker)
    membership_approve(membership=request, actor=owner)
    membership_decline(membership=membership_join(community=community, member=declined), actor=owner)
    invitation = invite(community=community, inviter=owner, username_or_email=invited.username)
    invitation_accept(membership=invitation, member=invited)
    membership_change_role(membership=request, role=Membership.Role.MODERATOR, actor=owner)
    membership_change_role(
        membership=request, role=Membership.Role.MODERATOR, actor=owner
    )  # no change: no event
    membership_join(community=community, member=leaver)
    membership_approve(membership=Membership.objects.get(member=leaver), actor=owner)
    membership_leave(community=community, member=leaver)
    membership_remove(membership=Membership.objects.get(member=invited), actor=owner)
    invite(community=community, inviter=owner, username_or_email="newcomer@example.org")

    events = list(MembershipEvent.objects.order_by("created", "pk").values_list("action", "actor", "member"))
    assert events == [
        (Action.CREATED, owner.pk, owner.pk),
        (Action.REQUESTED, asker.pk, asker.pk),
        (Action.APPROVED, owner.pk, asker.pk),
        (Action.REQUESTED, declined.pk, declined.pk),
        (Action.DECLINED, owner.pk, declined.pk),
        (Action.INVITED, owner.pk, invited.pk),
        (Action.ACCEPTED, invited.pk, invited.pk),
        (Action.ROLE_CHANGED, owner.pk, asker.pk),
        (Action.REQUESTED, leaver.pk, leaver.pk),
        (Action.APPROVED, owner.pk, leaver.pk),
        (Action.LEFT, leaver.pk, leaver.pk),
        (Action.REMOVED, owner.pk, invited.pk),
        (Action.INVITED_EMAIL, owner.pk, None),
    ]
    role_change = MembershipEvent.objects.get(action=Action.ROLE_CHANGED)
    assert (role_change.old_role, role_change.new_role) == (Membership.Role.MEMBER, Membership.Role.MODERATOR)
    assert role_change.community_name == "Reading circle"
    # The address of someone without an account is not kept in the log.
    assert not MembershipEvent.objects.filter(community_name__icontains="newcomer").exists()


def test_the_page_shows_who_did_what_and_when_for_each_kind(owner, community):
    editor = EditorFactory(username="edna", display_name="Edna Editor")
    member = UserFactory(display_name="Mo Member")
    membership = membership_join(community=community, member=member)
    membership_approve(membership=membership, actor=owner)
    membership_change_role(membership=membership, role=Membership.Role.MODERATOR, actor=owner)
    comment = CommentFactory(
        status=Comment.Status.PENDING, author_name="Cy Commenter", post__title="On habits"
    )
    comments_moderate(
        comments=Comment.objects.filter(pk=comment.pk), status=Comment.Status.SPAM, moderator=editor
    )
    draft = PostFactory(status=Post.Status.DRAFT, title="Weekly roundup")
    client = client_for(editor)
    client.post(
        reverse("admin:blog_post_changelist"), {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]}
    )

    listed = rows(client.get(URL))
    assert any(
        "Edna Editor @edna" in row
        and "marked as spam" in row
        and "Cy Commenter" in row
        and "On habits" in row
        and "Pending → Spam" in row
        for row in listed
    ), listed
    assert any(
        "Olga Owner @olga" in row
        and "changed the role" in row
        and "Mo Member in Reading circle" in row
        and "Member → Moderator" in row
        for row in listed
    ), listed
    assert any(
        "Edna Editor @edna" in row
        and "Admin actions" in row
        and "Weekly roundup" in row
        and "Changed Status with the action “Publish selected posts”." in row
        for row in listed
    ), listed
    # Newest first: the admin action came last.
    assert "Weekly roundup" in listed[0]


def test_filters_by_kind_and_by_actor(owner, community):
    editor = EditorFactory(username="edna")
    membership_approve(membership=membership_join(community=community, member=UserFactory()), actor=owner)
    comments_moderate(
        comments=Comment.objects.filter(pk=CommentFactory(status=Comment.Status.PENDING).pk),
        status=Comment.Status.APPROVED,
        moderator=editor,
    )
    client = client_for(editor)

    memberships_only = rows(client.get(URL, {"kind": "membership"}))
    assert memberships_only and all("Memberships and roles" in row for row in memberships_only)
    moderation_only = rows(client.get(URL, {"kind": "moderation"}))
    assert moderation_only and all("Comment moderation" in row for row in moderation_only)
    by_olga = rows(client.get(URL, {"actor": "OLGA"}))
    assert len(by_olga) == 2 and all("@olga" in row for row in by_olga)  # created the community, approved
    assert rows(client.get(URL, {"actor": "nobody-by-that-name"})) == []
    assert "Nothing recorded matches these filters." in client.get(URL, {"actor": "nobody"}).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "bogus"},
        {"actor": "x" * 5000},
        {"actor": "a\x00b"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999"},
        {"kind": "admin", "page": "0"},
    ],
)
def test_bad_filters_and_pages_are_never_a_server_error(params):
    response = client_for(EditorFactory()).get(URL, params)
    assert response.status_code == 200
    if params.get("kind") == "bogus":
        assert "Select a valid choice." in response.content.decode()


def test_long_logs_are_paginated(owner):
    for i in range(PER_PAGE // 2 + 1):
        community_create(creator=owner, name=f"Circle {i}")  # one event each
    moderator = EditorFactory()
    comments = [CommentFactory(status=Comment.Status.PENDING) for _ in range(PER_PAGE // 2)]
    comments_moderate(
        comments=Comment.objects.filter(pk__in=[c.pk for c in comments]),
        status=Comment.Status.APPROVED,
        moderator=moderator,
    )
    client = client_for(moderator)
    first = client.get(URL)
    assert len(rows(first)) == PER_PAGE
    assert 'rel="next"' in first.content.decode()
    second = client.get(URL, {"page": 2})
    assert len(rows(second)) == 1
    assert set(rows(first)).isdisjoint(rows(second))


def make_log(owner, editor, size):
    community = community_create(creator=owner, name=f"Circle of {size}")
    for _ in range(size):
        membership = membership_join(community=community, member=UserFactory())
        membership_change_role(membership=membership, role=Membership.Role.MODERATOR, actor=owner)
    comments = [CommentFactory(status=Comment.Status.PENDING) for _ in range(size)]
    comments_moderate(
        comments=Comment.objects.filter(pk__in=[c.pk for c in comments]),
        status=Comment.Status.REJECTED,
        moderator=editor,
    )
    LogEntry.objects.log_actions(user_id=editor.pk, queryset=comments, action_flag=CHANGE, change_message="x")


def test_the_page_takes_the_same_number_of_queries_whatever_the_log_holds(owner):
    """Guards against a query per entry for its actor, member, community, comment, post or content type:
    the page is a count, the page's keys and one query per kind, beside the site's usual queries."""
    editor = EditorFactory()
    client = client_for(editor)
    make_log(owner, editor, 2)
    client.get(URL)  # the session is cached from the first request on
    small = count_queries(client, URL)
    make_log(owner, editor, 12)
    large = count_queries(client, URL)
    assert len(rows(large.response)) == min(4 * (2 + 12) + 2, PER_PAGE)
    assert_same_count(small, large)
    tables = ("comments_moderationevent", "accounts_membershipevent", "django_admin_log")
    audit_queries = [sql for sql in large.sql if any(table in sql for table in tables)]
    assert len(audit_queries) == 5  # the count, the page's keys, then the entries of each kind
    assert large.count <= 15


# --- Admin bulk actions leave a LogEntry per object ------------------------------------


def admin_entries(model, **filters):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)


@pytest.mark.parametrize(
    ("action", "before", "field"),
    [
        ("publish", {"status": Post.Status.DRAFT}, "Status"),
        ("submit_for_review", {"status": Post.Status.DRAFT}, "Status"),
        ("unpublish", {}, "Status"),
        ("feature", {}, "Featured"),
        ("unfeature", {"featured": True}, "Featured"),
    ],
)
def test_post_bulk_actions_log_one_entry_per_post_changed(action, before, field):
    editor = EditorFactory()
    changing = [PostFactory(**before) for _ in range(2)]
    unchanged = PostFactory(status=Post.Status.REVIEW, featured=action == "feature")  # not touched by any
    client = client_for(editor)
    response = client.post(
        reverse("admin:blog_post_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in (*changing, unchanged)]},
    )
    assert response.status_code == 302
    entries = admin_entries(Post, user=editor, action_flag=CHANGE)
    if action == "publish":  # a post in review is published too
        changing.append(unchanged)
    assert sorted(int(e.object_id) for e in entries) == sorted(p.pk for p in changing)
    entry = entries.first()
    assert entry.get_change_message().startswith(f"Changed {field} with the action")
    # Each post's revision history (django-simple-history, which update() bypasses) has the change too.
    for post in changing:
        latest = Post.history.filter(id=post.pk).latest("history_date")
        assert (latest.history_user, latest.history_type) == (editor, "~")
        assert latest.history_change_reason


@pytest.mark.parametrize("action", ["approve", "reject", "mark_spam"])
def test_comment_bulk_actions_log_one_entry_per_comment_changed(action):
    editor = EditorFactory()
    pending = [CommentFactory(status=Comment.Status.PENDING) for _ in range(2)]
    already = CommentFactory(
        status={"approve": "approved", "reject": "rejected", "mark_spam": "spam"}[action]
    )
    response = client_for(editor).post(
        reverse("admin:comments_comment_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in (*pending, already)]},
    )
    assert response.status_code == 302
    entries = admin_entries(Comment, user=editor, action_flag=CHANGE)
    assert sorted(int(e.object_id) for e in entries) == sorted(c.pk for c in pending)
    assert all(e.get_change_message().startswith("Changed Status with the action") for e in entries)


def test_dismissing_flags_in_the_admin_logs_each_flag():
    editor = EditorFactory()
    comment = CommentFactory()
    flags = [
        CommentFlag.objects.create(comment=comment, flagged_by=UserFactory(), reason="spam") for _ in range(2)
    ]
    response = client_for(editor).post(
        reverse("admin:comments_commentflag_changelist"),
        {"action": "dismiss", ACTION_CHECKBOX_NAME: [flags[0].pk]},
    )
    assert response.status_code == 302
    entries = admin_entries(CommentFlag, user=editor, action_flag=CHANGE)
    assert sorted(int(e.object_id) for e in entries) == sorted(
        f.pk for f in flags
    )  # all open flags on the comment
