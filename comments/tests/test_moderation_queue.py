"""The editors' moderation queue on the site: held and flagged comments, decisions, send-backs, spammers."""

import threading

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from comments.context_processors import moderation_counts
from comments.models import Comment, CommentFlag, DiscussionSettings, HoldReason, ModerationEvent
from comments.services import comment_flag, comment_remove, comment_return, comment_submit
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    EditorFactory,
    PostFactory,
    StaffFactory,
    SuperuserFactory,
    UserFactory,
)
from testing.queries import count_queries

pytestmark = pytest.mark.django_db

QUEUE = reverse("comments:queue")
MODERATE = reverse("comments:moderate")
Status = Comment.Status
Action = ModerationEvent.Action


def submit_held(*, author=None, post=None, body="A first thought from a new member.", parent=None):
    """A comment held the way members' first comments are: through ``comment_submit``."""
    comment = comment_submit(
        post=post or PostFactory(), author=author or UserFactory(), body=body, parent=parent
    )
    assert comment.status == Status.PENDING
    return comment


def flag_by_members(comment, count, reason="abuse", note=""):
    for member in UserFactory.create_batch(count):
        comment_flag(comment=comment, member=member, reason=reason, note=note)
    comment.refresh_from_db()
    return comment


def act(client, action, comments, follow=True, **extra):
    ids = [c.pk if hasattr(c, "pk") else c for c in comments]
    return client.post(MODERATE, {"action": action, "ids": ids, **extra}, follow=follow)


def return_url(comment):
    return reverse("comments:return", kwargs={"comment_id": comment.pk})


def spam_author_url(member):
    return reverse("comments:spam_author", kwargs={"user_id": member.pk})


@pytest.fixture
def editor():
    return EditorFactory(display_name="Erin Editor")


