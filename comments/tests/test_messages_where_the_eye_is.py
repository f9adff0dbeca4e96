"""After a comment is sent, the page lands where the answer is, and the answer is there.

A refused or invalid comment comes back at the form (``#respond``), its error
inside the form and its text kept; the page's language switcher then leads to
the post's page, never back to the form's address, which takes only POSTs. A
comment published, held, edited or removed lands on the comment
(``#comment-<id>``), and the message is beside it in a ``role="status"`` box,
not at the top of the page; no cached copy keeps it. The browser side (the
page's scroll and focus) is in portal/tests/browser/test_forms.py.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, DiscussionSettings
from testing.clients import client_for
from testing.comments import comment_data, post_comment, started
from testing.factories import CommentFactory, CommunityFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" id="comment-form"')
RESPOND = re.compile(r'<div id="respond".*?</form>', re.S)
LANGUAGE_NEXT = re.compile(
    r'<form method="post" action="/language/es/"[^>]*>.*?name="next" value="([^"]*)"', re.S
)


@pytest.fixture
def trusted():
    """A member whose comments are published at once (one approved comment, days old)."""
    member = UserFactory(display_name="Tess Trusted")
    earlier = CommentFactory(author=member)
    Comment.objects.filter(pk=earlier.pk).update(created=timezone.now() - timedelta(days=3))
    return member


@pytest.fixture
def post():
    return PostFactory(title="Reflective practice", body="Notes on Schön.")


def send(client, post, data):
    return client.post(reverse("comments:post", kwargs={"post_id": post.pk}), data)


def top_of_page(page):
    """What sits above the article: the messages at the top of <main>, before the post's title."""
    return page.split('<main id="main"', 1)[1].split('<article class="post"', 1)[0]


def respond_box(page):
    found = RESPOND.search(page)
    assert found, "no comment form on the page"
    return found[0]


# --- 6: a refused or invalid comment lands on the form --------------------------------


def refusal(case):
    """The form's data for each way a comment is refused or invalid; the message; the text kept."""
    if case == "too fast":
        return (
            comment_data("Quick thought", started=started(seconds_ago=0)),
            "faster than anyone",
            "Quick thought",
        )
    if case == "empty":
        return comment_data("   "), "Write something before posting", None
    if case == "expired form":
        return comment_data("Old tab", started="1700000000:forged"), "The form had expired", "Old tab"
    rules = DiscussionSettings.load()  # "rate limit": one comment a minute, and one was just sent
    rules.rate_per_minute = 1
    rules.save()
    return comment_data("Second of two"), "1 comment a minute", "Second of two"


@pytest.mark.parametrize("case", ["too fast", "empty", "expired form", "rate limit"])
def test_a_refused_comment_lands_on_the_form_with_its_message_beside_it(trusted, post, case):
    client = client_for(trusted)
    data, message, kept = refusal(case)
    if case == "rate limit":
        assert send(client, post, comment_data("First of two")).status_code == 302

    response = send(client, post, data)

    assert response.status_code == 400
    page = response.content.decode()
    # The browser lands on the form: its action carries the anchor of the form's box.
    action = FORM_ACTION.search(page)[1]
    assert action == reverse("comments:post", kwargs={"post_id": post.pk}) + "#respond"
    box = respond_box(page)
    assert message in box, "the message is in the form's box, where the page lands"
    assert message not in top_of_page(page)
    if kept:
        assert re.search(rf">\s*{kept}</textarea>", box), "the text is kept"
    # What takes the focus (comments.js): the error box, or the field in error.
    if case == "empty":
        assert re.search(r'<textarea[^>]*aria-invalid="true"', box)
    else:
        assert '<div id="comment-form-errors" class="alert alert-danger" role="alert" tabindex="-1">' in box


# --- 15: the language switcher on the page of a refused comment -------------------------


def test_the_language_switcher_on_a_refused_comment_leads_to_the_posts_page(trusted, post):
    client = client_for(trusted)
    page = send(client, post, comment_data("Quick thought", started=started(seconds_ago=0))).content.decode()

    next_url = LANGUAGE_NEXT.search(page)[1]
    assert next_url == post.get_absolute_url() + "#respond"
    response = client.post(reverse("switch_language", kwargs={"code": "es"}), {"next": next_url}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(post.get_absolute_url() + "#respond", 302)]
    assert 'lang="es"' in response.content.decode()


