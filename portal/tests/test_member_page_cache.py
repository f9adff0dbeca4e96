"""Signed-in members' own cached pages (portal.middleware.MemberPageCacheMiddleware).

Each test makes a member's page cached (their second request is a hit),
changes something the page shows (through the views and services people
use), then asserts what the member's next request shows. The CSRF tests
submit with Django's checks enforced, the way a browser does.
"""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as membership_services
from accounts.models import Membership
from blog.models import Post
from comments.forms import FORM_STARTED_SALT
from comments.models import Comment, ThreadSubscription
from comments.services import comment_submit
from testing.clients import client_for
from testing.comments import comment_data
from testing.factories import CommentFactory, CommunityFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
STARTED = re.compile(r'name="started" value="([^"]+)"')


@pytest.fixture(autouse=True)
def member_page_cache_on(settings):
    settings.MEMBER_PAGE_CACHE_SECONDS = 300


@pytest.fixture
def post():
    return PostFactory(title="Learning from near misses", body="What the incident reports taught us.")


def cached_page(client, url):
    """Request ``url`` twice; asserts the second answer is the member's cached copy."""
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit", f"{url} was not cached for the member"
    return second.content.decode()


def tokens(page):
    return TOKEN.findall(page)


# --- what a hit serves, and to whom ------------------------------------------


def test_a_members_second_request_is_their_own_page_with_two_queries(post, django_assert_num_queries):
    mina = UserFactory(display_name="Mina Member")
    client = client_for(mina)
    assert client.get(post.get_absolute_url())["X-Page-Cache"] == "miss"
    with django_assert_num_queries(2):  # the session and the member, as on any signed-in request
        response = client.get(post.get_absolute_url())
    page = response.content.decode()
    assert response["X-Page-Cache"] == "hit"
    assert "Mina Member" in page
    assert "Learning from near misses" in page
    assert tokens(page), "the comment form and the sign-out form keep their CSRF tokens"


def test_members_never_see_each_others_copies(post):
    cached_page(client_for(UserFactory(display_name="Mina Member")), post.get_absolute_url())
    response = client_for(UserFactory(display_name="Otto Other")).get(post.get_absolute_url())
    page = response.content.decode()
    assert response["X-Page-Cache"] == "miss"
    assert "Otto Other" in page and "Mina Member" not in page


def test_visitors_never_get_a_members_copy(post, settings):
    settings.PAGE_CACHE_SECONDS = 600
    cached_page(client_for(UserFactory(display_name="Mina Member")), post.get_absolute_url())
    page = Client().get(post.get_absolute_url()).content.decode()
    assert "Mina Member" not in page
    assert "csrfmiddlewaretoken" not in page


def test_the_cached_page_carries_a_token_that_works_in_the_members_other_browser(post):
    mina = UserFactory()
    laptop = client_for(mina, enforce_csrf_checks=True)
    phone = client_for(mina, enforce_csrf_checks=True)
    cached_page(laptop, post.get_absolute_url())

    phone_page = phone.get(post.get_absolute_url())
    assert phone_page["X-Page-Cache"] == "hit"  # filled by the laptop
    page = phone_page.content.decode()
    response = phone.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        {
            "body": "Sent from my phone.",
            "language": "en",
            "csrfmiddlewaretoken": tokens(page)[0],
            "started": started_stamp_seconds_ago(page, 10),
        },
    )
    assert response.status_code == 302
    assert Comment.objects.filter(post=post, author=mina, body="Sent from my phone.").exists()


def started_stamp_seconds_ago(page, seconds):
    """The page's "shown at" stamp, checked to be fresh, then re-signed as if shown ``seconds`` ago."""
    shown_at = signing.loads(STARTED.search(page).group(1), salt=FORM_STARTED_SALT)
    assert abs(shown_at - time.time()) < 2
    return signing.dumps(shown_at - seconds, salt=FORM_STARTED_SALT)


def test_a_cached_comment_form_is_stamped_when_served_so_the_too_fast_check_still_works(post):
    client = client_for(UserFactory(), enforce_csrf_checks=True)
    client.get(post.get_absolute_url())
    time.sleep(1.1)
    page = client.get(post.get_absolute_url()).content.decode()
    shown_at = signing.loads(STARTED.search(page).group(1), salt=FORM_STARTED_SALT)
    assert time.time() - shown_at < 1, "the stamp is the hit's, not the cached render's"
    response = client.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        {
            "body": "Sent at once by a script.",
            "language": "en",
            "csrfmiddlewaretoken": tokens(page)[0],
            "started": STARTED.search(page).group(1),
        },
    )
    assert response.status_code == 400
    assert not Comment.objects.filter(body="Sent at once by a script.").exists()
    assert "Sent at once by a script." in response.content.decode()


def test_each_language_has_its_own_copy(post):
    client = client_for(UserFactory())
    cached_page(client, post.get_absolute_url())
    spanish = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es")
    assert spanish["X-Page-Cache"] == "miss"
    assert 'lang="es"' in spanish.content.decode()