# --- Who may open it -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    comment = submit_held()
    member = comment.author

    for response in (
        client.get(QUEUE),
        client.post(MODERATE, {"action": "approve", "ids": [comment.pk]}),
        client.post(return_url(comment), {"note": "Please rephrase."}),
        client.get(spam_author_url(member)),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    comment.refresh_from_db()
    assert comment.status == Status.PENDING


@pytest.mark.parametrize("factory", [UserFactory, StaffFactory], ids=["member", "staff-without-permission"])
def test_members_and_staff_without_the_permission_get_403(client, factory):
    comment = submit_held()
    client.force_login(factory())

    assert client.get(QUEUE).status_code == 403
    assert client.post(MODERATE, {"action": "approve", "ids": [comment.pk]}).status_code == 403
    assert client.post(return_url(comment), {"note": "Please rephrase."}).status_code == 403
    assert client.get(spam_author_url(comment.author)).status_code == 403
    assert client.post(spam_author_url(comment.author), {"mark_spam": "on"}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    assert comment.author.is_active


def test_an_inactive_editor_cannot_moderate(client):
    editor = EditorFactory(is_active=False)
    client.force_login(editor)

    assert client.get(QUEUE).status_code in (302, 403)


# --- What it shows -------------------------------------------------------------------


def test_editor_sees_held_comments_with_reason_and_author_history(editor_client):
    DiscussionSettings.objects.update_or_create(pk=1, defaults={"moderation_words": "pills"})
    author = UserFactory(display_name="Sam Sender")
    CommentFactory.create_batch(2, author=author)
    CommentFactory(author=author, status=Status.REJECTED)
    CommentFactory(author=author, status=Status.SPAM)
    post = PostFactory(title="Double-loop learning")
    held = comment_submit(post=post, author=author, body="Cheap **pills** for learners.")
    assert held.hold_reason == HoldReason.MODERATION_WORD

    response = editor_client.get(QUEUE)

    assert response.status_code == 200
    assert [c.pk for c in response.context["items"]] == [held.pk]
    assert response.context["items"][0].author_history == {
        "approved": 2,
        "rejected": 1,
        "spam": 1,
        "pending": 1,
    }
    html = response.content.decode()
    assert "2 approved · 1 rejected · 1 spam" in html
    assert "Sam Sender" in html
    assert f'<a href="{post.get_absolute_url()}">Double-loop learning</a>' in html
    assert "Held: listed word" in html
    assert "“pills”" in html
    assert "Cheap <strong>pills</strong> for learners." in html
    assert f'name="ids" value="{held.pk}" form="bulk-form"' in html
    assert 'value="approve"' in html and 'value="reject"' in html and 'value="spam"' in html
    assert f'action="{return_url(held)}"' in html


def test_held_tab_lists_only_the_queue_newest_first(editor_client, editor):
    older = submit_held(body="Older.")
    newer = submit_held(body="Newer.")
    returned = submit_held(body="Sent back.")
    comment_return(comment=returned, moderator=editor, note="Please add a source.")
    CommentFactory(body="Published already.")
    CommentFactory(body="Rejected.", status=Status.REJECTED)

    response = editor_client.get(QUEUE)

    assert [c.pk for c in response.context["items"]] == [newer.pk, older.pk]
    assert response.context["counts"]["held"] == 2


def test_flagged_tab_shows_open_flags_with_reasons_and_notes(editor_client, editor):
    below_threshold = flag_by_members(
        CommentFactory(body="Slightly rude."), 1, "abuse", "Name-calling in line 2."
    )
    hidden = flag_by_members(CommentFactory(body="Spammy."), 3, "spam")
    dismissed = flag_by_members(CommentFactory(body="Fine after all."), 1)
    CommentFlag.objects.filter(comment=dismissed).update(dismissed_at=dismissed.created, dismissed_by=editor)
    submit_held(body="Held, not flagged.")
    assert hidden.status == Status.PENDING

    response = editor_client.get(QUEUE, {"tab": "flagged"})

    assert response.context["tab"] == "flagged"
    assert [c.pk for c in response.context["items"]] == [hidden.pk, below_threshold.pk]
    html = response.content.decode()
    assert "Abusive or harassing" in html
    assert "“Name-calling in line 2.”" in html
    assert html.count(">Spam</span>") == 3
    assert "Held: flagged by members" in html
    assert 'value="dismiss"' in html
    assert response.context["counts"] == {"held": 2, "flagged": 2, "total": 3}


def test_flag_notes_and_names_are_escaped(editor_client):
    flag_by_members(CommentFactory(), 1, "other", "<img src=x onerror=alert(1)>")

    html = editor_client.get(QUEUE, {"tab": "flagged"}).content.decode()

    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_queue_is_paginated_by_25(editor_client):
    for n in range(27):
        submit_held(body=f"Held comment {n}.")

    first = editor_client.get(QUEUE)
    second = editor_client.get(QUEUE, {"page": 2})

    assert len(first.context["items"]) == 25
    assert [c.body for c in second.context["items"]] == ["Held comment 1.", "Held comment 0."]
    assert "?tab=held&amp;page=2" in first.content.decode()


def test_queue_page_query_count_is_constant(editor_client):
    """Guards the N+1s of a queue page: each item's post, author, the comment a reply answers,
    open flags, flaggers and author history."""

    def make(count):
        for _n in range(count):
            submit_held()
            answered = CommentFactory(author=UserFactory(), post=PostFactory())
            comment_submit(post=answered.post, author=UserFactory(), body="A held reply.", parent=answered)
            flag_by_members(CommentFactory(author=UserFactory(), post=PostFactory()), 2, "spam", "A note.")
        flag_by_members(CommentFactory(author=UserFactory(), post=PostFactory()), 3)

    def capture(tab):
        page = count_queries(editor_client, QUEUE, tab=tab)
        return page.sql, len(page.response.context["items"])

    make(2)
    small = {tab: capture(tab) for tab in ("held", "flagged")}
    make(8)
    large = {tab: capture(tab) for tab in ("held", "flagged")}

    assert (small["held"][1], small["flagged"][1]) == (5, 3)
    assert (large["held"][1], large["flagged"][1]) == (22, 12)
    for tab in ("held", "flagged"):
        assert len(large[tab][0]) == len(small[tab][0]), "\n\n".join(large[tab][0])


def test_a_reply_says_which_comment_it_answers_with_a_link_to_it(editor_client):
    post = PostFactory(title="Keeping a journal")
    answered = CommentFactory(
        post=post,
        author=UserFactory(display_name="Ana <i>Asker</i>"),
        body="How do you keep a **learning journal** & is\n3 < 4 pages <script>alert(1)</script> enough?",
    )
    reply = submit_held(post=post, body="Three lines each evening.", parent=answered)
    top_level = submit_held(post=post, body="A comment of its own.")

    html = editor_client.get(QUEUE).content.decode()

    item = html[html.index(f'id="queue-comment-{reply.pk}"') :]
    item = item[: item.index("</li>")]
    assert (
        f'Reply to Ana &lt;i&gt;Asker&lt;/i&gt;: <a href="{answered.get_absolute_url()}">'
        "“How do you keep a learning journal &amp; is 3 &lt; 4 pages enough?”</a>"
    ) in item
    own = html[html.index(f'id="queue-comment-{top_level.pk}"') :]
    assert "Reply to" not in own[: own.index("</li>")]
    # The link leads to the answered comment in its discussion.
    response = editor_client.get(answered.get_absolute_url())
    assert response.status_code == 302 and response.url.endswith(f"#comment-{answered.pk}")


def test_a_reply_to_a_long_or_removed_comment(editor_client):
    long_one = CommentFactory(author_name="Ana Asker", body="word " * 100)
    long_reply = submit_held(post=long_one.post, parent=long_one)
    removed = CommentFactory(author=UserFactory(display_name="Bo Removed"), body="Something I regret.")
    removed_reply = submit_held(post=removed.post, parent=removed)
    comment_remove(comment=removed, actor=removed.author)

    html = editor_client.get(QUEUE).content.decode()

    long_item = html[html.index(f'id="queue-comment-{long_reply.pk}"') :]
    excerpt = long_item.split("“", 1)[1].split("”", 1)[0]
    assert excerpt.startswith("word word") and excerpt.endswith("…") and len(excerpt) <= 120
    removed_item = html[html.index(f'id="queue-comment-{removed_reply.pk}"') :]
    assert "Reply to Bo Removed: a removed comment" in removed_item[: removed_item.index("</li>")]
    assert "Something I regret." not in html


# --- Decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("approve", Status.APPROVED, "1 comment approved."),
        ("reject", Status.REJECTED, "1 comment rejected."),
        ("spam", Status.SPAM, "1 comment marked as spam."),
    ],
)
def test_per_item_decision(editor_client, editor, action, status, message):
    comment = submit_held()

    response = act(editor_client, action, [comment])

    assert response.redirect_chain == [(QUEUE, 302)]
    assert message in response.content.decode()
    comment.refresh_from_db()
    assert (comment.status, comment.moderated_by) == (status, editor)
    event = comment.events.get(action=status if status != Status.SPAM else Action.SPAM)
    assert (event.actor, event.from_status, event.to_status) == (editor, Status.PENDING, status)
    comment.post.refresh_from_db()
    assert comment.post.comment_count == (1 if status == Status.APPROVED else 0)


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("approve", Status.APPROVED, "3 comments approved."),
        ("reject", Status.REJECTED, "3 comments rejected."),
        ("spam", Status.SPAM, "3 comments marked as spam."),
    ],
)
def test_bulk_decision(editor_client, action, status, message):
    comments = [submit_held() for _n in range(3)]
    untouched = submit_held()

    response = act(editor_client, action, comments)

    assert message in response.content.decode()
    assert set(Comment.objects.filter(status=status).values_list("pk", flat=True)) == {c.pk for c in comments}
    untouched.refresh_from_db()
    assert untouched.status == Status.PENDING