@pytest.mark.parametrize("signed_in", [True, False], ids=["member", "visitor"])
def test_a_next_naming_the_comment_forms_address_leads_to_the_post_never_to_a_405(trusted, post, signed_in):
    client = client_for(trusted if signed_in else None)
    form_address = reverse("comments:post", kwargs={"post_id": post.pk})

    response = client.get(
        reverse("switch_language", kwargs={"code": "es"}), {"next": form_address}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(post.get_absolute_url() + "#respond", 302)]


def test_a_next_naming_the_form_of_a_post_the_reader_cannot_see_leads_home(post):
    hidden = PostFactory(title="Circle minutes", community=CommunityFactory(), visibility="members")
    form_address = reverse("comments:post", kwargs={"post_id": hidden.pk})

    response = Client().get(reverse("switch_language", kwargs={"code": "es"}), {"next": form_address})

    assert response["Location"] == "/"


def test_any_page_answering_a_post_sends_the_language_switcher_back_to_the_form_it_came_from(trusted, post):
    """A refused removal is shown at its own address (POST only): ``next`` is the page it came from."""
    comment = CommentFactory(post=post, author=trusted)
    client = client_for(trusted)

    response = client.post(
        reverse("comments:remove", kwargs={"comment_id": comment.pk}),
        {"reason": "x" * 301},
        HTTP_REFERER="http://testserver" + post.get_absolute_url() + "?cpage=1",
    )

    assert response.status_code == 400
    assert LANGUAGE_NEXT.search(response.content.decode())[1] == post.get_absolute_url() + "?cpage=1"


# --- 18: a message about a comment is beside it ----------------------------------------


def notice_in_comment(page, comment):
    """The text of the status box first in the comment's <li>, or None."""
    found = re.search(
        rf'<li id="comment-{comment.pk}"[^>]*><div class="comment-notice alert alert-(\w+) py-2 mb-2" '
        r'role="status" tabindex="-1">([^<]*)</div>',
        page,
    )
    return (found[1], found[2]) if found else None


def test_a_published_comment_lands_with_its_thanks_beside_it(trusted, post):
    client = client_for(trusted)

    response = post_comment(client, post, "Double-loop learning needs safety.")

    comment = Comment.objects.get(post=post)
    assert response.redirect_chain[-1][0].endswith(f"#comment-{comment.pk}")
    page = response.content.decode()
    assert notice_in_comment(page, comment) == ("success", "Thanks, your comment is published.")
    assert "Thanks, your comment is published." not in top_of_page(page)
    # Said once, then gone; nobody else's page, nor the member's next one, carries it.
    assert "Thanks, your comment is published." not in client.get(post.get_absolute_url()).content.decode()
    assert "Thanks, your comment is published." not in Client().get(post.get_absolute_url()).content.decode()


def test_a_held_comment_lands_with_the_reason_beside_it(post):
    client = client_for(UserFactory())

    response = post_comment(client, post, "My very first comment.")

    comment = Comment.objects.get(post=post)
    assert comment.status == Comment.Status.PENDING
    level, text = notice_in_comment(response.content.decode(), comment)
    assert level == "info" and text.startswith("Thanks! Your comment is awaiting moderation.")


def test_an_edit_lands_with_its_message_beside_the_comment(trusted, post):
    comment = CommentFactory(post=post, author=trusted, body="First version.")
    client = client_for(trusted)

    response = client.post(
        reverse("comments:edit", kwargs={"comment_id": comment.pk}), {"body": "Second version."}, follow=True
    )

    assert notice_in_comment(response.content.decode(), comment) == ("success", "Your comment is updated.")


def test_cached_threads_never_carry_the_message(trusted, post, settings):
    settings.MEMBER_PAGE_CACHE_SECONDS = 300
    client = client_for(trusted)
    client.get(post.get_absolute_url())  # the member's copy of the threads and page is cached

    post_comment(client, post, "Written after the page was cached.")

    for _ in range(2):
        page = client.get(post.get_absolute_url()).content.decode()
        assert "Written after the page was cached." in page
        assert "comment-notice" not in page


def test_on_another_page_the_message_is_with_the_others_at_the_top(trusted, post):
    client = client_for(trusted)
    post_comment(client, post, "Then I went elsewhere.", follow_redirects=False)

    page = client.get(reverse("blog:home")).content.decode()

    assert re.search(r'<div class="alert alert-success">Thanks, your comment is published.</div>', page)
