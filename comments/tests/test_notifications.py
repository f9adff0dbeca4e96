"""Comment emails: who gets what, the digest's batching, retries, and enqueueing inside the transaction.

Tests run with the dummy task backend: they assert what was enqueued, then
run the queued tasks themselves (``queue.run()``) and look at ``mail.outbox``.
That a comment and its tasks commit together or not at all, on the database
backend, is test_notifications_commit_together.py; sending once, test_send_once.py
in portal/tests.
"""

import re
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from blog.models import Post
from comments import notifications, services
from comments.models import (
    Comment,
    CommentFlag,
    DiscussionSettings,
    NotificationPreference,
    ThreadSubscription,
)
from testing.comments import comment_data
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
from testing.mail import html_of, inbox
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db
Status = Comment.Status
LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


class Queue:
    """The dummy backend's queue, with a way to run what it holds as the worker would."""

    def __init__(self, backend):
        self.backend = backend
        self.done = set()

    def pending(self, task=None):
        return [
            result
            for result in self.backend.results
            if result.id not in self.done and (task is None or result.task.func is task.func)
        ]

    def run(self):
        """Run every queued task, including those the tasks enqueue, ignoring run_after. Returns how many
        ran."""
        ran = 0
        while pending := self.pending():
            for result in pending:
                self.done.add(result.id)
                result.task.call(*result.args, **result.kwargs)
                ran += 1
        return ran


@pytest.fixture(autouse=True)
def queue():
    default_task_backend.clear()
    yield Queue(default_task_backend)
    default_task_backend.clear()


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """comment_submit, with its on-commit callbacks run as after a real commit (the digest's cache key)."""

    def submit(**kwargs):
        kwargs.setdefault("body", "A thought worth sharing.")
        with django_capture_on_commit_callbacks(execute=True):
            return services.comment_submit(**kwargs)

    return submit


@pytest.fixture
def moderate(django_capture_on_commit_callbacks):
    def moderate(comment, status, moderator=None):
        with django_capture_on_commit_callbacks(execute=True):
            services.comments_moderate(
                comments=Comment.objects.filter(pk=comment.pk),
                status=status,
                moderator=moderator or EditorFactory(),
            )

    return moderate


def prefer(member, **switches):
    NotificationPreference.objects.update_or_create(member=member, defaults=switches)


# --- Enqueueing inside the transaction ------------------------------------------


def test_a_published_comment_enqueues_its_notification_inside_its_transaction(
    django_capture_on_commit_callbacks, queue
):
    post, member = PostFactory(), trusted_member()
    with django_capture_on_commit_callbacks(execute=False):
        comment = services.comment_submit(post=post, author=member, body="Published at once.")
        assert comment.is_approved
        # Enqueued before the commit: the task's row is written by the comment's transaction.
        (result,) = queue.pending()
    assert result.task.func is notifications.notify_new_comment.func
    assert result.args == [comment.pk]
    assert mail.outbox == []  # sending is the worker's job, not the request's


def test_a_held_comment_enqueues_a_digest_and_no_reader_emails(submit, queue):
    submit(post=PostFactory(), author=UserFactory())
    (result,) = queue.pending()
    assert result.task.func is notifications.send_moderation_digest.func


def test_approving_enqueues_the_authors_email_and_the_readers_emails(submit, moderate, queue):
    comment = submit(post=PostFactory(), author=UserFactory())
    queue.done.update(r.id for r in queue.pending())
    moderate(comment, Status.APPROVED)
    assert {r.task.name for r in queue.pending()} == {"notify_comment_author", "notify_new_comment"}


def test_a_failure_to_enqueue_fails_the_whole_change(submit):
    post, member = PostFactory(), trusted_member()
    with (
        mock.patch("django.tasks.backends.dummy.DummyBackend.enqueue", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError, match="down"),
    ):
        submit(post=post, author=member, body="Never saved without its notification.")
    assert not Comment.objects.filter(post=post).exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_a_failure_to_enqueue_an_approvals_emails_leaves_the_comment_held(submit, queue):
    comment = submit(post=PostFactory(), author=UserFactory())
    with (
        mock.patch("django.tasks.backends.dummy.DummyBackend.enqueue", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError),
    ):
        services.comment_moderate(comment=comment, status=Status.APPROVED, moderator=EditorFactory())
    comment.refresh_from_db()
    assert comment.is_pending
    assert not comment.events.filter(action="approved").exists()


