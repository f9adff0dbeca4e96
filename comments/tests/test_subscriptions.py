"""Following discussions, the email settings page, the follow button and the unsubscribe link."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments import notifications
from comments.models import NotificationPreference, ThreadSubscription
from testing.clients import client_for
from testing.factories import CommentFactory, EditorFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def follow_url(post):
    return reverse("comments:follow", kwargs={"post_id": post.pk})


def unfollow_url(post):
    return reverse("comments:unfollow", kwargs={"post_id": post.pk})


def unsubscribe_url(member, kind, post=None):
    token = notifications.unsubscribe_token(member, kind, post=post)
    return reverse("comments:unsubscribe", kwargs={"token": token})


def follows(member, post):
    return ThreadSubscription.objects.filter(member=member, post=post).exists()


# --- Follow and unfollow ----------------------------------------------------


def test_following_a_discussion_redirects_back_to_the_post_with_a_message(client):
    post, member = PostFactory(), UserFactory()
    client.force_login(member)
    response = client.post(follow_url(post), follow=True)
    assert follows(member, post)
    assert response.redirect_chain[0][0] == f"{post.get_absolute_url()}#comments"
    assert "You follow this discussion" in response.content.decode()
    client.post(follow_url(post))  # twice is still one subscription
    assert ThreadSubscription.objects.filter(member=member, post=post).count() == 1


def test_unfollowing_goes_back_to_a_local_next_address_only(client):
    post, member = PostFactory(), UserFactory()
    ThreadSubscription.objects.create(post=post, member=member)
    client.force_login(member)
    response = client.post(unfollow_url(post), {"next": reverse("comments:preferences")})
    assert response.url == reverse("comments:preferences")
    assert not follows(member, post)
    response = client.post(follow_url(post), {"next": "https://evil.example/phish"})
    assert response.url == f"{post.get_absolute_url()}#comments"


@pytest.mark.parametrize("url", [follow_url, unfollow_url])
def test_follow_and_unfollow_take_only_post(client, url):
    client.force_login(UserFactory())
    assert client.get(url(PostFactory())).status_code == 405


@pytest.mark.parametrize("url", [follow_url, unfollow_url])
def test_follow_and_unfollow_need_a_signed_in_member(client, url):
    post = PostFactory()
    response = client.post(url(post))
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert not ThreadSubscription.objects.exists()


def test_a_forged_follow_without_the_csrf_token_is_refused():
    post, member = PostFactory(), UserFactory()
    client = client_for(member, enforce_csrf_checks=True)
    assert client.post(follow_url(post)).status_code == 403
    assert not follows(member, post)


@pytest.mark.parametrize("status", [Post.Status.DRAFT, "scheduled"])
def test_a_post_the_member_may_not_see_cannot_be_followed(client, status):
    if status == "scheduled":
        post = PostFactory(publish_at=timezone.now() + timedelta(days=3))
    else:
        post = PostFactory(status=status)
    member = UserFactory()
    client.force_login(member)
    assert client.post(follow_url(post)).status_code == 404
    assert client.post(follow_url(Post(pk=987654))).status_code == 404
    assert not ThreadSubscription.objects.exists()
    client.force_login(EditorFactory())  # staff see drafts, and may follow them
    assert client.post(follow_url(post)).status_code == 302


# --- The follow button ------------------------------------------------------

BUTTON = Template("{% load notification_tags %}{% follow_button post %}")


def render_button(post, user):
    request = RequestFactory().get(post.get_absolute_url() + "?page=2")
    request.user = user
    return BUTTON.render(Context({"request": request, "csrf_token": "token", "post": post}))


def test_the_follow_button_costs_one_query_and_says_what_it_does(django_assert_num_queries):
    """Guards an N+1 in the tag: whether the reader follows is one EXISTS query, nothing more."""
    post, member = PostFactory(), UserFactory()
    with django_assert_num_queries(1):
        html = render_button(post, member)
    assert "Follow this discussion" in html and follow_url(post) in html
    assert 'name="next" value="' + post.get_absolute_url() + '?page=2#comments"' in html
    ThreadSubscription.objects.create(post=post, member=member)
    with django_assert_num_queries(1):
        html = render_button(post, member)
    assert "Unfollow" in html and unfollow_url(post) in html


def test_visitors_see_no_follow_button_and_cost_no_query(django_assert_num_queries):
    post = PostFactory()
    with django_assert_num_queries(0):
        assert render_button(post, AnonymousUser()).strip() == ""


# --- Email settings ---------------------------------------------------------


def test_the_settings_page_needs_sign_in(client):
    response = client.get(reverse("comments:preferences"))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_the_settings_page_shows_the_switches_and_the_followed_discussions(client):
    member = UserFactory()
    followed, hidden = (
        PostFactory(title="Learning in public"),
        PostFactory(title="Secret draft", status="draft"),
    )
    for post in (followed, hidden):
        ThreadSubscription.objects.create(post=post, member=member)
    client.force_login(member)
    page = client.get(reverse("comments:preferences")).content.decode()
    for field in ("replies_to_me", "comments_on_my_posts", "my_comment_moderated"):
        assert f'name="{field}"' in page
    assert 'name="moderation_digest"' not in page  # only editors get digests
    assert "Learning in public" in page and unfollow_url(followed) in page
    assert "Secret draft" not in page

    client.force_login(EditorFactory())
    assert 'name="moderation_digest"' in client.get(reverse("comments:preferences")).content.decode()


def test_saving_the_settings_switches_kinds_off_and_on(client):
    member = UserFactory()
    client.force_login(member)
    response = client.post(
        reverse("comments:preferences"), {"replies_to_me": "on", "my_comment_moderated": "on"}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(member=member)
    assert (preference.replies_to_me, preference.comments_on_my_posts, preference.my_comment_moderated) == (
        True,
        False,
        True,
    )
    assert preference.moderation_digest  # not on a member's form: left as it was
    client.post(reverse("comments:preferences"), {"comments_on_my_posts": "on"})
    preference.refresh_from_db()
    assert (preference.replies_to_me, preference.comments_on_my_posts) == (False, True)
    assert NotificationPreference.objects.count() == 1
    client.post(reverse("comments:preferences"), {})  # every box unticked
    preference.refresh_from_db()
    assert not (
        preference.replies_to_me or preference.comments_on_my_posts or preference.my_comment_moderated
    )


# --- The unsubscribe link ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("reply", "replies_to_me"),
        ("post_comment", "comments_on_my_posts"),
        ("approved", "my_comment_moderated"),
        ("returned", "my_comment_moderated"),
        ("digest", "moderation_digest"),
    ],
)
def test_the_unsubscribe_link_confirms_on_get_and_switches_off_on_post(kind, field):
    member = UserFactory()
    url = unsubscribe_url(member, kind)
    client = Client()  # not signed in
    page = client.get(url)
    assert page.status_code == 200
    assert "Yes, stop these emails" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # GET changes nothing (link checkers open links)
    done = client.post(url)
    assert done.status_code == 200 and "Done" in done.content.decode()
    preference = NotificationPreference.objects.get(member=member)
    assert getattr(preference, field) is False
    others = {"replies_to_me", "comments_on_my_posts", "my_comment_moderated", "moderation_digest"} - {field}
    assert all(getattr(preference, other) for other in others)


def test_the_thread_unsubscribe_link_unfollows_that_discussion_only():
    member = UserFactory()
    post, other = PostFactory(title="Communities of practice"), PostFactory()
    for followed in (post, other):
        ThreadSubscription.objects.create(post=followed, member=member)
    url = unsubscribe_url(member, "thread", post=post)
    assert "Communities of practice" in Client().get(url).content.decode()
    Client().post(url)
    assert not follows(member, post) and follows(member, other)
    assert not NotificationPreference.objects.exists()
    assert Client().post(url).status_code == 200  # a second click is harmless


def test_one_click_unsubscribe_from_a_mail_client_needs_no_csrf_token():
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the link; the token is the proof."""
    member = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(member, "reply"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(member=member).replies_to_me is False


def forged_tokens(member, post):
    genuine = notifications.unsubscribe_token(member, "reply")
    payload, stamp, signature = genuine.rsplit(":", 2)
    other_salt = signing.dumps({"m": member.pk, "t": "replies_to_me"}, salt="some.other.salt")
    return [
        "nonsense",
        genuine[:-4],
        f"{payload}:{stamp}:{signature[::-1]}",
        other_salt,
        signing.dumps({"m": member.pk, "t": "is_superuser"}, salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps({"m": member.pk, "t": "thread"}, salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps({"m": 999_999, "t": "replies_to_me"}, salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps({"m": member.pk, "t": "thread", "p": 999_999}, salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps(["m", "t"], salt=notifications.UNSUBSCRIBE_SALT),
        signing.dumps({"m": "x", "t": "replies_to_me"}, salt=notifications.UNSUBSCRIBE_SALT),
        "ü:ü:ü",
    ]


def test_a_forged_or_broken_unsubscribe_link_is_a_clear_400_never_a_500():
    member, post = UserFactory(), PostFactory()
    client = Client(raise_request_exception=False)
    for token in forged_tokens(member, post):
        url = reverse("comments:unsubscribe", kwargs={"token": token})
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 400, token
            assert "This link does not work" in response.content.decode()
    assert not NotificationPreference.objects.exists()
    assert not ThreadSubscription.objects.exists()


def test_the_link_in_a_real_email_works(client, settings):
    """The link the email carries (absolute, PORTAL_BASE_URL) leads to the same page."""
    settings.PORTAL_BASE_URL = "https://learn.example.org"
    member = UserFactory()
    comment = CommentFactory(author=member)
    message = notifications.build_email("approved", member, comment)
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://learn.example.org/comments/unsubscribe/")
    assert link in message.body
    path = link.removeprefix("https://learn.example.org")
    assert client.get(path).status_code == 200
    client.post(path)
    assert NotificationPreference.objects.get(member=member).my_comment_moderated is False
