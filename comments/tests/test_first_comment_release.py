"""The first-comment promise: "Once one of your comments is approved, the next ones appear at once."

Approving one of a member's comments publishes their other comments held only
because they had nothing approved yet (``comments.rules.released_by_approval``),
with the notifications, audit events and counts of any approval. Comments held
for links or listed words, hidden by flags, sent back or removed stay as they are.
"""

import threading

import pytest
from django.db import connection
from django.tasks import default_task_backend
from django.urls import reverse

from accounts.models import Membership
from comments.models import Comment, DiscussionSettings, HoldReason, ModerationEvent
from comments.services import comment_flag, comment_remove, comment_return, comment_submit, comments_moderate
from testing.clients import client_for
from testing.comments import post_comment
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
)
from testing.mail import inbox

pytestmark = pytest.mark.django_db

QUEUE = reverse("comments:queue")
MODERATE = reverse("comments:moderate")
Status = Comment.Status


@pytest.fixture(autouse=True)
def tasks():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def run_tasks():
    """Run the queued notification tasks as the worker would (the dummy backend only records them)."""
    done = set()
    while pending := [r for r in default_task_backend.results if r.id not in done]:
        for result in pending:
            done.add(result.id)
            result.task.call(*result.args, **result.kwargs)


def approve_in_queue(client, comment):
    """Press "Approve" on ``comment`` in the moderation queue, as a moderator does."""
    page = client.get(QUEUE).content.decode()
    assert f'id="queue-comment-{comment.pk}"' in page
    return client.post(MODERATE, {"action": "approve", "ids": [comment.pk], "next": QUEUE}, follow=True)


def queue_item(page, comment):
    """The text of ``comment``'s card in the queue page, or "" when it is not listed."""
    start = page.find(f'id="queue-comment-{comment.pk}"')
    return "" if start < 0 else page[start : page.find("</li>", page.find('class="comment-body', start))]


def test_approving_a_members_first_comment_publishes_their_reply_that_was_waiting():
    post = PostFactory(title="Learning in public")
    asker = UserFactory(display_name="Ana Asker")
    question = CommentFactory(post=post, author=asker, body="How do you keep a learning journal?")
    member = UserFactory(display_name="Noor Newcomer")
    member_client = client_for(member)
    post_comment(member_client, post, "My first comment here.")
    post_comment(member_client, post, "I write three lines each evening.", parent=str(question.pk))
    first, reply = Comment.objects.filter(author=member).order_by("pk")
    assert (first.hold_reason, reply.hold_reason) == (HoldReason.FIRST_COMMENT, HoldReason.FIRST_COMMENT)
    editor_client = client_for(EditorFactory())
    assert "Held: first comment" in queue_item(editor_client.get(QUEUE).content.decode(), reply)
    default_task_backend.clear()

    response = approve_in_queue(editor_client, first)

    assert "1 comment approved." in response.content.decode()
    queue_page = editor_client.get(QUEUE).content.decode()
    assert queue_item(queue_page, first) == "" and queue_item(queue_page, reply) == ""
    assert "No comments are waiting for moderation." in queue_page
    # Every reader sees the reply now, in its thread, and the count includes it.
    visitor_page = client_for().get(post.get_absolute_url()).content.decode()
    assert "My first comment here." in visitor_page
    assert "I write three lines each evening." in visitor_page
    assert "3 comments" in visitor_page
    # Its author no longer reads that it waits.
    own_page = member_client.get(post.get_absolute_url()).content.decode()
    assert "awaiting moderation" not in own_page and "Your first comment is read" not in own_page
    # The audit trail says why it was published, and by whose approval.
    event = reply.events.get(action=ModerationEvent.Action.APPROVED)
    assert (event.from_status, event.to_status) == (Status.PENDING, Status.APPROVED)
    assert event.actor is not None and "first-comment hold" in event.note
    # Like any approval: its author hears that it is published, the answered member of the reply.
    run_tasks()
    subjects = sorted(message.subject for message in inbox(member))
    assert subjects == [f"[Learning Together] Your comment on “{post.title}” is published"] * 2
    assert [message.subject for message in inbox(asker)] == [
        f"[Learning Together] Noor Newcomer replied to your comment on “{post.title}”"
    ]


