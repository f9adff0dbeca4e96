"""Threads on the post page: nesting, depth, pages of threads, permalinks, placeholders, replying."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from blog.models import Post
from comments.models import Comment, DiscussionSettings
from comments.services import comment_remove, comment_return
from testing.comments import post_comment, started
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory
from testing.factories.accounts import PASSWORD
from testing.worlds import trusted_member

pytestmark = pytest.mark.django_db


def comment(post, parent=None, **kwargs):
    """An approved comment (or reply) with its thread fields set as ``comment_submit`` sets them."""
    if parent is not None:
        kwargs.update(
            parent=parent, thread_root_id=parent.thread_root_id or parent.pk, depth=parent.depth + 1
        )
    return CommentFactory(post=post, **kwargs)


def discussion(**changes):
    settings_row = DiscussionSettings.load()
    for name, value in changes.items():
        setattr(settings_row, name, value)
    settings_row.save()
    return settings_row


class _CommentTree(HTMLParser):
    """Maps each rendered comment id to the id of the comment whose <li> encloses it (None at the top)."""

    def __init__(self):
        super().__init__()
        self.open_items = []
        self.parent_of = {}

    def handle_starttag(self, tag, attrs):
        if tag != "li":
            return
        element_id = dict(attrs).get("id") or ""
        pk = int(element_id.removeprefix("comment-")) if element_id.startswith("comment-") else None
        if pk is not None:
            self.parent_of[pk] = next((p for p in reversed(self.open_items) if p is not None), None)
        self.open_items.append(pk)

    def handle_endtag(self, tag):
        if tag == "li":
            self.open_items.pop()


def tree(page):
    parser = _CommentTree()
    parser.feed(page)
    return parser.parent_of


def get(client, post, query=""):
    response = client.get(post.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_reply_to_a_reply_nests_under_it(client):
    post = PostFactory()
    top = comment(post, body="Top-level thought")
    client.force_login(trusted_member(display_name="Replier"))
    post_comment(client, post, "First reply", parent=top.pk)
    first = Comment.objects.get(body="First reply")
    page = post_comment(client, post, "Reply to the reply", parent=first.pk).content.decode()
    second = Comment.objects.get(body="Reply to the reply")
    assert (first.parent_id, first.thread_root_id, first.depth) == (top.pk, top.pk, 1)
    assert (second.parent_id, second.thread_root_id, second.depth) == (first.pk, top.pk, 2)
    assert tree(page) == {top.pk: None, first.pk: top.pk, second.pk: first.pk}
    assert 'class="comment-replies"' in page and "Replies to Replier" in page


def test_replies_beyond_the_thread_depth_join_the_deepest_level(client):
    discussion(thread_depth=3)
    post = PostFactory()
    a = comment(post)
    b = comment(post, parent=a)
    c = comment(post, parent=b)  # depth 2: the deepest level
    client.force_login(trusted_member())
    page = post_comment(client, post, "Deeper still", parent=c.pk).content.decode()
    deeper = Comment.objects.get(body="Deeper still")
    assert (deeper.parent_id, deeper.depth) == (b.pk, 2)
    assert tree(page)[deeper.pk] == b.pk
    assert tree(page)[c.pk] == b.pk


def test_the_reply_link_is_absent_at_the_deepest_level_and_when_comments_are_closed(client):
    discussion(thread_depth=2)
    post = PostFactory()
    top = comment(post)
    deepest = comment(post, parent=top)
    client.force_login(UserFactory())
    page = get(client, post)
    assert f"replyto={top.pk}#respond" in page
    assert f"replyto={deepest.pk}#respond" not in page

    Post.objects.filter(pk=post.pk).update(comments_open=False)
    page = get(client, post)
    assert "replyto=" not in page
    assert "Comments are closed on this post." in page
    assert 'id="comment-form"' not in page


def test_comments_close_after_the_sites_limit(client):
    discussion(close_after_days=30)
    old = PostFactory(publish_at=PostFactory().publish_at.replace(year=2000))
    comment(old)
    client.force_login(UserFactory())
    page = get(client, old)
    assert "Comments are closed on this post." in page and "replyto=" not in page


def test_replyto_without_javascript_renders_the_form_as_a_reply(client):
    post = PostFactory()
    top = comment(post, author=UserFactory(display_name="Ada <Lovelace>"))
    client.force_login(UserFactory())
    page = get(client, post, f"?replyto={top.pk}")
    assert "Replying to Ada &lt;Lovelace&gt;" in page
    assert f'name="parent" value="{top.pk}"' in page
    assert "Cancel reply" in page
    # Anything else is ignored, never an error.
    for bad in ("abc", "999999", ""):
        page = get(client, post, f"?replyto={bad}")
        assert "Replying to" not in page.replace('data-label="Replying to {name}"', "")


def test_a_failed_reply_comes_back_as_a_reply_with_the_text(client):
    post = PostFactory()
    top = comment(post, author=UserFactory(display_name="Grace"))
    client.force_login(trusted_member())
    response = post_comment(
        client, post, "Quick answer", follow_redirects=False, parent=top.pk, started=started(seconds_ago=0)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "faster than anyone can write" in page
    assert "Replying to Grace" in page and f'name="parent" value="{top.pk}"' in page
    assert "Quick answer</textarea>" in page


def test_a_reply_to_a_comment_of_another_post_is_a_form_error(client):
    post, other = PostFactory(), PostFactory()
    elsewhere = comment(other)
    client.force_login(trusted_member())
    response = post_comment(client, post, "Misplaced reply", follow_redirects=False, parent=elsewhere.pk)
    page = response.content.decode()
    assert response.status_code == 400
    assert "You can only reply to a published comment on this post." in page
    assert "Misplaced reply</textarea>" in page
    assert not Comment.objects.filter(body="Misplaced reply").exists()


def test_a_reply_to_a_rejected_comment_is_a_form_error(client):
    post = PostFactory()
    rejected = comment(post, status=Comment.Status.REJECTED)
    client.force_login(trusted_member())
    response = post_comment(client, post, "Answering the void", follow_redirects=False, parent=rejected.pk)
    assert response.status_code == 400
    assert "You can only reply to a published comment on this post." in response.content.decode()
    assert not Comment.objects.filter(body="Answering the void").exists()


def test_threads_are_paginated_by_top_level_comment(client):
    discussion(comments_per_page=2)
    post = PostFactory()
    tops = [comment(post, body=f"Thread {n}") for n in range(1, 6)]
    replies = [comment(post, parent=top, body=f"Reply in thread {n}") for n, top in enumerate(tops, 1)]
    page = get(client, post)
    assert "Thread 1" in page and "Thread 2" in page and "Reply in thread 2" in page
    assert "Thread 3" not in page and "Reply in thread 3" not in page
    assert "10 comments" in page  # the count line counts the whole discussion
    assert "?cpage=2#comments" in page and "Newer comments" in page

    page = get(client, post, "?cpage=3")
    assert "Thread 5" in page and "Reply in thread 5" in page and "Thread 1" not in page
    assert tree(page) == {tops[4].pk: None, replies[4].pk: tops[4].pk}

    # Out-of-range pages go to the nearest page; unreadable ones to the first: never an error.
    assert "Thread 5" in get(client, post, "?cpage=99")
    assert "Thread 1" in get(client, post, "?cpage=0")
    assert "Thread 1" in get(client, post, "?cpage=-4")
    assert "Thread 1" in get(client, post, "?cpage=abc")
    assert "Thread 1" in get(client, post, "?cpage=" + "9" * 5000)


def test_newest_first_opens_on_the_last_page(client):
    discussion(comments_per_page=2, newest_first=True)
    post = PostFactory()
    for n in range(1, 6):
        comment(post, body=f"Thread {n}")
    page = get(client, post)
    assert "Thread 5" in page and "Thread 4" not in page and "Older comments" in page
    assert "Thread 1" in get(client, post, "?cpage=1")
    assert "Thread 5" in get(client, post, "?cpage=abc")


def test_the_permalink_redirects_to_the_page_that_holds_the_comment(client):
    discussion(comments_per_page=2)
    post = PostFactory()
    tops = [comment(post) for _ in range(3)]
    deep = comment(post, parent=comment(post, parent=tops[2]))
    response = client.get(reverse("comments:permalink", kwargs={"comment_id": deep.pk}))
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}?cpage=2#comment-{deep.pk}"
    response = client.get(tops[0].get_absolute_url())
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{tops[0].pk}"

    discussion(comments_per_page=2, newest_first=True)
    assert client.get(deep.get_absolute_url())["Location"] == f"{post.get_absolute_url()}#comment-{deep.pk}"
    assert client.get(tops[0].get_absolute_url())["Location"] == (
        f"{post.get_absolute_url()}?cpage=1#comment-{tops[0].pk}"
    )


def test_permalinks_of_comments_a_member_may_not_see_are_404(client):
    post = PostFactory()
    rejected = comment(post, status=Comment.Status.REJECTED)
    held = comment(post, author=UserFactory(), status=Comment.Status.PENDING)
    on_draft = comment(PostFactory(status=Post.Status.DRAFT))
    client.force_login(UserFactory())
    for hidden in (rejected, held, on_draft):
        assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("comments:permalink", kwargs={"comment_id": 424242})).status_code == 404


def test_a_signed_out_reader_of_an_emailed_link_signs_in_and_lands_on_the_comment(client):
    """The "edit your comment" link of a sent-back email, opened signed out (a phone's mail app)."""
    post = PostFactory()
    member = UserFactory()
    held = comment(post, author=member, status=Comment.Status.PENDING)
    response = client.get(held.get_absolute_url())
    login = reverse("account_login")
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next={held.get_absolute_url()}"
    # The same answer for any id: it tells nothing of what exists.
    missing = reverse("comments:permalink", kwargs={"comment_id": 424242})
    assert client.get(missing)["Location"] == f"{login}?next={missing}"

    signed_in = client.post(
        response["Location"], {"login": member.username, "password": PASSWORD}, follow=False
    )
    assert signed_in["Location"] == held.get_absolute_url()
    assert client.get(held.get_absolute_url())["Location"] == f"{post.get_absolute_url()}#comment-{held.pk}"


def test_a_reply_whose_parent_was_rejected_still_shows_under_a_placeholder(client):
    post = PostFactory()
    top = comment(post, body="Visible top")
    rejected = comment(post, parent=top, body="Rejected middle", status=Comment.Status.REJECTED)
    reply = comment(post, parent=rejected, body="Reply to the rejected one")
    spam_root = comment(post, body="Spam at the top", status=Comment.Status.SPAM)
    answer = comment(post, parent=spam_root, body="Answer to the spam")
    unanswered = comment(post, body="Unanswered spam", status=Comment.Status.SPAM)
    page = get(client, post)
    assert "Reply to the rejected one" in page and "Answer to the spam" in page
    assert page.count("This comment is no longer shown") == 2
    for hidden in ("Rejected middle", "Spam at the top", "Unanswered spam"):
        assert hidden not in page
    assert tree(page) == {
        top.pk: None,
        rejected.pk: top.pk,
        reply.pk: rejected.pk,
        spam_root.pk: None,
        answer.pk: spam_root.pk,
    }
    assert unanswered.pk not in tree(page)
    # The reply's permalink finds the thread of the placeholder.
    assert client.get(answer.get_absolute_url())["Location"].endswith(f"#comment-{answer.pk}")


def test_removed_comments_leave_a_placeholder_and_their_replies_stay(client):
    post = PostFactory()
    author = UserFactory(display_name="Regretful")
    own = comment(post, author=author, body="I take this back")
    reply_to_own = comment(post, parent=own, body="Reply under the author's removal")
    rude = comment(post, body="Something rude")
    reply_to_rude = comment(post, parent=rude, body="Reply under the moderator's removal")
    comment_remove(comment=own, actor=author)
    comment_remove(comment=rude, actor=EditorFactory(), reason="Personal attack <b>not allowed</b>")
    page = get(client, post)
    assert "Comment removed by its author" in page
    assert "Comment removed by a moderator: Personal attack &lt;b&gt;not allowed&lt;/b&gt;" in page
    assert "I take this back" not in page and "Something rude" not in page and "Regretful" not in page
    assert tree(page) == {own.pk: None, reply_to_own.pk: own.pk, rude.pk: None, reply_to_rude.pk: rude.pk}
    assert f"replyto={own.pk}" not in page and f"replyto={rude.pk}" not in page
    assert "2 comments" in page


def test_a_held_comment_is_shown_to_its_author_with_the_reason(client):
    post = PostFactory()
    member = UserFactory()
    client.force_login(member)
    page = post_comment(client, post, "My very first thought.").content.decode()
    assert "Your comment is awaiting moderation." in page
    assert "Your first comment is read by an editor before it appears." in page
    held = Comment.objects.get()
    assert f"replyto={held.pk}" not in page  # no replies to a held comment

    comment_return(comment=held, moderator=EditorFactory(), note="Please add a <source>.")
    page = get(client, post)
    assert "An editor sent this comment back to you: revise it and send it again." in page
    # Sent back, it waits for its author, not for a moderator.
    assert "Sent back to you for revision" in page
    assert "awaiting moderation" not in page
    assert "Please add a &lt;source&gt;." in page
    assert "Edit and resubmit" in page and reverse("comments:edit", kwargs={"comment_id": held.pk}) in page

    client.force_login(UserFactory())
    page = get(client, post)
    assert "My very first thought." not in page and "Please add a" not in page


def test_the_comment_section_loads_its_script_and_hides_the_honeypot(client):
    post = PostFactory()
    client.force_login(UserFactory())
    page = get(client, post)
    assert '<script src="/static/comments/comments.js" defer></script>' in page
    assert '<div class="visually-hidden" aria-hidden="true">' in page
    section = page[page.index('<div class="visually-hidden" aria-hidden="true">') :]
    assert section.index('name="website"') < section.index("</div>")
    for field in ('name="started"', 'name="parent"', 'name="follow"', 'name="body"'):
        assert field in page
    assert '<link rel="alternate" type="application/rss+xml"' in page