# --- New comments: post author, replied-to author, followers ------------------


def test_the_post_author_hears_of_a_new_comment_in_text_and_html(submit, queue, settings):
    settings.PORTAL_BASE_URL = "https://learn.example.org"
    author = UserFactory(display_name="Pat Author")
    post = PostFactory(author=author, title="Double-loop learning")
    comment = submit(post=post, author=trusted_member(display_name="Robin"), body="Loved the *second* loop.")
    queue.run()
    (message,) = mail.outbox
    assert message.to == [author.email]
    assert message.subject == "[Learning Together] Robin commented on your post “Double-loop learning”"
    assert "Hello Pat Author," in message.body
    assert "Loved the *second* loop." in message.body
    assert f"https://learn.example.org/comments/{comment.pk}/" in message.body
    html = html_of(message)
    assert "<em>second</em>" in html
    assert f'href="https://learn.example.org/comments/{comment.pk}/"' in html
    unsubscribe = re.search(
        r"https://learn\.example\.org/comments/unsubscribe/[^/\s]+/", message.body
    ).group()
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe}"' in html


def test_nobody_is_mailed_about_their_own_comment(submit, queue):
    author = trusted_member()
    submit(post=PostFactory(author=author), author=author, body="Adding to my own post.")
    queue.run()
    assert mail.outbox == []


def test_a_reply_reaches_the_replied_to_author_once_even_when_they_wrote_the_post_and_follow(submit, queue):
    author = trusted_member()
    post = PostFactory(author=author)
    parent = submit(post=post, author=author, body="Questions welcome.")
    assert ThreadSubscription.objects.filter(post=post, member=author).exists()
    queue.run()
    submit(post=post, author=trusted_member(display_name="Sam"), body="Here is one.", parent=parent)
    queue.run()
    (message,) = mail.outbox
    assert message.to == [author.email]
    assert "Sam replied to your comment" in message.subject
    assert "Here is one." in message.body and "Questions welcome." in message.body


def test_a_reply_to_a_guests_comment_mails_no_guest(submit, queue):
    post = PostFactory()
    guest_comment = CommentFactory(
        post=post, author=None, author_name="Guest", author_email="guest@example.org"
    )
    submit(post=post, author=trusted_member(), body="Replying to a guest.", parent=guest_comment)
    queue.run()
    assert [m.to for m in mail.outbox] == [[post.author.email]]


def test_followers_get_one_email_each_and_the_commenter_none(submit, queue):
    post = PostFactory()
    followers = [UserFactory() for _ in range(2)]
    for follower in followers:
        services.thread_follow(post=post, member=follower)
    commenter = trusted_member()
    services.thread_follow(post=post, member=commenter)
    services.thread_follow(post=post, member=post.author)  # the post author follows too
    submit(post=post, author=commenter, body="For the followers.")
    queue.run()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([post.author.email] + [f.email for f in followers])
    follower_mail = inbox(followers[0])[0]
    assert follower_mail.subject == f"[Learning Together] New comment on “{post.title}”"
    assert "which you follow" in follower_mail.body
    assert "For the followers." in html_of(follower_mail)


@pytest.mark.parametrize(
    ("switch", "as_parent"),
    [("comments_on_my_posts", False), ("replies_to_me", True)],
)
def test_a_switched_off_kind_sends_nothing(submit, queue, switch, as_parent):
    post = PostFactory()
    member = post.author if not as_parent else UserFactory()
    parent = CommentFactory(post=post, author=member) if as_parent else None
    prefer(post.author, comments_on_my_posts=False)
    prefer(member, **{switch: False})
    submit(post=post, author=trusted_member(), parent=parent)
    queue.run()
    assert mail.outbox == []


