"""Public pages cached whole for visitors without a session, and every way they are invalidated.

Each invalidation test first makes the page cached (a visitor's second
request is a hit), changes the data through the code path people use (the
moderation queue, the admin's actions, the post form, a membership service),
then asserts what the next visitor sees.
"""

import os
import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from accounts import services as membership_services
from accounts.models import Community, Membership
from blog.models import Post
from comments.models import Comment
from comments.services import comment_flag, comment_remove, comment_submit
from core import page_cache
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    PostFactory,
    UserFactory,
    individual_learning,
)

pytestmark = pytest.mark.django_db

HOME = reverse("blog:home")


def visit(path, client=None, **headers):
    return (client or Client()).get(path, **headers)


def cached_visit(path):
    """Visit ``path`` twice as a visitor; asserts the second answer came from the cache."""
    first = visit(path)
    second = visit(path)
    assert first.status_code == second.status_code == 200
    assert second["X-Page-Cache"] == "hit", f"{path} was not cached"
    assert second.content == first.content
    return second


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def post():
    return PostFactory(title="Single-loop and double-loop learning", body="Argyris and Schön.")


# --- what is cached, for whom ------------------------------------------------


def test_a_visitors_second_request_is_served_from_the_cache_without_queries(post, django_assert_num_queries):
    url = post.get_absolute_url()
    assert visit(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = visit(url)
    assert response["X-Page-Cache"] == "hit"
    assert "Single-loop and double-loop learning" in response.content.decode()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("blog:home", {}),
        ("blog:category", {"slug": "individual-learning"}),
        ("blog:archive", {}),
        ("communities:directory", {}),
        ("search", {}),
        ("blog:feed", {}),
        ("blog:feed_atom", {}),
        ("sitemap", {}),
    ],
)
def test_public_pages_and_feeds_are_cached(post, name, kwargs):
    cached_visit(reverse(name, kwargs=kwargs))


def test_signed_in_members_never_get_or_fill_the_cache(post):
    visit(post.get_absolute_url())  # a visitor fills the cache
    member = UserFactory(display_name="Mina Member")
    client = client_for(member)
    for _ in range(2):
        response = client.get(post.get_absolute_url())
        assert "X-Page-Cache" not in response
        assert "Mina Member" in response.content.decode()  # their own menu, not the visitor's page
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()  # their comment form


def test_a_visitor_with_a_pending_message_gets_a_fresh_page(post):
    visit(post.get_absolute_url())
    client = Client()
    client.cookies["messages"] = "anything"
    assert "X-Page-Cache" not in client.get(post.get_absolute_url())


def test_pages_outside_the_list_and_error_pages_are_never_cached(post):
    login = reverse("account_login")
    assert "X-Page-Cache" not in visit(login)  # it sets a CSRF cookie
    assert "X-Page-Cache" not in visit(
        reverse("blog:post", kwargs={"year": 2001, "month": 1, "day": 1, "slug": "nope"})
    )
    assert "X-Page-Cache" not in visit(reverse("healthz"))


def test_each_language_and_each_query_string_has_its_own_entry(post, settings):
    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    cached_visit(HOME)
    assert visit(HOME, HTTP_ACCEPT_LANGUAGE="es")["X-Page-Cache"] == "miss"
    assert visit(HOME + "?page=1")["X-Page-Cache"] == "miss"


def test_the_cache_can_be_turned_off(post, settings):
    settings.PAGE_CACHE_SECONDS = 0
    visit(HOME)
    assert "X-Page-Cache" not in visit(HOME)


# --- conditional GET ----------------------------------------------------------