def test_decision_on_a_flagged_comment_answers_its_flags(editor_client):
    comment = flag_by_members(CommentFactory(), 3)

    act(editor_client, "reject", [comment])

    assert not CommentFlag.objects.filter(dismissed_at__isnull=True).exists()
    assert editor_client.get(QUEUE, {"tab": "flagged"}).context["items"] == []


def test_dismissing_flags_keeps_a_published_comment_and_republishes_a_hidden_one(editor_client, editor):
    published = flag_by_members(CommentFactory(), 1)
    hidden = flag_by_members(CommentFactory(), 3)
    assert hidden.status == Status.PENDING

    response = act(editor_client, "dismiss", [published, hidden])

    assert "Flags dismissed on 2 comments." in response.content.decode()
    published.refresh_from_db()
    hidden.refresh_from_db()
    assert (published.status, hidden.status) == (Status.APPROVED, Status.APPROVED)
    assert set(CommentFlag.objects.values_list("dismissed_by", flat=True)) == {editor.pk}
    hidden.post.refresh_from_db()
    assert hidden.post.comment_count == 1
    assert response.context["counts"]["total"] == 0


def test_dismiss_on_one_item(editor_client):
    comment = flag_by_members(CommentFactory(), 2)

    response = act(editor_client, "dismiss", [comment], next=f"{QUEUE}?tab=flagged")

    assert response.redirect_chain == [(f"{QUEUE}?tab=flagged", 302)]
    assert "Flags dismissed on 1 comment." in response.content.decode()
    assert response.context["items"] == []


