"""Members flag comments that break the rules; enough flags hide a comment until an editor looks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments.models import Comment, CommentFlag, DiscussionSettings, HoldReason, ModerationEvent
from testing.clients import client_for, messages_of
from testing.factories import CommentFactory, PostFactory, UserFactory
from testing.pages import form_values

pytestmark = pytest.mark.django_db

THANKS = "Thanks — an editor will look at it."


def flag_url(comment):
    return reverse("comments:flag", kwargs={"comment_id": comment.pk})


def last_message(response):
    return messages_of(response)[-1]


def flag(client, comment, reason="abuse", note=""):
    return client.post(flag_url(comment), {"reason": reason, "note": note})


def test_get_shows_the_flag_form_with_the_comment(member_client):
    comment = CommentFactory(body="A *rude* remark.")

    response = member_client.get(flag_url(comment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>rude</em>" in html
    assert 'name="reason"' in html
    assert 'name="note"' in html
    assert f'action="{flag_url(comment)}"' in html


def test_no_reason_is_chosen_for_the_member(member_client):
    comment = CommentFactory()

    html = member_client.get(flag_url(comment)).content.decode()

    assert [value for value in CommentFlag.Reason.values if f'name="reason" value="{value}"' in html] == [
        "spam",
        "abuse",
        "off_topic",
        "other",
    ]
    assert "reason" not in form_values(html, flag_url(comment))  # what the browser would send as is


def test_a_reason_left_unchosen_is_an_error_next_to_it_and_the_note_is_kept(member_client):
    comment = CommentFactory()

    response = member_client.post(flag_url(comment), {"note": "My careful explanation."})

    assert response.status_code == 400
    html = response.content.decode()
    reason_field = html[html.index('id="div_id_reason"') : html.index('id="div_id_note"')]
    assert "Choose what is wrong with this comment." in reason_field
    assert 'aria-describedby="id_reason_error"' in reason_field
    assert form_values(html, flag_url(comment))["note"] == ["My careful explanation."]
    assert not CommentFlag.objects.exists()


def test_flag_by_post_records_it_and_goes_back_to_the_comment(client):
    comment = CommentFactory()
    member = UserFactory()
    client.force_login(member)

    response = flag(client, comment, reason="off_topic", note="About another post.")

    assert response.status_code == 302
    assert response.url == f"{comment.post.get_absolute_url()}#comment-{comment.pk}"
    assert last_message(response) == THANKS
    flag_row = CommentFlag.objects.get()
    assert (flag_row.comment, flag_row.flagged_by, flag_row.reason, flag_row.note) == (
        comment,
        member,
        "off_topic",
        "About another post.",
    )
    assert ModerationEvent.objects.filter(comment=comment, action=ModerationEvent.Action.FLAGGED).count() == 1
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED  # one flag does not hide it


def test_own_comment_cannot_be_flagged(client):
    member = UserFactory()
    comment = CommentFactory(author=member)
    client.force_login(member)

    response = flag(client, comment)

    assert response.status_code == 302
    assert last_message(response) == "You cannot flag your own comment."
    assert not CommentFlag.objects.exists()
    # Nor is the form offered.
    response = client.get(flag_url(comment))
    assert response.status_code == 302
    assert last_message(response) == "You cannot flag your own comment."


def test_flagging_twice_is_refused_with_a_message(member_client):
    comment = CommentFactory()
    flag(member_client, comment)

    response = flag(member_client, comment, reason="spam")

    assert response.status_code == 302
    assert last_message(response) == "You have already flagged this comment."
    assert CommentFlag.objects.count() == 1
    response = member_client.get(flag_url(comment))
    assert response.status_code == 302
    assert last_message(response) == "You have already flagged this comment."


@pytest.mark.parametrize(
    "make",
    [
        lambda: CommentFactory(status=Comment.Status.PENDING),
        lambda: CommentFactory(status=Comment.Status.REJECTED),
        lambda: CommentFactory(removed_at=timezone.now()),
    ],
    ids=["pending", "rejected", "removed"],
)
def test_hidden_comments_cannot_be_flagged(member_client, make):
    comment = make()

    response = flag(member_client, comment)

    assert response.status_code == 302
    assert last_message(response) == "This comment is already hidden."
    assert not CommentFlag.objects.exists()
    assert member_client.get(flag_url(comment)).status_code == 302


def test_comment_on_a_post_the_member_cannot_see_is_a_404(member_client):
    draft = PostFactory(status=Post.Status.DRAFT)
    comment = CommentFactory(post=draft)
    scheduled = CommentFactory(post=PostFactory(publish_at=timezone.now() + timedelta(days=3)))

    assert member_client.get(flag_url(comment)).status_code == 404
    assert flag(member_client, comment).status_code == 404
    assert flag(member_client, scheduled).status_code == 404
    assert member_client.get(reverse("comments:flag", kwargs={"comment_id": 999_999})).status_code == 404
    assert not CommentFlag.objects.exists()


def test_a_bad_reason_shows_the_form_again_with_the_members_note(member_client):
    comment = CommentFactory()

    response = flag(member_client, comment, reason="boring", note="My careful explanation.")

    assert response.status_code == 400
    html = response.content.decode()
    assert "My careful explanation." in html
    assert "Select a valid choice" in html
    assert not CommentFlag.objects.exists()


def test_note_is_escaped_on_the_form(member_client):
    comment = CommentFactory()

    response = flag(member_client, comment, reason="boring", note="<script>alert(1)</script>")

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_enough_distinct_flags_hide_the_comment_and_the_count_drops(client):
    assert DiscussionSettings.load().flags_to_hide == 3
    post = PostFactory()
    comments = CommentFactory.create_batch(2, post=post)
    target = CommentFactory(post=post, body="Buy cheap pills here.")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "3 comments… read them below or add one" in page
    assert "Buy cheap pills here." in page

    flaggers = UserFactory.create_batch(3)
    for n, member in enumerate(flaggers, start=1):
        member_client = client_for(member)
        assert flag(member_client, target, reason="spam").status_code == 302
        target.refresh_from_db()
        expected = Comment.Status.APPROVED if n < 3 else Comment.Status.PENDING
        assert target.status == expected

    assert target.hold_reason == HoldReason.FLAGGED
    post.refresh_from_db()
    assert post.comment_count == 2
    page = client.get(post.get_absolute_url()).content.decode()
    assert "2 comments… read them below or add one" in page
    assert "Buy cheap pills here." not in page
    assert comments[0].body in page
    assert ModerationEvent.objects.filter(comment=target, action=ModerationEvent.Action.HIDDEN).count() == 1


def test_one_member_flagging_cannot_hide_a_comment_alone(member_client):
    """The threshold counts distinct members, not flags."""
    comment = CommentFactory()
    for reason in ("spam", "abuse", "other"):
        flag(member_client, comment, reason=reason)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert CommentFlag.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    comment = CommentFactory()

    for response in (client.get(flag_url(comment)), flag(client, comment)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert not CommentFlag.objects.exists()


def test_forged_post_without_csrf_token_is_refused():
    comment = CommentFactory()
    forger = client_for(UserFactory(), enforce_csrf_checks=True)

    response = flag(forger, comment)

    assert response.status_code == 403
    assert not CommentFlag.objects.exists()


def test_flag_form_page_carries_a_csrf_token():
    comment = CommentFactory()
    browser = client_for(UserFactory(), enforce_csrf_checks=True)

    page = browser.get(flag_url(comment))
    token = page.context["csrf_token"]
    response = browser.post(flag_url(comment), {"reason": "abuse", "csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302
    assert CommentFlag.objects.count() == 1
