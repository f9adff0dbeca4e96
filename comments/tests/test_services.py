"""The comment services: threads, flags, moderation decisions and their audit trail."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from comments import services
from comments.models import Comment, CommentFlag, DiscussionSettings, HoldReason, ModerationEvent
from testing.factories import CommentFactory, EditorFactory, PostFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Comment.Status


def actions(comment):
    return list(comment.events.values_list("action", flat=True))


def test_replies_record_their_thread_and_depth():
    root = CommentFactory()
    member = UserFactory()
    CommentFactory(author=member)
    reply = services.comment_submit(post=root.post, author=member, body="A reply", parent=root)
    deeper = services.comment_submit(post=root.post, author=member, body="Deeper", parent=reply)
    assert (reply.parent, reply.thread_root, reply.depth) == (root, root, 1)
    assert (deeper.parent, deeper.thread_root, deeper.depth) == (reply, root, 2)


def test_replies_beyond_the_thread_depth_join_the_deepest_level():
    discussion = DiscussionSettings.load()
    discussion.thread_depth = 3
    discussion.save()
    member = UserFactory()
    CommentFactory(author=member)
    level = CommentFactory()
    post = level.post
    for _ in range(2):
        level = services.comment_submit(post=post, author=member, body="down", parent=level)
    assert level.depth == 2
    too_deep = services.comment_submit(post=post, author=member, body="too deep", parent=level)
    assert too_deep.depth == 2 and too_deep.parent == level.parent


def test_a_reply_must_answer_a_published_comment_of_the_same_post():
    member = UserFactory()
    with pytest.raises(ValidationError):
        services.comment_submit(post=PostFactory(), author=member, body="x", parent=CommentFactory())
    held = CommentFactory(status=Status.PENDING)
    with pytest.raises(ValidationError):
        services.comment_submit(post=held.post, author=member, body="x", parent=held)


def test_submission_is_recorded_in_the_audit_trail():
    comment = services.comment_submit(post=PostFactory(), author=UserFactory(), body="First!")
    assert actions(comment) == ["submitted", "held"]


def test_three_distinct_flags_hide_a_comment_and_lower_the_count():
    comment = CommentFactory()
    for _ in range(2):
        services.comment_flag(comment=comment, member=UserFactory(), reason="abuse")
    comment.refresh_from_db()
    assert comment.is_approved
    services.comment_flag(comment=comment, member=UserFactory(), reason="spam", note="links to casino")
    comment.refresh_from_db()
    comment.post.refresh_from_db()
    assert (comment.status, comment.hold_reason) == (Status.PENDING, HoldReason.FLAGGED)
    assert comment.post.comment_count == 0
    assert actions(comment).count("flagged") == 3 and "hidden" in actions(comment)


def test_a_member_cannot_flag_twice_or_flag_their_own_comment():
    comment = CommentFactory()
    member = UserFactory()
    services.comment_flag(comment=comment, member=member, reason="off_topic")
    with pytest.raises(ValidationError, match="already flagged"):
        services.comment_flag(comment=comment, member=member, reason="abuse")
    with pytest.raises(ValidationError, match="your own"):
        services.comment_flag(comment=comment, member=comment.author, reason="abuse")
    assert CommentFlag.objects.count() == 1


def test_dismissing_flags_publishes_a_comment_hidden_by_them():
    comment = CommentFactory()
    for _ in range(3):
        services.comment_flag(comment=comment, member=UserFactory(), reason="abuse")
    editor = EditorFactory()
    assert services.flags_dismiss(comments=Comment.objects.filter(pk=comment.pk), moderator=editor) == 1
    comment.refresh_from_db()
    comment.post.refresh_from_db()
    assert comment.is_approved and comment.post.comment_count == 1
    assert not CommentFlag.objects.filter(dismissed_at__isnull=True).exists()
    assert services.flags_dismiss(comments=Comment.objects.filter(pk=comment.pk), moderator=editor) == 0


def test_moderating_twice_changes_once_and_records_one_event():
    comment = CommentFactory(status=Status.PENDING)
    editor, other_editor = EditorFactory(), EditorFactory()
    queryset = Comment.objects.filter(pk=comment.pk)
    assert services.comments_moderate(comments=queryset, status=Status.APPROVED, moderator=editor) == 1
    assert services.comments_moderate(comments=queryset, status=Status.APPROVED, moderator=other_editor) == 0
    comment.refresh_from_db()
    assert comment.moderated_by == editor
    assert ModerationEvent.objects.filter(comment=comment, action="approved").count() == 1
    comment.post.refresh_from_db()
    assert comment.post.comment_count == 1


def test_sending_back_and_resubmitting():
    member = UserFactory()
    comment = services.comment_submit(post=PostFactory(), author=member, body="Rough draft")
    editor = EditorFactory()
    with pytest.raises(ValidationError):
        services.comment_return(comment=comment, moderator=editor, note="  ")
    services.comment_return(comment=comment, moderator=editor, note="Please cite your source.")
    comment.refresh_from_db()
    assert comment.is_returned and comment.returned_note == "Please cite your source."
    assert not Comment.objects.in_moderation_queue().filter(pk=comment.pk).exists()
    # Long after the edit window, the author may still revise a returned comment.
    Comment.objects.filter(pk=comment.pk).update(created=timezone.now() - timedelta(days=3))
    comment.refresh_from_db()
    revised = services.comment_edit(comment=comment, editor=member, body="Revised, with a source.")
    assert revised.status == Status.PENDING and not revised.is_returned
    assert Comment.objects.in_moderation_queue().filter(pk=comment.pk).exists()
    assert actions(revised)[-2:] == ["returned", "resubmitted"]


def test_edits_are_refused_after_the_window_and_to_other_members():
    comment = CommentFactory()
    with pytest.raises(PermissionDenied):
        services.comment_edit(comment=comment, editor=UserFactory(), body="hijacked")
    Comment.objects.filter(pk=comment.pk).update(created=timezone.now() - timedelta(minutes=16))
    comment.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.comment_edit(comment=comment, editor=comment.author, body="too late")
    comment.refresh_from_db()
    assert comment.body != "too late"


def test_an_edit_adding_links_holds_the_comment_again():
    comment = CommentFactory()
    services.comment_edit(comment=comment, editor=comment.author, body="https://a https://b https://c")
    comment.refresh_from_db()
    assert comment.status == Status.PENDING and comment.edited_at is not None


def test_removal_keeps_a_placeholder_and_drops_the_count():
    comment = CommentFactory(body="My words")
    reply = CommentFactory(post=comment.post, parent=comment, thread_root=comment, depth=1)
    services.comment_remove(comment=comment, actor=comment.author)
    comment.refresh_from_db()
    comment.post.refresh_from_db()
    assert comment.is_removed and comment.body == "" and comment.removed_by == comment.author
    assert comment.post.comment_count == 1
    reply.refresh_from_db()
    assert reply.parent == comment


def test_a_moderator_removal_needs_a_reason_and_keeps_the_text_for_the_audit():
    comment = CommentFactory(body="Heated words")
    editor = EditorFactory()
    with pytest.raises(ValidationError):
        services.comment_remove(comment=comment, actor=editor)
    services.comment_remove(comment=comment, actor=editor, reason="Personal attack")
    comment.refresh_from_db()
    assert comment.body == "Heated words" and comment.removal_reason == "Personal attack"
    with pytest.raises(PermissionDenied):
        services.comment_remove(comment=CommentFactory(), actor=UserFactory())


def test_marking_an_author_as_spammer():
    spammer = UserFactory()
    CommentFactory.create_batch(3, author=spammer, status=Status.PENDING)
    CommentFactory(author=spammer, status=Status.APPROVED)
    editor = EditorFactory()
    assert services.author_mark_spam(author=spammer, moderator=editor, deactivate=True) == 3
    spammer.refresh_from_db()
    assert not spammer.is_active
    assert Comment.objects.filter(author=spammer, status=Status.SPAM).count() == 3
    with pytest.raises(PermissionDenied):
        services.author_mark_spam(author=SuperuserFactory(), moderator=editor)
