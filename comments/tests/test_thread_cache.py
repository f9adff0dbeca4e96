"""The page of threads is cached for readers to whom it is the same, and only for them.

Visitors share one copy and members with no comment on the post share another
(their Reply links); authors of a comment on the post, community moderators
and editors always get theirs rendered, with their held comments, Edit and
Remove buttons and CSRF tokens.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from comments.models import Comment
from comments.services import comment_submit
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
)
from testing.queries import count_queries

pytestmark = pytest.mark.django_db


def page_of(client, post):
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def post():
    post = PostFactory(title="Learning histories")
    parent = CommentFactory(post=post, body="The first thought of the thread.")
    CommentFactory(post=post, parent=parent, thread_root=parent, depth=1, body="A reply to it.")
    return post


def test_members_without_comments_share_the_page_of_threads(post):
    first, second = client_for(UserFactory()), client_for(UserFactory())
    cold = count_queries(first, post.get_absolute_url()).count
    warm = count_queries(second, post.get_absolute_url()).count
    assert warm <= cold - 3  # the count, the top-level comments and the replies
    page = page_of(second, post)
    assert "A reply to it." in page
    assert "replyto=" in page  # members may reply


def test_the_shared_page_of_threads_holds_no_csrf_token_and_no_remove_form(post):
    page = page_of(client_for(UserFactory()), post)
    threads = page[page.index('class="comment-list"') : page.index('id="respond-home"')]
    assert "csrfmiddlewaretoken" not in threads
    assert "comment-remove-form" not in threads


def test_visitors_get_no_reply_links_even_after_a_member_filled_the_cache(post):
    page_of(client_for(UserFactory()), post)
    page = page_of(Client(), post)
    assert "The first thought of the thread." in page
    assert "replyto=" not in page


def test_an_author_sees_their_held_comment_and_the_others_do_not(post):
    author = UserFactory()
    held = comment_submit(post=post, author=author, body="My first words here, held.")
    assert held.status == Comment.Status.PENDING
    page_of(client_for(UserFactory()), post)  # another member fills the shared copy

    mine = page_of(client_for(author), post)
    assert "My first words here, held." in mine
    assert "Your comment is awaiting moderation." in mine
    assert "My first words here, held." not in page_of(client_for(UserFactory()), post)
    assert "My first words here, held." not in page_of(Client(), post)


def test_an_author_gets_edit_and_remove_on_their_own_comment(post):
    author = UserFactory()
    CommentFactory(post=post, author=author, body="Mine, approved.")
    page_of(client_for(UserFactory()), post)
    page = page_of(client_for(author), post)
    own = reverse("comments:remove", kwargs={"comment_id": Comment.objects.get(body="Mine, approved.").pk})
    assert own in page
    assert "csrfmiddlewaretoken" in page[page.index(own) :]


def test_community_moderators_and_editors_keep_their_remove_buttons(post):
    owner = UserFactory()
    community = CommunityFactory(owner=owner)
    moderator = MembershipFactory(community=community, role=Membership.Role.MODERATOR).member
    community_post = PostFactory(community=community, title="Circle notes")
    CommentFactory(post=community_post, body="A member's remark.")
    page_of(client_for(MembershipFactory(community=community).member), community_post)  # shared copy

    for reader in (moderator, owner, EditorFactory()):
        page = page_of(client_for(reader), community_post)
        assert "comment-remove-form" in page, reader
        assert "A member's remark." in page


def test_a_comment_approved_later_shows_on_the_shared_page_at_once(post):
    held = comment_submit(post=post, author=UserFactory(), body="Waiting for an editor.")
    reader = client_for(UserFactory())
    assert "Waiting for an editor." not in page_of(reader, post)
    editor = client_for(EditorFactory())
    editor.post(reverse("comments:moderate"), {"action": "approve", "ids": [held.pk]})
    assert "Waiting for an editor." in page_of(reader, post)


def test_each_language_has_its_own_copy(post, settings):
    """The copy holds translated words (Reply, Replies to...): another language renders its own."""
    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    reader = client_for(UserFactory())

    def queries_in(language):
        with CaptureQueriesContext(connection) as queries:
            reader.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
        return len(queries)

    english_cold = queries_in("en")
    english_warm = queries_in("en")
    spanish_cold = queries_in("es")
    assert english_warm < english_cold
    assert spanish_cold >= english_warm + 3


def test_a_moderators_own_cached_copy_carries_a_working_csrf_token(post):
    """Their copy is cached with a placeholder; the token of each request takes its place."""
    editor = EditorFactory()
    client = client_for(editor, enforce_csrf_checks=True)
    target = Comment.objects.get(body="A reply to it.")
    remove = reverse("comments:remove", kwargs={"comment_id": target.pk})

    first, second = (count_queries(client, post.get_absolute_url()) for _ in range(2))
    assert first.count > second.count  # the second copy came from the cache
    page = page_of(client, post)
    assert "csrfTokenPlaceholder" not in page
    form = page[page.index(f'action="{remove}"') :]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    response = client.post(remove, {"csrfmiddlewaretoken": token, "reason": "Off topic."})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_removed


def test_members_never_see_another_members_copy(post):
    author = UserFactory(display_name="Ada Author")
    held = comment_submit(post=post, author=author, body="Ada's held thought.")
    assert held.status == Comment.Status.PENDING
    page_of(client_for(author), post)
    page_of(client_for(author), post)  # cached for Ada
    other = UserFactory()
    CommentFactory(post=post, author=other, body="Another member's approved remark.")
    assert "Ada's held thought." not in page_of(client_for(other), post)