def test_approving_twice_changes_once_and_records_one_event(editor_client, editor):
    comment = submit_held()

    act(editor_client, "approve", [comment])
    response = act(editor_client, "approve", [comment])

    assert "0 comments approved. 1 was already approved." in response.content.decode()
    assert comment.events.filter(action=Action.APPROVED).count() == 1
    comment.refresh_from_db()
    assert (comment.status, comment.moderated_by) == (Status.APPROVED, editor)


def test_two_moderators_approving_the_same_comment_leave_one_result(editor):
    """Both saw the comment in their queue; the second decision finds it already approved.

    ``comments_moderate`` locks the rows it changes, so the same holds when
    the two requests really run at once on PostgreSQL.
    """
    comment = submit_held()
    first, second = client_for(editor), client_for(EditorFactory())
    queued = [c.pk for c in first.get(QUEUE).context["items"]]
    assert [c.pk for c in second.get(QUEUE).context["items"]] == queued == [comment.pk]

    act(first, "approve", queued)
    response = act(second, "approve", queued)

    assert "0 comments approved." in response.content.decode()
    comment.refresh_from_db()
    assert (comment.status, comment.moderated_by) == (Status.APPROVED, editor)
    assert comment.events.filter(action=Action.APPROVED).count() == 1
    comment.post.refresh_from_db()
    assert comment.post.comment_count == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the data migrations' rows too
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and concurrent connections")
def test_two_moderators_approving_at_the_same_moment_record_one_change():
    comment = submit_held()
    editors = [EditorFactory(), EditorFactory()]
    start = threading.Barrier(len(editors))
    statuses = []

    def approve(editor):
        try:
            browser = client_for(editor)
            start.wait(timeout=10)
            statuses.append(browser.post(MODERATE, {"action": "approve", "ids": [comment.pk]}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(editor,)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [302, 302]
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.moderated_by in editors
    assert comment.events.filter(action=Action.APPROVED).count() == 1


def test_ids_of_comments_that_no_longer_exist_are_ignored(editor_client):
    comment = submit_held()

    response = act(editor_client, "approve", [comment.pk, 999_999, "abc", "", "²"])

    assert "1 comment approved." in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_an_empty_selection_is_a_message_not_an_error(editor_client):
    submit_held()

    response = act(editor_client, "approve", [])

    assert response.status_code == 200
    assert "Select at least one comment first." in response.content.decode()
    assert not Comment.objects.approved().exists()


def test_an_unknown_action_changes_nothing(editor_client):
    comment = submit_held()

    response = act(editor_client, "delete", [comment])

    assert "Choose what to do with the selected comments." in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == Status.PENDING


def test_next_keeps_tab_and_page_but_never_leaves_the_site(editor_client):
    comment, other = submit_held(), submit_held()
    back = f"{QUEUE}?tab=flagged&page=2"

    kept = act(editor_client, "approve", [comment], follow=False, next=back)
    ignored = act(editor_client, "approve", [other], follow=False, next="https://evil.example/phish")
    scheme = act(editor_client, "approve", [other], follow=False, next="//evil.example/")

    assert kept.url == back
    assert ignored.url == QUEUE
    assert scheme.url == QUEUE


def test_get_on_moderate_is_405(editor_client):
    assert editor_client.get(MODERATE).status_code == 405


def test_forged_moderation_post_without_csrf_token_is_refused(editor):
    comment = submit_held()
    forger = client_for(editor, enforce_csrf_checks=True)

    response = forger.post(MODERATE, {"action": "approve", "ids": [comment.pk]})

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.status == Status.PENDING


# --- Sending back ----------------------------------------------------------------------


def test_send_back_with_a_note(editor_client, editor):
    comment = submit_held()

    response = editor_client.post(
        return_url(comment), {"note": "Please add where the quote comes from.", "next": QUEUE}, follow=True
    )

    assert response.redirect_chain == [(QUEUE, 302)]
    assert f"Sent back to {comment.author_name} with your note." in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_returned
    assert comment.returned_note == "Please add where the quote comes from."
    assert comment.hold_reason == HoldReason.RETURNED
    assert comment.events.filter(action=Action.RETURNED, actor=editor).count() == 1
    # It is with its author now, not in the queue.
    assert response.context["items"] == []


@pytest.mark.parametrize("note", ["", "   "])
def test_send_back_needs_a_note(editor_client, note):
    comment = submit_held(body="Keep me here.")

    response = editor_client.post(return_url(comment), {"note": note})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a note telling the author what to change." in html
    assert "Keep me here." in html
    comment.refresh_from_db()
    assert not comment.is_returned
    assert comment.status == Status.PENDING


def test_send_back_page_offers_the_form(editor_client):
    comment = submit_held()

    response = editor_client.get(return_url(comment))

    assert response.status_code == 200
    assert 'name="note"' in response.content.decode()


def test_a_guests_comment_cannot_be_sent_back(editor_client):
    comment = CommentFactory(author=None, author_name="A guest", status=Status.PENDING)

    response = editor_client.post(return_url(comment), {"note": "Please rephrase."}, follow=True)

    assert "A guest&#x27;s comment cannot be sent back." in response.content.decode()
    comment.refresh_from_db()
    assert not comment.is_returned


def test_sending_back_twice_keeps_the_first_note(editor_client):
    comment = submit_held()
    editor_client.post(return_url(comment), {"note": "First note."})

    response = editor_client.post(return_url(comment), {"note": "Second note."}, follow=True)

    assert "already been sent back" in response.content.decode()
    comment.refresh_from_db()
    assert comment.returned_note == "First note."


# --- Spammers -----------------------------------------------------------------------


def test_spam_from_one_member_offers_to_sweep_their_other_pending_comments(editor_client):
    spammer = UserFactory(display_name="Spam King")
    comments = [submit_held(author=spammer, body=f"Buy now {n}") for n in range(3)]

    response = act(editor_client, "spam", comments[:1])

    html = response.content.decode()
    assert "Spam King has 2 more pending comments." in html
    assert f'href="{spam_author_url(spammer)}?next=' in html


@pytest.mark.parametrize("case", ["two-authors", "guest", "nothing-else-pending"])
def test_no_sweep_offer_when_it_would_not_help(editor_client, case):
    if case == "two-authors":
        comments = [submit_held(), submit_held()]
        submit_held(author=comments[0].author)
    elif case == "guest":
        comments = [CommentFactory(author=None, author_name="Guest", status=Status.PENDING)]
        CommentFactory(author=None, author_name="Guest", status=Status.PENDING)
    else:
        comments = [submit_held()]

    html = act(editor_client, "spam", comments).content.decode()

    assert "more pending comment" not in html


def test_spam_author_confirmation_shows_counts(editor_client):
    spammer = UserFactory(display_name="Spam King")
    for n in range(2):
        submit_held(author=spammer, body=f"Buy now {n}")
    CommentFactory(author=spammer, status=Status.SPAM)

    response = editor_client.get(spam_author_url(spammer))

    assert response.status_code == 200
    assert response.context["history"] == {"approved": 0, "rejected": 0, "spam": 1, "pending": 2}
    html = response.content.decode()
    assert "Treat Spam King as a spammer?" in html
    assert 'name="mark_spam"' in html and 'name="deactivate"' in html


def test_spam_author_sweep_marks_pending_comments_and_deactivates(editor_client, editor):
    spammer = UserFactory(display_name="Spam King")
    pending = [submit_held(author=spammer, body=f"Buy now {n}") for n in range(3)]
    CommentFactory(author=spammer, body="An old approved one.")

    response = editor_client.post(
        spam_author_url(spammer), {"mark_spam": "on", "deactivate": "on", "next": QUEUE}, follow=True
    )

    assert response.redirect_chain == [(QUEUE, 302)]
    assert "3 comments by Spam King marked as spam. The account is deactivated." in response.content.decode()
    assert set(Comment.objects.filter(status=Status.SPAM).values_list("pk", flat=True)) == {
        c.pk for c in pending
    }
    assert Comment.objects.get(body="An old approved one.").status == Status.APPROVED
    assert ModerationEvent.objects.filter(action=Action.SPAM, actor=editor).count() == 3
    spammer.refresh_from_db()
    assert not spammer.is_active


def test_spam_author_without_deactivating(editor_client):
    spammer = UserFactory()
    submit_held(author=spammer)

    editor_client.post(spam_author_url(spammer), {"mark_spam": "on"})

    spammer.refresh_from_db()
    assert spammer.is_active
    assert Comment.objects.get().status == Status.SPAM


def test_spam_author_needs_the_confirmation_box(editor_client):
    spammer = UserFactory()
    submit_held(author=spammer)

    response = editor_client.post(spam_author_url(spammer), {"deactivate": "on"})

    assert response.status_code == 400
    assert "Tick this box to confirm." in response.content.decode()
    spammer.refresh_from_db()
    assert spammer.is_active
    assert Comment.objects.get().status == Status.PENDING


def test_spam_author_never_targets_yourself_or_a_superuser(editor_client, editor):
    boss = SuperuserFactory()
    CommentFactory(author=boss, status=Status.PENDING)
    CommentFactory(author=editor, status=Status.PENDING)

    for target in (editor, boss):
        assert editor_client.get(spam_author_url(target)).status_code == 403
        response = editor_client.post(spam_author_url(target), {"mark_spam": "on", "deactivate": "on"})
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.is_active
    assert not Comment.objects.filter(status=Status.SPAM).exists()


def test_no_sweep_offer_for_your_own_comments(editor_client, editor):
    comments = CommentFactory.create_batch(2, author=editor, status=Status.PENDING)

    html = act(editor_client, "spam", comments[:1]).content.decode()

    assert "more pending comment" not in html


# --- Navigation ----------------------------------------------------------------------


def test_nav_shows_moderation_count_to_editors_only(client):
    submit_held()
    flag_by_members(CommentFactory(), 1)
    flag_by_members(CommentFactory(), 3)  # held and flagged: counted once
    home = reverse("blog:home")

    assert "Moderation (" not in client.get(home).content.decode()
    for visitor in (UserFactory(), StaffFactory()):
        client.force_login(visitor)
        assert "Moderation (" not in client.get(home).content.decode()

    client.force_login(EditorFactory())
    html = client.get(home).content.decode()
    assert f'<a class="nav-link" href="{QUEUE}">Moderation (3)</a>' in html


def test_nav_counts_are_one_query(django_assert_num_queries):
    submit_held()
    flag_by_members(CommentFactory(), 1)
    editor = EditorFactory()
    assert editor.has_perm("comments.change_comment")  # loads and caches the permissions
    request = RequestFactory().get("/")
    request.user = editor

    context = moderation_counts(request)
    with django_assert_num_queries(1):
        assert (context["moderation_counts"]["held"], context["moderation_counts"]["flagged"]) == (1, 1)
        assert context["moderation_counts"]["total"] == 2


def test_nav_counts_cost_members_nothing(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = UserFactory()

    with django_assert_num_queries(0):
        assert moderation_counts(request) == {}