def test_a_member_with_replies_off_who_follows_still_hears_as_a_follower(submit, queue):
    post = PostFactory()
    prefer(post.author, comments_on_my_posts=False)
    member = UserFactory()
    parent = CommentFactory(post=post, author=member)
    services.thread_follow(post=post, member=member)
    prefer(member, replies_to_me=False)
    submit(post=post, author=trusted_member(), parent=parent)
    queue.run()
    (message,) = mail.outbox
    assert message.to == [member.email] and "New comment on" in message.subject


def test_inactive_members_get_nothing(submit, queue):
    post = PostFactory(author=UserFactory(is_active=False))
    follower = UserFactory(is_active=False)
    services.thread_follow(post=post, member=follower)
    submit(post=post, author=trusted_member())
    queue.run()
    assert mail.outbox == []


def test_followers_who_can_no_longer_read_the_post_get_nothing(submit, queue):
    post = PostFactory(author=StaffFactory())
    services.thread_follow(post=post, member=UserFactory())
    submit(post=post, author=trusted_member())
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
    queue.run()
    assert [m.to for m in mail.outbox] == [[post.author.email]]  # staff may read drafts (visible_to)


def test_a_follower_who_left_the_community_hears_nothing_of_its_members_only_post(submit, queue):
    community = CommunityFactory()
    former, member = UserFactory(), UserFactory()
    for who in (former, member):
        MembershipFactory(community=community, member=who)
    post = PostFactory(community=community, visibility=Post.Visibility.MEMBERS, author=StaffFactory())
    for who in (former, member):
        services.thread_follow(post=post, member=who)
    Membership.objects.filter(community=community, member=former).delete()

    submit(post=post, author=trusted_member())
    queue.run()

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([post.author.email, member.email])


def test_a_comment_rejected_before_the_worker_runs_sends_nothing(submit, queue):
    comment = submit(post=PostFactory(), author=trusted_member())
    Comment.objects.filter(pk=comment.pk).update(status=Status.SPAM)
    queue.run()
    assert mail.outbox == []


# --- A comment's own author: approved, sent back ------------------------------


def test_approval_tells_the_author_and_then_the_readers(submit, moderate, queue):
    member = UserFactory()
    post = PostFactory()
    comment = submit(post=post, author=member, body="My first comment.")
    queue.done.update(r.id for r in queue.pending())
    moderate(comment, Status.APPROVED)
    queue.run()
    (to_author,) = inbox(member)
    assert to_author.subject == f"[Learning Together] Your comment on “{post.title}” is published"
    assert f"/comments/{comment.pk}/" in to_author.body
    assert "My first comment." in html_of(to_author)
    assert len(inbox(post.author)) == 1


def test_a_comment_approved_again_after_flags_hid_it_is_not_announced_twice(submit, moderate, queue):
    post = PostFactory()
    services.thread_follow(post=post, member=(follower := UserFactory()))
    comment = submit(post=post, author=(member := trusted_member()))
    queue.run()
    assert len(inbox(follower)) == 1 and len(inbox(post.author)) == 1
    moderate(comment, Status.PENDING)  # e.g. hidden after flags
    moderate(comment, Status.APPROVED)
    queue.run()
    assert len(mail.outbox) == 2
    assert inbox(member) == []


def test_a_returned_comment_email_has_the_note_and_an_edit_link(
    django_capture_on_commit_callbacks, submit, queue
):
    member = UserFactory()
    comment = submit(post=PostFactory(), author=member, body="Too <b>hot</b> take.")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_return(
            comment=comment, moderator=EditorFactory(), note="Please cite a source & be kind."
        )
    queue.run()
    (message,) = inbox(member)
    assert "needs a change" in message.subject
    assert "Please cite a source & be kind." in message.body  # plain text is not HTML-escaped
    assert f"http://127.0.0.1:8000/comments/{comment.pk}/" in message.body
    html = html_of(message)
    assert "Please cite a source &amp; be kind." in html
    assert f'href="http://127.0.0.1:8000/comments/{comment.pk}/"' in html