def test_only_holds_for_a_first_comment_are_lifted():
    DiscussionSettings.objects.update_or_create(pk=1, defaults={"moderation_words": "webinar"})
    editor = EditorFactory()
    member = UserFactory()
    post = PostFactory()

    def submit(body):
        return comment_submit(post=post, author=member, body=body)

    # Approved once, then hidden by members' flags: the member has nothing approved any more.
    flagged = submit("An early comment.")
    comments_moderate(
        comments=Comment.objects.filter(pk=flagged.pk), status=Status.APPROVED, moderator=editor
    )
    for flagger in UserFactory.create_batch(3):
        comment_flag(comment=flagged, member=flagger, reason="abuse")
    links = submit("See https://a.example, https://b.example and https://c.example.")
    word = submit("Join my webinar.")
    sent_back = submit("Please rephrase me.")
    comment_return(comment=sent_back, moderator=editor, note="Add a source.")
    removed = submit("I take this back.")
    comment_remove(comment=removed, actor=member)
    approved_now, waiting = submit("A fine comment."), submit("Another fine comment.")
    assert {c.hold_reason for c in (approved_now, waiting)} == {HoldReason.FIRST_COMMENT}

    approve_in_queue(client_for(editor), approved_now)

    states = {
        name: Comment.objects.values_list("status", "hold_reason").get(pk=comment.pk)
        for name, comment in {
            "flagged": flagged,
            "links": links,
            "word": word,
            "sent back": sent_back,
            "removed": removed,
            "waiting": waiting,
        }.items()
    }
    assert states == {
        "flagged": (Status.PENDING, HoldReason.FLAGGED),
        "links": (Status.PENDING, HoldReason.TOO_MANY_LINKS),
        "word": (Status.PENDING, HoldReason.MODERATION_WORD),
        "sent back": (Status.PENDING, HoldReason.RETURNED),
        "removed": (Status.PENDING, HoldReason.FIRST_COMMENT),
        "waiting": (Status.APPROVED, ""),
    }
    page = client_for(editor).get(QUEUE).content.decode()
    assert "Held: too many links" in queue_item(page, links)
    assert "Held: listed word" in queue_item(page, word)
    assert "Held: flagged by members" in queue_item(page, flagged)


def test_a_revision_sent_back_by_an_editor_is_read_again_not_released():
    editor = EditorFactory()
    member, post = UserFactory(), PostFactory()
    member_client = client_for(member)
    draft = comment_submit(post=post, author=member, body="A rough draft.")
    comment_return(comment=draft, moderator=editor, note="Which study?")
    edit_url = reverse("comments:edit", kwargs={"comment_id": draft.pk})
    member_client.post(edit_url, {"body": "A rough draft, citing the 2019 study."})
    other = comment_submit(post=post, author=member, body="Another thought.")

    approve_in_queue(client_for(editor), other)

    draft.refresh_from_db()
    assert (draft.status, draft.hold_reason) == (Status.PENDING, HoldReason.RETURNED)
    assert "Held: sent back for revision" in queue_item(client_for(editor).get(QUEUE).content.decode(), draft)
    own_page = member_client.get(post.get_absolute_url()).content.decode()
    assert "You revised this comment: an editor reads it again before it appears." in own_page
    assert (
        "sent this comment back" not in own_page and "Once one of your comments is approved" not in own_page
    )


@pytest.mark.parametrize("action", ["reject", "spam"])
def test_rejecting_a_first_comment_releases_nothing(action):
    editor_client = client_for(EditorFactory())
    member, post = UserFactory(), PostFactory()
    first = comment_submit(post=post, author=member, body="One.")
    second = comment_submit(post=post, author=member, body="Two.")

    editor_client.post(MODERATE, {"action": action, "ids": [first.pk]})

    second.refresh_from_db()
    assert (second.status, second.hold_reason) == (Status.PENDING, HoldReason.FIRST_COMMENT)
    assert queue_item(editor_client.get(QUEUE).content.decode(), second)


def test_a_community_moderators_approval_keeps_the_promise_everywhere():
    """The hold is the member's, as at submission: once approved anywhere, their comments publish."""
    community = CommunityFactory(owner=UserFactory())
    moderator = MembershipFactory(community=community, role=Membership.Role.MODERATOR).member
    member = UserFactory()
    in_community = comment_submit(post=PostFactory(community=community), author=member, body="Here.")
    portal_wide = PostFactory()
    elsewhere = comment_submit(post=portal_wide, author=member, body="And on a portal-wide post.")

    approve_in_queue(client_for(moderator), in_community)

    assert "And on a portal-wide post." in client_for().get(portal_wide.get_absolute_url()).content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.is_approved


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the data migrations' rows too
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and concurrent connections")
def test_two_moderators_approving_two_comments_of_one_member_at_once_both_succeed():
    """Each approval releases the other comment: the rows are locked in one order, so neither deadlocks."""
    member, post = UserFactory(), PostFactory()
    comments = [comment_submit(post=post, author=member, body=f"Comment {n}.") for n in range(2)]
    editors = [EditorFactory(), EditorFactory()]
    start = threading.Barrier(len(editors))
    statuses = []

    def approve(editor, comment):
        try:
            browser = client_for(editor)
            start.wait(timeout=10)
            statuses.append(browser.post(MODERATE, {"action": "approve", "ids": [comment.pk]}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(editors, comments, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [302, 302]
    for comment in comments:
        comment.refresh_from_db()
        assert comment.status == Status.APPROVED
        assert comment.events.filter(action=ModerationEvent.Action.APPROVED).count() == 1
    post.refresh_from_db()
    assert post.comment_count == 2