def test_it_can_be_turned_off(post, settings):
    settings.MEMBER_PAGE_CACHE_SECONDS = 0
    client = client_for(UserFactory())
    client.get(post.get_absolute_url())
    assert "X-Page-Cache" not in client.get(post.get_absolute_url())


# --- what the member does ------------------------------------------------------


def test_following_a_discussion_shows_at_once(post):
    client = client_for(UserFactory())
    assert "Follow this discussion" in cached_page(client, post.get_absolute_url())

    client.post(reverse("comments:follow", kwargs={"post_id": post.pk}))

    page = client.get(post.get_absolute_url()).content.decode()
    assert "Follow this discussion" not in page
    assert "Unfollow" in page


def test_a_subscription_changed_by_someone_else_shows_at_once(post):
    mina = UserFactory()
    client = client_for(mina)
    assert "Follow this discussion" in cached_page(client, post.get_absolute_url())

    ThreadSubscription.objects.create(post=post, member=mina)  # e.g. an editor's import, a task

    assert "Unfollow" in client.get(post.get_absolute_url()).content.decode()


def test_a_members_new_comment_shows_as_held_and_the_message_is_not_lost(post):
    client = client_for(UserFactory())
    cached_page(client, post.get_absolute_url())

    response = client.post(
        reverse("comments:post", kwargs={"post_id": post.pk}),
        comment_data("My first thought here."),
        follow=True,
    )

    page = response.content.decode()
    assert "My first thought here." in page
    assert 'class="messages"' in page  # the confirmation, not a cached page without it
    assert response.get("X-Page-Cache") != "hit"


def test_a_comment_in_its_edit_window_keeps_the_page_out_of_the_cache(post):
    mina = UserFactory()
    CommentFactory(post=post, author=mina, body="Still editable.")
    client = client_for(mina)
    client.get(post.get_absolute_url())
    response = client.get(post.get_absolute_url())
    assert "X-Page-Cache" not in response
    assert (
        reverse("comments:edit", kwargs={"comment_id": post.comments.get().pk}) in response.content.decode()
    )


def test_a_comment_past_its_edit_window_is_cached(post):
    mina = UserFactory()
    comment = CommentFactory(post=post, author=mina, body="Written last week.")
    Comment.objects.filter(pk=comment.pk).update(created=timezone.now() - timedelta(days=7))
    page = cached_page(client_for(mina), post.get_absolute_url())
    assert "Written last week." in page
    assert reverse("comments:edit", kwargs={"comment_id": comment.pk}) not in page


# --- what others do -------------------------------------------------------------


def test_another_members_approved_comment_shows_at_once(post):
    client = client_for(UserFactory())
    cached_page(client, post.get_absolute_url())
    held = comment_submit(post=post, author=UserFactory(), body="An answer from the floor.")
    editor = client_for(EditorFactory())
    editor.post(reverse("comments:moderate"), {"action": "approve", "ids": [held.pk]})
    assert "An answer from the floor." in client.get(post.get_absolute_url()).content.decode()


def test_a_member_removed_from_a_community_loses_its_members_only_post_at_once():
    owner = UserFactory()
    community = CommunityFactory(owner=owner)
    post = PostFactory(
        title="Our private retrospective", community=community, visibility=Post.Visibility.MEMBERS
    )
    mina = UserFactory()
    membership_services.membership_join(community=community, member=mina)
    membership = Membership.objects.get(community=community, member=mina)
    if membership.status != Membership.Status.ACTIVE:
        membership_services.membership_approve(membership=membership, actor=owner)
        membership.refresh_from_db()
    client = client_for(mina)
    assert "Our private retrospective" in cached_page(client, post.get_absolute_url())

    membership_services.membership_remove(membership=membership, actor=owner)

    assert client.get(post.get_absolute_url()).status_code == 404


def test_a_member_made_editor_through_a_group_sees_the_admin_link_at_once(post):
    mina = UserFactory(is_staff=True)
    client = client_for(mina)
    admin_link = reverse("admin:index")
    assert admin_link in cached_page(client, post.get_absolute_url())  # staff see the editor's desk
    audit_link = reverse("comments:audit")
    assert audit_link not in client.get(post.get_absolute_url()).content.decode()

    auditors = Group.objects.create(name="Auditors")
    mina.groups.add(auditors)
    auditors.permissions.add(Permission.objects.get(codename="view_moderationevent"))

    assert audit_link in client.get(post.get_absolute_url()).content.decode()


def test_signing_out_and_in_as_someone_else_in_the_same_browser(post):
    client = client_for(UserFactory(display_name="Mina Member"))
    cached_page(client, post.get_absolute_url())
    client.post(reverse("account_logout"))
    client.force_login(UserFactory(display_name="Otto Other"))
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Otto Other" in page and "Mina Member" not in page


def test_a_refused_post_leaves_the_members_pages_cached(post):
    mina = UserFactory()
    client = client_for(mina, enforce_csrf_checks=True)
    cached_page(client, post.get_absolute_url())

    forged = client.post(reverse("comments:follow", kwargs={"post_id": post.pk}))  # no CSRF token

    assert forged.status_code == 403
    mina.refresh_from_db()
    assert mina.page_version == 0
    assert client.get(post.get_absolute_url())["X-Page-Cache"] == "hit"