@pytest.mark.parametrize("cached", [True, False])
def test_posts_answer_if_none_match_with_304(post, settings, cached):
    if not cached:
        settings.PAGE_CACHE_SECONDS = 0
    first = visit(post.get_absolute_url())
    etag = first["ETag"]
    again = visit(post.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_feeds_answer_if_none_match_with_304_until_a_new_post(post):
    feed = reverse("blog:feed")
    etag = visit(feed)["ETag"]
    assert visit(feed, HTTP_IF_NONE_MATCH=etag).status_code == 304
    PostFactory(title="Communities of practice")
    changed = visit(feed, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "Communities of practice" in changed.content.decode()


# --- invalidation: posts ------------------------------------------------------------


def test_an_edited_post_shows_its_new_text_at_once(post):
    cached_visit(post.get_absolute_url())
    cached_visit(HOME)
    editor = EditorFactory()
    client = client_for(editor)
    response = client.post(
        reverse("blog:post_edit", kwargs={"pk": post.pk}),
        {
            "title": "Double-loop learning, revisited",
            "body": "Now with *governing variables*.",
            "excerpt": "",
            "categories": [individual_learning().pk],
            "tags": "",
            "status": Post.Status.PUBLISHED,
            "publish_at": timezone.localtime(post.publish_at).strftime("%Y-%m-%d %H:%M:%S"),
            "visibility": Post.Visibility.PUBLIC,
            "action": "save",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    post.refresh_from_db()
    page = visit(post.get_absolute_url()).content.decode()
    assert "governing variables" in page
    assert "Double-loop learning, revisited" in visit(HOME).content.decode()


def test_posts_published_and_unpublished_through_the_admin_actions_show_at_once(post, editor_client):
    draft = PostFactory(title="Learning in public", status=Post.Status.DRAFT)
    cached_visit(HOME)
    cached_visit(post.get_absolute_url())
    changelist = reverse("admin:blog_post_changelist")

    editor_client.post(changelist, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})
    assert "Learning in public" in visit(HOME).content.decode()

    editor_client.post(changelist, {"action": "unpublish", ACTION_CHECKBOX_NAME: [post.pk]})
    assert visit(post.get_absolute_url()).status_code == 404
    assert "Single-loop and double-loop learning" not in visit(HOME).content.decode()


def test_a_deleted_post_is_gone_at_once(post):
    url = post.get_absolute_url()
    cached_visit(url)
    post.delete()
    assert visit(url).status_code == 404


def test_a_scheduled_post_appears_when_its_time_comes_without_any_write(monkeypatch):
    soon = timezone.now() + timedelta(minutes=30)
    PostFactory(title="Scheduled reflections", publish_at=soon)
    assert "Scheduled reflections" not in cached_visit(HOME).content.decode()

    later = soon + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    monkeypatch.setattr(page_cache.time, "time", lambda: later.timestamp())
    response = visit(HOME)
    assert response["X-Page-Cache"] == "miss"
    assert "Scheduled reflections" in response.content.decode()


# --- invalidation: tags ----------------------------------------------------------------


def tag_cloud_links(page):
    """The home page's tag cloud as {name: address}."""
    cloud = re.search(r'<section class="tag-cloud.*?</section>', page, re.S)
    if cloud is None:
        return {}
    return {name: href for href, name in re.findall(r'rel="tag" href="([^"]+)"[^>]*>([^<]+)</a>', cloud[0])}


@pytest.fixture
def two_spellings():
    """ "Peer-Learning" first (peer-learning), then "peer learning" (taggit numbers it: peer-learning_1)."""
    PostFactory(title="Study circles", tags=["Peer-Learning"])
    PostFactory(title="Learning pairs", tags=["peer learning"])
    return Tag.objects.get(name="Peer-Learning"), Tag.objects.get(name="peer learning")


def test_a_tag_merge_shows_in_the_home_tag_cloud_at_once_and_old_links_lead_to_the_kept_tag(
    two_spellings, editor_client
):
    merged, kept = two_spellings
    before = tag_cloud_links(cached_visit(HOME).content.decode())
    assert before == {"Peer-Learning": "/tag/peer-learning/", "peer learning": "/tag/peer-learning_1/"}

    editor_client.post(
        reverse("admin:taggit_tag_changelist"),
        {
            "action": "merge_selected_tags",
            ACTION_CHECKBOX_NAME: [merged.pk, kept.pk],
            "into": kept.pk,
            "post": "yes",
        },
    )

    assert tag_cloud_links(visit(HOME).content.decode()) == {"peer learning": "/tag/peer-learning/"}
    # A visitor who loaded the home page before the merge follows either old link to the kept tag.
    for old_link in before.values():
        response = Client().get(old_link, follow=True)
        assert response.status_code == 200, old_link
        assert response.redirect_chain in ([], [("/tag/peer-learning/", 301)])
        page = response.content.decode()
        assert "Study circles" in page and "Learning pairs" in page


def test_a_tag_renamed_in_the_admin_shows_in_the_home_tag_cloud_at_once(two_spellings, editor_client):
    merged, _ = two_spellings
    cached_visit(HOME)

    editor_client.post(
        reverse("admin:taggit_tag_change", args=[merged.pk]), {"name": "peer-to-peer", "slug": "peer-to-peer"}
    )

    links = tag_cloud_links(visit(HOME).content.decode())
    assert links == {"peer learning": "/tag/peer-learning_1/", "peer-to-peer": "/tag/peer-to-peer/"}
    assert Client().get("/tag/peer-learning/")["Location"] == "/tag/peer-to-peer/"


def test_a_tag_deleted_in_the_admin_leaves_the_home_tag_cloud_at_once(two_spellings, editor_client):
    merged, _ = two_spellings
    cached_visit(HOME)

    editor_client.post(reverse("admin:taggit_tag_delete", args=[merged.pk]), {"post": "yes"})

    assert tag_cloud_links(visit(HOME).content.decode()) == {"peer learning": "/tag/peer-learning_1/"}


# --- invalidation: comments ----------------------------------------------------------


def test_a_comment_approved_in_the_moderation_queue_appears_at_once(post, editor_client):
    held = comment_submit(post=post, author=UserFactory(), body="Held until an editor reads it.")
    assert held.status == Comment.Status.PENDING
    assert "Held until an editor reads it." not in cached_visit(post.get_absolute_url()).content.decode()

    editor_client.post(reverse("comments:moderate"), {"action": "approve", "ids": [held.pk]})

    page = visit(post.get_absolute_url()).content.decode()
    assert "Held until an editor reads it." in page
    assert "1 comment" in page or "One comment" in page


def test_a_comment_rejected_or_removed_disappears_at_once(post, editor_client):
    rejected = CommentFactory(post=post, body="A thought that will be rejected.")
    removed = CommentFactory(post=post, body="A thought that will be removed.")
    cached_visit(post.get_absolute_url())

    editor_client.post(reverse("comments:moderate"), {"action": "reject", "ids": [rejected.pk]})
    comment_remove(comment=removed, actor=removed.author)

    page = visit(post.get_absolute_url()).content.decode()
    assert "A thought that will be rejected." not in page
    assert "A thought that will be removed." not in page
    assert "Comment removed by its author" in page


def test_a_comment_hidden_by_flags_disappears_at_once(post, settings):
    comment = CommentFactory(post=post, body="A contested remark.")
    cached_visit(post.get_absolute_url())
    for member in UserFactory.create_batch(5):
        comment_flag(comment=comment, member=member, reason="abuse", note="")
        comment.refresh_from_db()
        if comment.status == Comment.Status.PENDING:
            break
    assert comment.status == Comment.Status.PENDING
    assert "A contested remark." not in visit(post.get_absolute_url()).content.decode()


# --- invalidation: communities and memberships ---------------------------------------


def test_a_post_made_members_only_is_never_served_from_a_stale_page():
    owner = UserFactory()
    community = CommunityFactory(owner=owner, name="Reflective practitioners")
    post = PostFactory(title="Our retrospective", community=community, visibility=Post.Visibility.PUBLIC)
    cached_visit(post.get_absolute_url())
    cached_visit(community.get_absolute_url())

    post.visibility = Post.Visibility.MEMBERS
    post.save()

    assert visit(post.get_absolute_url()).status_code == 404
    assert "Our retrospective" not in visit(community.get_absolute_url()).content.decode()
    assert "Our retrospective" not in visit(HOME).content.decode()


def test_a_community_turned_private_hides_its_posts_from_visitors_at_once():
    community = CommunityFactory(owner=UserFactory(), name="Quiet circle")
    post = PostFactory(title="Notes from the circle", community=community)
    cached_visit(post.get_absolute_url())
    fresh = Community.objects.get(pk=community.pk)
    fresh.visibility = Community.Visibility.PRIVATE
    fresh.save()
    assert visit(post.get_absolute_url()).status_code == 404


def test_a_membership_change_shows_on_the_community_page_at_once():
    owner = UserFactory(display_name="Olga Owner")
    community = CommunityFactory(owner=owner, name="Study group")
    newcomer = UserFactory(display_name="Nils Newcomer")
    before = cached_visit(community.get_absolute_url()).content.decode()

    membership_services.membership_join(community=community, member=newcomer)
    assert Membership.objects.filter(
        community=community, member=newcomer, status=Membership.Status.ACTIVE
    ).exists()

    after = visit(community.get_absolute_url()).content.decode()
    assert after != before


def test_a_profile_shows_a_new_display_name_at_once():
    member = UserFactory(display_name="Old Name")
    url = member.get_absolute_url()
    cached_visit(url)
    member.display_name = "New Name"
    member.save()
    assert "New Name" in visit(url).content.decode()


def test_signing_in_does_not_invalidate_the_cache(post):
    member = UserFactory(username="reader", password="a long passphrase")
    cached_visit(HOME)
    Client().post(reverse("account_login"), {"login": "reader", "password": "a long passphrase"})
    member.refresh_from_db()
    assert member.last_login is not None
    assert visit(HOME)["X-Page-Cache"] == "hit"


# --- several processes without Redis ---------------------------------------------


def test_without_redis_the_version_is_a_file_every_process_sees(post, settings, tmp_path):
    """gunicorn's workers each have their own memory cache: a bump by one must reach the others."""
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    url = post.get_absolute_url()
    cached_visit(url)
    version = page_cache.content_version()
    assert settings.PAGE_CACHE_VERSION_FILE.stat().st_mtime_ns == version

    # Another worker changes the post: its rows change, and its signal receiver bumps
    # the file, not this process's memory cache (which still holds the page).
    Post.objects.filter(pk=post.pk).update(title="Changed through another worker")
    os.utime(settings.PAGE_CACHE_VERSION_FILE, ns=(version + 1, version + 1))

    page = visit(url)
    assert page["X-Page-Cache"] == "miss"
    assert "Changed through another worker" in page.content.decode()


def test_the_version_file_only_grows(settings, tmp_path):
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    versions = [page_cache.content_version()]
    for _ in range(5):
        page_cache.bump_content_version()
        versions.append(page_cache.content_version())
    assert versions == sorted(set(versions))
