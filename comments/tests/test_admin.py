"""Moderating comments in the admin keeps moderation records and Post.comment_count right.

Also: the flags and audit trail on a comment, the flags list and the discussion settings.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from comments.models import Comment, CommentFlag, DiscussionSettings, HoldReason, ModerationEvent
from comments.services import comment_flag, comment_moderate, comment_return, comment_submit
from testing.clients import client_for, messages_of
from testing.factories import CommentFactory, EditorFactory, PostFactory, SuperuserFactory, UserFactory
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")
Status = Comment.Status


def run_action(client, action, comments):
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in comments]}, follow=True
    )


def change_form_data(comment, **changes):
    data = {
        "post": comment.post_id,
        "body": comment.body,
        "status": comment.status,
        "author": comment.author_id or "",
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_url": comment.author_url,
        # The management forms of the read-only flags and audit-trail inlines, as a browser sends them.
        "flags-TOTAL_FORMS": "0",
        "flags-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_approve_action_approves_records_moderator_and_raises_count(editor_client, editor):
    post = PostFactory()
    CommentFactory(post=post)
    pending = CommentFactory.create_batch(2, post=post, status=Status.PENDING)
    post.refresh_from_db()
    assert post.comment_count == 1

    response = run_action(editor_client, "approve", pending)

    assert messages_of(response) == ["2 comments were approved."]
    post.refresh_from_db()
    assert post.comment_count == 3
    for comment in pending:
        comment.refresh_from_db()
        assert comment.status == Status.APPROVED
        assert comment.moderated_by == editor
        assert comment.moderated_at is not None


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("reject", Status.REJECTED, "2 comments were rejected."),
        ("mark_spam", Status.SPAM, "2 comments were marked as spam."),
    ],
)
def test_reject_and_spam_actions_lower_count(editor_client, editor, action, status, message):
    post = PostFactory()
    approved = CommentFactory.create_batch(3, post=post)
    post.refresh_from_db()
    assert post.comment_count == 3

    response = run_action(editor_client, action, approved[:2])

    assert messages_of(response) == [message]
    post.refresh_from_db()
    assert post.comment_count == 1
    assert set(Comment.objects.filter(status=status).values_list("moderated_by", flat=True)) == {editor.pk}


def test_action_counts_only_comments_whose_status_changed(editor_client):
    already = CommentFactory()
    pending = CommentFactory(status=Status.PENDING)

    response = run_action(editor_client, "approve", [already, pending])

    assert messages_of(response) == ["1 comment was approved."]
    already.refresh_from_db()
    assert already.moderated_by is None


def test_changing_status_in_change_form_records_moderator_and_updates_count(editor_client, editor):
    comment = CommentFactory(status=Status.PENDING)
    post = comment.post

    response = editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, status=Status.APPROVED, body="Edited while approving."),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.body == "Edited while approving."
    assert comment.moderated_by == editor
    assert comment.moderated_at is not None
    post.refresh_from_db()
    assert post.comment_count == 1


def test_editing_without_status_change_is_not_moderation(editor_client):
    comment = CommentFactory()

    editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, body="Fixed a typo."),
    )

    comment.refresh_from_db()
    assert comment.body == "Fixed a typo."
    assert comment.moderated_by is None


def test_moving_an_approved_comment_to_another_post_moves_its_count(editor_client):
    comment = CommentFactory()
    old_post, new_post = comment.post, PostFactory()

    editor_client.post(
        reverse("admin:comments_comment_change", args=[comment.pk]),
        change_form_data(comment, post=new_post.pk),
    )

    old_post.refresh_from_db()
    new_post.refresh_from_db()
    assert (old_post.comment_count, new_post.comment_count) == (0, 1)


def test_adding_an_approved_comment_raises_count(editor_client, editor):
    post = PostFactory()

    response = editor_client.post(
        reverse("admin:comments_comment_add"),
        {
            "post": post.pk,
            "body": "Added by an editor.",
            "status": Status.APPROVED,
            "author": "",
            "author_name": "A guest",
            "author_email": "",
            "author_url": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post.refresh_from_db()
    assert post.comment_count == 1
    assert Comment.objects.get().moderated_by == editor


def test_deleting_an_approved_comment_lowers_count(editor_client):
    comment = CommentFactory()
    CommentFactory(post=comment.post)

    response = editor_client.post(
        reverse("admin:comments_comment_delete", args=[comment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    comment.post.refresh_from_db()
    assert comment.post.comment_count == 1


def test_bulk_delete_lowers_counts_of_every_affected_post(editor_client):
    first, second = CommentFactory(), CommentFactory()
    CommentFactory(post=second.post)

    editor_client.post(
        CHANGELIST,
        {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
    )

    first.post.refresh_from_db()
    second.post.refresh_from_db()
    assert (first.post.comment_count, second.post.comment_count) == (0, 1)


def test_post_changelist_shows_approved_and_pending_counts_linked_to_queue(editor_client):
    post = PostFactory(title="Reflective practice")
    CommentFactory(post=post)
    CommentFactory.create_batch(2, post=post, status=Status.PENDING)
    CommentFactory(post=post, status=Status.SPAM)
    PostFactory(title="Quiet post")

    response = editor_client.get(reverse("admin:blog_post_changelist"))

    pending = {p.title: p.pending_comment_count for p in response.context["cl"].result_list}
    assert pending == {"Reflective practice": 2, "Quiet post": 0}
    html = response.content.decode()
    queue = f"{CHANGELIST}?post__id__exact={post.pk}&amp;status__exact=pending"
    assert f'<td class="field-pending_comments"><a href="{queue}">2</a></td>' in html
    assert '<td class="field-approved_comments">1</td>' in html

    # The link opens the moderation queue of that post.
    queue_response = editor_client.get(CHANGELIST, {"post__id__exact": post.pk, "status__exact": "pending"})
    assert queue_response.status_code == 200
    assert len(queue_response.context["cl"].result_list) == 2


def test_changelist_search_and_filters(editor_client):
    post = PostFactory(title="Tacit knowledge")
    CommentFactory(post=post, body="Polanyi said it first.", status=Status.PENDING)
    CommentFactory(body="Something else.")

    found = editor_client.get(CHANGELIST, {"q": "polanyi"}).context["cl"].result_list
    assert [c.body for c in found] == ["Polanyi said it first."]
    found = editor_client.get(CHANGELIST, {"q": "tacit"}).context["cl"].result_list
    assert [c.post for c in found] == [post]
    found = editor_client.get(CHANGELIST, {"status__exact": "pending"}).context["cl"].result_list
    assert [c.post for c in found] == [post]


def make_comments(count):
    """Comments on different posts, half of them moderated by different editors."""
    for n in range(count):
        comment = CommentFactory(post=PostFactory(), author=UserFactory(), status=Status.PENDING)
        if n % 2:
            comment_moderate(comment=comment, status=Status.APPROVED, moderator=EditorFactory())


def test_comment_changelist_query_count_does_not_grow_with_comments(editor_client):
    """Guards the N+1s of the moderation queue: post and moderator per row, the post filter's choices."""

    def capture():
        page = count_queries(editor_client, CHANGELIST)
        return page.sql, len(page.response.context["cl"].result_list)

    make_comments(3)
    small, listed = capture()
    assert listed == 3
    make_comments(27)
    large, listed = capture()
    assert listed == 30
    assert len(large) == len(small), "\n\n".join(large)