def test_moderation_emails_respect_the_preference(submit, moderate, queue):
    member = UserFactory()
    prefer(member, my_comment_moderated=False)
    comment = submit(post=PostFactory(), author=member)
    moderate(comment, Status.APPROVED)
    queue.run()
    assert inbox(member) == []


# --- The editors' digest ----------------------------------------------------


def test_three_held_comments_make_one_digest_listing_all_three(submit, queue):
    editor = EditorFactory()
    DiscussionSettings.objects.update_or_create(pk=1, defaults={"digest_minutes": 15})
    post = PostFactory(title="Learning organizations")
    before = timezone.now()
    for n in range(3):
        submit(post=post, author=UserFactory(display_name=f"Newcomer {n}"), body=f"First words {n}.")
    (digest,) = queue.pending()
    assert digest.task.func is notifications.send_moderation_digest.func
    assert before + timedelta(minutes=15) <= digest.task.run_after <= timezone.now() + timedelta(minutes=15)

    queue.run()
    (message,) = mail.outbox
    assert message.to == [editor.email]
    assert "3 held comments" in message.subject
    for n in range(3):
        assert f"Newcomer {n} on “Learning organizations”" in message.body
        assert f"First words {n}." in html_of(message)
    assert "http://127.0.0.1:8000/comments/moderation/" in message.body
    assert not Comment.objects.filter(moderators_notified_at__isnull=True).pending().exists()

    assert notifications.send_moderation_digest.call() == 0
    assert len(mail.outbox) == 1  # nothing new: no second email


def test_the_digest_lists_new_flags_and_goes_to_each_editor_who_wants_it(
    django_capture_on_commit_callbacks, queue
):
    editors = [EditorFactory(), SuperuserFactory()]
    opted_out, inactive = EditorFactory(), EditorFactory(is_active=False)
    prefer(opted_out, moderation_digest=False)
    comment = CommentFactory(author_name="Quinn")
    flagger = UserFactory(display_name="Careful Reader")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_flag(
            comment=comment, member=flagger, reason=CommentFlag.Reason.OFF_TOPIC, note="Not about this"
        )
    queue.run()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.email for e in editors)
    message = mail.outbox[0]
    assert "1 new flag" in message.subject
    assert "Careful Reader flagged Quinn’s comment" in message.body and "Not about this" in message.body
    assert inactive.email not in {m.to[0] for m in mail.outbox}
    assert CommentFlag.objects.get().moderators_notified_at is not None


def test_a_new_item_after_the_window_schedules_the_next_digest(submit, queue):
    EditorFactory()
    submit(post=PostFactory(), author=UserFactory())
    queue.run()
    assert len(mail.outbox) == 1
    cache.delete(
        notifications.DIGEST_SCHEDULED_KEY
    )  # the window has passed (the key lives as long as the delay)
    submit(post=PostFactory(), author=UserFactory(display_name="Latecomer"))
    assert len(queue.pending(notifications.send_moderation_digest)) == 1
    queue.run()
    assert (
        len(mail.outbox) == 2
        and "Latecomer" in mail.outbox[1].body
        and "1 held comment" in mail.outbox[1].subject
    )


def test_items_moderated_before_the_digest_runs_are_not_listed(submit, moderate, queue):
    EditorFactory()
    comment = submit(post=PostFactory(), author=UserFactory())
    moderate(comment, Status.REJECTED)
    queue.run()
    assert mail.outbox == []


# --- Retries ----------------------------------------------------------------


