"""The discussion rules applied on submission, each set in DiscussionSettings."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from comments import rules
from comments.models import Comment, DiscussionSettings, HoldReason
from comments.services import comment_submit
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def discussion():
    return DiscussionSettings.load()


@pytest.fixture
def trusted():
    """A member with an approved comment, so the first-comment rule does not apply."""
    return trusted_member()


def submit(author, body, post=None):
    return comment_submit(post=post or PostFactory(), author=author, body=body)


def test_first_comment_is_held_with_its_reason():
    comment = submit(UserFactory(), "Hello there.")
    assert (comment.status, comment.hold_reason) == (Comment.Status.PENDING, HoldReason.FIRST_COMMENT)


def test_first_comment_rule_can_be_switched_off(discussion):
    discussion.hold_first_comment = False
    discussion.save()
    assert submit(UserFactory(), "Hello there.").status == Comment.Status.APPROVED


def test_more_links_than_allowed_holds_the_comment(trusted):
    two = submit(trusted, "See https://a.example and [b](https://b.example).")
    three = submit(trusted, "https://a.example www.b.example and mailto:c@example.org")
    assert two.status == Comment.Status.APPROVED
    assert (three.status, three.hold_reason, three.hold_detail) == (
        Comment.Status.PENDING,
        "too_many_links",
        "3",
    )


def test_link_limit_is_a_setting(trusted, discussion):
    discussion.max_links = 0
    discussion.save()
    assert submit(trusted, "One link: https://a.example").status == Comment.Status.PENDING


def test_disallowed_words_urls_and_emails_send_the_comment_to_spam(trusted, discussion):
    discussion.disallowed_words = "cheap pills\ncasino.example\nspammer@example.com"
    discussion.save()
    for body in (
        "Buy CHEAP   pills".replace("   ", " "),
        "visit https://casino.example/now",
        "mail spammer@example.com",
    ):
        comment = submit(trusted, body)
        assert (comment.status, comment.hold_reason) == (Comment.Status.SPAM, HoldReason.DISALLOWED_WORD), (
            body
        )


def test_disallowed_list_also_matches_the_members_email(discussion):
    member = UserFactory(email="bot@spam.example")
    CommentFactory(author=member)
    discussion.disallowed_words = "spam.example"
    discussion.save()
    assert submit(member, "An innocent sentence.").status == Comment.Status.SPAM


def test_moderation_words_hold_the_comment_and_name_the_word(trusted, discussion):
    discussion.moderation_words = "confidential"
    discussion.save()
    comment = submit(trusted, "This is Confidential, please.")
    assert (comment.status, comment.hold_reason, comment.hold_detail) == (
        Comment.Status.PENDING,
        HoldReason.MODERATION_WORD,
        "confidential",
    )
    assert "“confidential”" in rules.hold_explanation(comment, discussion)


def test_plain_words_match_whole_words_only(trusted, discussion):
    discussion.moderation_words = "ass"
    discussion.save()
    assert submit(trusted, "A classic class assignment.").status == Comment.Status.APPROVED


def test_invisible_characters_cannot_hide_a_listed_word(trusted, discussion):
    discussion.disallowed_words = "casino"
    discussion.save()
    assert submit(trusted, "ca\u200bsi\u202eno").status == Comment.Status.SPAM


def test_editors_skip_every_hold(discussion):
    discussion.moderation_words = "confidential"
    discussion.save()
    comment = submit(EditorFactory(), "Confidential: https://a https://b https://c")
    assert comment.status == Comment.Status.APPROVED


def test_posts_older_than_the_limit_are_closed(trusted, discussion):
    old = PostFactory(publish_at=timezone.now() - timedelta(days=40))
    recent = PostFactory(publish_at=timezone.now() - timedelta(days=5))
    discussion.close_after_days = 30
    discussion.save()
    assert rules.closed_for_comments(old, discussion)
    assert not rules.closed_for_comments(recent, discussion)
    with pytest.raises(ValidationError, match="closed"):
        submit(trusted, "Too late", post=old)
    discussion.close_after_days = 0
    discussion.save()
    assert submit(trusted, "Never closes", post=old).status == Comment.Status.APPROVED


def test_a_post_closed_by_hand_refuses_comments(trusted):
    with pytest.raises(ValidationError):
        submit(trusted, "Hi", post=PostFactory(comments_open=False))


def test_hold_explanations_say_what_lifts_the_hold(discussion):
    first = Comment(hold_reason=HoldReason.FIRST_COMMENT)
    links = Comment(hold_reason=HoldReason.TOO_MANY_LINKS)
    assert "Once one of your comments is approved" in rules.hold_explanation(first, discussion)
    assert "more than 2 links" in rules.hold_explanation(links, discussion)


def test_clean_body_strips_control_and_invisible_characters_but_keeps_joiners():
    text = "a\x00b\x07c\r\nd\u202eevil\u200b 👩\u200d💻"
    assert rules.clean_body(text) == "abc\ndevil 👩\u200d💻"