# --- Flags, audit trail, hold reasons -----------------------------------------------


def change_url(comment):
    return reverse("admin:comments_comment_change", args=[comment.pk])


def test_change_page_shows_flags_and_the_audit_trail(editor_client, editor):
    comment = CommentFactory(status=Status.PENDING)
    comment_moderate(
        comment=comment, status=Status.APPROVED, moderator=EditorFactory(display_name="Chris Argyris")
    )
    comment_flag(
        comment=comment,
        member=UserFactory(display_name="Fiona Flagger"),
        reason="off_topic",
        note="Wrong thread.",
    )

    response = editor_client.get(change_url(comment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fiona Flagger" in html
    assert "Off-topic" in html
    assert "Wrong thread." in html
    assert "Chris Argyris" in html
    assert "Pending → Approved" in html
    assert ">flagged<" in html
    assert reverse("admin:accounts_user_changelist") not in html


def test_the_audit_trail_and_flags_are_read_only(editor_client, admin_client):
    comment = CommentFactory(status=Status.PENDING)
    comment_moderate(comment=comment, status=Status.APPROVED, moderator=EditorFactory())
    comment_flag(comment=comment, member=UserFactory(), reason="spam")

    for client in (editor_client, admin_client):
        formsets = {
            f.formset.prefix: f for f in client.get(change_url(comment)).context["inline_admin_formsets"]
        }
        assert set(formsets) == {"flags", "events"}
        for inline in formsets.values():
            assert not (
                inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission
            )

    events = list(ModerationEvent.objects.values_list("pk", "action", "note"))
    response = admin_client.post(
        change_url(comment),
        change_form_data(
            comment,
            **{
                "events-TOTAL_FORMS": "1",
                "events-0-id": str(events[0][0]),
                "events-0-comment": str(comment.pk),
                "events-0-note": "Rewritten history.",
                "events-0-DELETE": "on",
            },
        ),
    )
    assert response.status_code in (200, 302)
    assert list(ModerationEvent.objects.values_list("pk", "action", "note")) == events


def test_add_page_has_no_inlines(editor_client):
    response = editor_client.get(reverse("admin:comments_comment_add"))

    assert response.context["inline_admin_formsets"] == []


def test_changelist_shows_and_filters_hold_reason_sent_back_and_flags(editor_client, editor):
    first = comment_submit(post=PostFactory(), author=UserFactory(), body="A first comment.")
    returned = comment_submit(post=PostFactory(), author=UserFactory(), body="Please revise me.")
    comment_return(comment=returned, moderator=editor, note="Add a source.")
    flagged = CommentFactory(body="Flag me.")
    comment_flag(comment=flagged, member=UserFactory(), reason="abuse")
    CommentFactory(body="Plain.")

    response = editor_client.get(CHANGELIST)

    html = response.content.decode()
    assert '<td class="field-hold_reason">first comment</td>' in html
    assert '<td class="field-hold_reason">sent back for revision</td>' in html
    assert "field-sent_back" in html

    def bodies(**params):
        return {c.body for c in editor_client.get(CHANGELIST, params).context["cl"].result_list}

    assert bodies(sent_back="yes") == {"Please revise me."}
    assert bodies(sent_back="no") == {"A first comment.", "Flag me.", "Plain."}
    assert bodies(hold_reason__exact=HoldReason.FIRST_COMMENT) == {first.body}
    assert bodies(flagged="yes") == {"Flag me."}
    assert "Flag me." not in bodies(flagged="no")


def test_changelist_links_to_the_site_moderation_queue(editor_client):
    html = editor_client.get(CHANGELIST).content.decode()

    assert f'<a href="{reverse("comments:queue")}">Moderation queue on the site</a>' in html


def test_change_page_query_count_does_not_grow_with_flags_and_events(editor_client):
    """Guards the N+1s of the inlines: the flagger, dismisser and actor of each row."""
    DiscussionSettings.objects.update_or_create(pk=1, defaults={"flags_to_hide": 100})
    comment = CommentFactory(status=Status.PENDING)
    comment_moderate(comment=comment, status=Status.APPROVED, moderator=EditorFactory())

    def capture():
        return count_queries(editor_client, change_url(comment)).sql

    def add_flags(count):
        for _n in range(count):
            comment_flag(comment=comment, member=UserFactory(), reason="other", note="Hm.")

    add_flags(2)
    small = capture()
    add_flags(6)
    comment_moderate(comment=comment, status=Status.REJECTED, moderator=EditorFactory())
    large = capture()
    assert CommentFlag.objects.filter(dismissed_by__isnull=False).count() == 8
    assert len(large) == len(small), "\n\n".join(large)


# --- The flags list -------------------------------------------------------------------

FLAGS = reverse("admin:comments_commentflag_changelist")


def test_flag_list_shows_comment_member_reason_and_dismissal(editor_client, editor):
    comment = CommentFactory(body="Questionable remark.")
    comment_flag(comment=comment, member=UserFactory(display_name="Fiona Flagger"), reason="abuse")
    other = CommentFactory(body="Another remark.")
    comment_flag(comment=other, member=UserFactory(), reason="spam")
    comment_moderate(comment=other, status=Status.REJECTED, moderator=editor)

    response = editor_client.get(FLAGS)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{comment.get_admin_url()}">Questionable remark.</a>' in html
    assert "Fiona Flagger" in html
    assert "Abusive or harassing" in html
    assert reverse("admin:accounts_user_changelist") not in html
    open_flags = editor_client.get(FLAGS, {"dismissed": "no"}).context["cl"].result_list
    assert [f.comment for f in open_flags] == [comment]
    dismissed = editor_client.get(FLAGS, {"dismissed": "yes"}).context["cl"].result_list
    assert [f.comment for f in dismissed] == [other]


def test_flags_cannot_be_added_in_the_admin(editor_client, admin_client):
    assert editor_client.get(reverse("admin:comments_commentflag_add")).status_code == 403
    assert admin_client.get(reverse("admin:comments_commentflag_add")).status_code == 403


def test_dismiss_action_republishes_a_comment_hidden_by_flags(editor_client, editor):
    comment = CommentFactory()
    for member in UserFactory.create_batch(3):
        comment_flag(comment=comment, member=member, reason="spam")
    comment.refresh_from_db()
    assert comment.status == Status.PENDING

    response = editor_client.post(
        FLAGS,
        {"action": "dismiss", ACTION_CHECKBOX_NAME: [CommentFlag.objects.first().pk]},
        follow=True,
    )

    assert messages_of(response) == ["Flags dismissed on 1 comment."]
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert set(CommentFlag.objects.values_list("dismissed_by", flat=True)) == {editor.pk}


def test_flag_list_query_count_does_not_grow_with_flags(editor_client):
    """Guards the N+1s of the flags list: each flag's comment, its post and the flagger."""

    def make(count):
        for _n in range(count):
            comment_flag(comment=CommentFactory(), member=UserFactory(), reason="abuse")

    def capture():
        return count_queries(editor_client, FLAGS).sql

    make(2)
    small = capture()
    make(10)
    large = capture()
    assert len(large) == len(small), "\n\n".join(large)


# --- Discussion settings -------------------------------------------------------------

SETTINGS_LIST = reverse("admin:comments_discussionsettings_changelist")


def settings_change_url():
    return reverse("admin:comments_discussionsettings_change", args=[1])


def test_settings_list_opens_the_single_row(editor_client):
    response = editor_client.get(SETTINGS_LIST)

    assert response.status_code == 302
    assert response.url == settings_change_url()
    assert editor_client.get(response.url).status_code == 200
    assert DiscussionSettings.objects.count() == 1


def test_settings_cannot_be_added_twice_or_deleted(editor_client):
    DiscussionSettings.load()
    superuser = SuperuserFactory()

    admin = client_for(superuser)

    for client in (editor_client, admin):
        assert client.get(reverse("admin:comments_discussionsettings_add")).status_code == 403
        assert client.get(reverse("admin:comments_discussionsettings_delete", args=[1])).status_code == 403
        assert (
            client.post(
                reverse("admin:comments_discussionsettings_delete", args=[1]), {"post": "yes"}
            ).status_code
            == 403
        )
    assert DiscussionSettings.objects.count() == 1


def test_editor_changes_the_discussion_settings(editor_client):
    settings_row = DiscussionSettings.load()
    fields = [
        "max_links",
        "moderation_words",
        "disallowed_words",
        "close_after_days",
        "flags_to_hide",
        "edit_window_minutes",
        "thread_depth",
        "comments_per_page",
        "rate_per_minute",
        "rate_per_day",
        "min_seconds_to_post",
        "digest_minutes",
    ]
    data = {name: getattr(settings_row, name) for name in fields}
    data.update(hold_first_comment="on", flags_to_hide=5)

    response = editor_client.post(settings_change_url(), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert DiscussionSettings.load().flags_to_hide == 5


def test_members_cannot_open_the_discussion_settings(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(SETTINGS_LIST).status_code == 403
    assert client.get(settings_change_url()).status_code == 403