def test_a_failed_send_is_retried_with_backoff_then_fails_its_task(submit, queue, caplog):
    post = PostFactory()
    comment = submit(post=post, author=trusted_member())
    runs, failures = [], []
    with mock.patch(LOCMEM_SEND, side_effect=smtplib.SMTPServerDisconnected("gone")) as send:
        while pending := queue.pending():
            (result,) = pending
            queue.done.add(result.id)
            runs.append((timezone.now(), result))
            try:
                result.task.call(*result.args, **result.kwargs)
            except notifications.NotificationNotSent as error:
                failures.append(error)
    assert send.call_count == notifications.MAX_ATTEMPTS == 6
    assert mail.outbox == []
    # The last attempt fails its task (FAILED in the task list, with this error and the SMTP one).
    (failure,) = failures
    assert str(failure) == (
        f"Gave up on the post_comment email to member {post.author_id} after 6 attempts: gone"
    )
    assert isinstance(failure.__cause__, smtplib.SMTPServerDisconnected)
    first, *retries = (result for _when, result in runs)
    assert first.task.func is notifications.notify_new_comment.func
    expected = ["post_comment", post.author_id, {"comment_id": comment.pk}]
    assert [retry.args for retry in retries] == [[*expected, attempt] for attempt in range(2, 7)]
    delays = [result.task.run_after - when for (when, _r), (_w, result) in zip(runs, runs[1:], strict=False)]
    assert [round(d.total_seconds()) for d in delays] == [10, 60, 300, 1800, 7200]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 5 and "attempt 1 of 6" in warnings[0] and "retrying in 0:00:10" in warnings[0]
    (error,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert f"Giving up on the post_comment email to member {post.author_id} after 6 attempts" in error


def test_a_retry_sends_once_the_server_is_back_and_only_to_the_one_who_missed_it(submit, queue):
    post = PostFactory()
    services.thread_follow(post=post, member=(follower := UserFactory()))
    submit(post=post, author=trusted_member())
    real_send = mail.backends.locmem.EmailBackend.send_messages

    def fail_for_the_follower(backend, messages):
        if messages[0].to == [follower.email]:
            raise ConnectionRefusedError("no route")
        return real_send(backend, messages)

    with mock.patch(LOCMEM_SEND, autospec=True, side_effect=fail_for_the_follower):
        (task,) = queue.pending()
        queue.done.add(task.id)
        task.task.call(*task.args, **task.kwargs)
    assert [m.to for m in mail.outbox] == [[post.author.email]]
    queue.run()
    assert [m.to for m in mail.outbox] == [[post.author.email], [follower.email]]


def test_a_retry_that_is_no_longer_due_sends_nothing(submit, queue):
    post = PostFactory()
    services.thread_follow(post=post, member=(follower := UserFactory()))
    prefer(post.author, comments_on_my_posts=False)
    submit(post=post, author=trusted_member())
    with mock.patch(LOCMEM_SEND, side_effect=smtplib.SMTPException("busy")):
        (task,) = queue.pending()
        queue.done.add(task.id)
        task.task.call(*task.args, **task.kwargs)
    services.thread_unfollow(post=post, member=follower)
    queue.run()
    assert mail.outbox == []


# --- End to end, through the real views --------------------------------------


def test_end_to_end_a_members_first_comment_through_moderation(
    client, django_capture_on_commit_callbacks, queue
):
    post_author = UserFactory()
    post = PostFactory(author=post_author)
    follower = UserFactory()
    client.force_login(follower)
    client.post(reverse("comments:follow", kwargs={"post_id": post.pk}))
    editor = EditorFactory()
    member = UserFactory(display_name="Member A")

    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("comments:post", kwargs={"post_id": post.pk}), comment_data("What I learned today.")
        )
    comment = Comment.objects.get(author=member)
    assert comment.is_pending
    queue.run()  # the digest (its run_after ignored here)
    (digest,) = mail.outbox
    assert digest.to == [editor.email] and "Member A on" in digest.body

    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:comments_comment_changelist"),
            {"action": "approve", "_selected_action": [comment.pk], "index": 0},
        )
    assert response.status_code == 302
    queue.run()
    assert sorted(m.to[0] for m in mail.outbox[1:]) == sorted(
        [member.email, post_author.email, follower.email]
    )
    assert "is published" in inbox(member)[0].subject
    assert "commented on your post" in inbox(post_author)[0].subject
    assert "New comment on" in inbox(follower)[0].subject
