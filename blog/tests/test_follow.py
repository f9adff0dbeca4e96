"""Following categories, tags, members and communities; the Follow buttons; "My feed"."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from accounts.models import Community, Membership
from blog import services
from blog.models import Follow, Post
from testing.clients import client_for, messages_of
from testing.factories import (
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

MY_FEED = reverse("blog:my_feed")


def follow_url(kind, target):
    return reverse("blog:follow", kwargs={"kind": kind, "pk": target.pk})


def unfollow_url(kind, target):
    return reverse("blog:unfollow", kwargs={"kind": kind, "pk": target.pk})


@pytest.fixture
def member():
    return UserFactory(username="reader")


@pytest.fixture
def targets():
    """One of each kind of thing to follow."""
    PostFactory(title="Networks primer", tags=["networks"], publish_at=days_ago(30))
    return {
        "category": individual_learning(),
        "tag": Tag.objects.get(name="networks"),
        "member": UserFactory(username="writer", display_name="Wendy Writer"),
        "community": CommunityFactory(name="Reading circle", slug="reading-circle"),
    }


def days_ago(days):
    return timezone.now() - timedelta(days=days)


# --- Follow and unfollow ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["category", "tag", "member", "community"])
def test_a_member_follows_and_unfollows_each_kind(member, targets, kind):
    target = targets[kind]
    client = client_for(member)

    response = client.post(follow_url(kind, target), {"next": "/somewhere/"})

    assert response.status_code == 302
    assert response["Location"] == "/somewhere/"
    assert Follow.objects.filter(follower=member, **{kind: target}).count() == 1
    assert any("You follow" in message for message in messages_of(response))

    response = client.post(unfollow_url(kind, target), {"next": MY_FEED})

    assert response.status_code == 302
    assert response["Location"] == MY_FEED
    assert not Follow.objects.filter(follower=member).exists()
    assert any("no longer follow" in message for message in messages_of(response))


@pytest.mark.parametrize("kind", ["category", "tag", "member", "community"])
def test_following_twice_keeps_one_follow_and_unfollowing_twice_is_harmless(member, targets, kind):
    target = targets[kind]
    client = client_for(member)

    client.post(follow_url(kind, target))
    client.post(follow_url(kind, target))
    assert Follow.objects.filter(follower=member, **{kind: target}).count() == 1

    client.post(unfollow_url(kind, target))
    response = client.post(unfollow_url(kind, target))
    assert response.status_code == 302
    assert not Follow.objects.filter(follower=member).exists()


def test_services_are_idempotent(member, targets):
    first = services.follow(follower=member, target=targets["tag"])
    second = services.follow(follower=member, target=targets["tag"])
    assert first == second
    assert services.unfollow(follower=member, target=targets["tag"]) is True
    assert services.unfollow(follower=member, target=targets["tag"]) is False


@pytest.mark.parametrize("view", ["blog:follow", "blog:unfollow"])
def test_get_is_not_allowed(member, targets, view):
    url = reverse(view, kwargs={"kind": "category", "pk": targets["category"].pk})

    response = client_for(member).get(url)

    assert response.status_code == 405
    assert not Follow.objects.exists()


def test_a_post_without_csrf_token_is_refused(member, targets):
    client = client_for(member, enforce_csrf_checks=True)

    response = client.post(follow_url("category", targets["category"]))

    assert response.status_code == 403
    assert not Follow.objects.exists()


def test_visitors_are_sent_to_sign_in(targets):
    response = Client().post(follow_url("category", targets["category"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Follow.objects.exists()


def test_an_outside_next_falls_back_to_the_followed_page(member, targets):
    client = client_for(member)

    response = client.post(follow_url("tag", targets["tag"]), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("blog:tag", kwargs={"slug": "networks"})


@pytest.mark.parametrize(
    "url",
    [
        lambda t: reverse("blog:follow", kwargs={"kind": "post", "pk": 1}),
        lambda t: reverse("blog:follow", kwargs={"kind": "category", "pk": 999_999}),
        lambda t: reverse("blog:follow", kwargs={"kind": "tag", "pk": 999_999}),
        lambda t: reverse("blog:unfollow", kwargs={"kind": "post", "pk": 1}),
    ],
    ids=["unknown kind", "missing category", "missing tag", "unfollow unknown kind"],
)
def test_unknown_targets_are_404(member, targets, url):
    assert client_for(member).post(url(targets)).status_code == 404


def test_following_yourself_is_refused(member):
    response = client_for(member).post(follow_url("member", member), {"next": "/members/reader/"})

    assert response.status_code == 302
    assert "You cannot follow yourself." in messages_of(response)
    assert not Follow.objects.exists()
    with pytest.raises(services.FollowRefused):
        services.follow(follower=member, target=member)


def test_an_inactive_member_cannot_be_followed(member):
    gone = UserFactory(is_active=False)

    assert client_for(member).post(follow_url("member", gone)).status_code == 404
    with pytest.raises(services.FollowTargetHidden):
        services.follow(follower=member, target=gone)
    assert not Follow.objects.exists()


def test_a_private_community_is_followed_by_its_members_only(member):
    private = CommunityFactory(visibility=Community.Visibility.PRIVATE, owner=UserFactory())
    invited = MembershipFactory(community=private, status=Membership.Status.INVITED).member
    insider = MembershipFactory(community=private).member

    assert client_for(member).post(follow_url("community", private)).status_code == 404
    assert client_for(invited).post(follow_url("community", private)).status_code == 404
    with pytest.raises(services.FollowTargetHidden):
        services.follow(follower=member, target=private)
    assert not Follow.objects.exists()

    assert client_for(insider).post(follow_url("community", private)).status_code == 302
    assert Follow.objects.filter(follower=insider, community=private).exists()


def test_a_member_who_left_a_private_community_may_still_unfollow_it(member):
    private = CommunityFactory(visibility=Community.Visibility.PRIVATE, owner=UserFactory())
    membership = MembershipFactory(community=private, member=member)
    services.follow(follower=member, target=private)
    membership.delete()

    response = client_for(member).post(unfollow_url("community", private))

    assert response.status_code == 302
    assert not Follow.objects.exists()


# --- The Follow button --------------------------------------------------------------------


def render_toggle(user, target):
    request = RequestFactory().get("/page/?page=2")
    request.user = user
    template = Template("{% load follow_tags %}{% follow_toggle target %}")
    return template.render(Context({"request": request, "target": target}))


def test_visitors_see_a_sign_in_link_and_cost_no_query(targets, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        html = render_toggle(AnonymousUser(), targets["community"])

    assert "Sign in to follow" in html
    assert "next=/page/%3Fpage%3D2" in html


@pytest.mark.parametrize("kind", ["category", "tag", "member", "community"])
def test_the_button_costs_one_query_and_says_what_it_does(member, targets, kind, django_assert_num_queries):
    target = targets[kind]

    with django_assert_num_queries(1):
        html = render_toggle(member, target)
    assert ">Follow<" in html and follow_url(kind, target) in html

    services.follow(follower=member, target=target)
    with django_assert_num_queries(1):
        html = render_toggle(member, target)
    assert "Unfollow" in html and unfollow_url(kind, target) in html


def test_no_button_on_your_own_profile_nor_on_a_private_community_you_are_not_in(
    member, django_assert_num_queries
):
    private = CommunityFactory(visibility=Community.Visibility.PRIVATE, owner=UserFactory())
    with django_assert_num_queries(0):
        assert render_toggle(member, member).strip() == ""
    assert render_toggle(member, private).strip() == ""
    assert "Follow" in render_toggle(EditorFactory(), private)  # editors see every community


@pytest.mark.parametrize(
    "url_of",
    [
        lambda t: t["category"].get_absolute_url(),
        lambda t: reverse("blog:tag", kwargs={"slug": "networks"}),
        lambda t: reverse("blog:author", kwargs={"username": "writer"}),
        lambda t: t["member"].get_absolute_url(),
        lambda t: t["community"].get_absolute_url(),
    ],
    ids=["category", "tag", "author", "profile", "community"],
)
def test_pages_show_the_button(member, targets, url_of):
    url = url_of(targets)

    signed_in = client_for(member).get(url).content.decode()
    visitor = Client().get(url).content.decode()

    assert 'class="follow-toggle' in signed_in and ">Follow<" in signed_in
    assert "Sign in to follow" in visitor


# --- My feed ------------------------------------------------------------------------------


def test_my_feed_needs_sign_in():
    response = Client().get(MY_FEED)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_following_a_community_brings_its_new_posts_into_my_feed(member):
    community = CommunityFactory(name="Reading circle", slug="reading-circle", owner=UserFactory())
    client = client_for(member)
    client.post(follow_url("community", community))

    PostFactory(title="Fresh from the circle", community=community)

    page = client.get(MY_FEED).content.decode()
    assert "Fresh from the circle" in page


def test_my_feed_lists_posts_of_each_kind_newest_first_once(member, targets):
    for target in targets.values():
        services.follow(follower=member, target=target)
    other_tag_other_category = {"categories": [organizational_learning()], "tags": ["elsewhere"]}
    PostFactory(title="By category", publish_at=days_ago(5), tags=["elsewhere"])
    PostFactory(
        title="By tag", publish_at=days_ago(4), categories=[organizational_learning()], tags=["networks"]
    )
    PostFactory(
        title="By member", publish_at=days_ago(3), author=targets["member"], **other_tag_other_category
    )
    PostFactory(
        title="By community",
        publish_at=days_ago(2),
        community=targets["community"],
        **other_tag_other_category,
    )
    # Matches three ways (category, tag and author): listed once.
    PostFactory(title="Many ways", publish_at=days_ago(1), author=targets["member"], tags=["networks"])
    PostFactory(title="Not followed", **other_tag_other_category)
    PostFactory(title="A draft", status=Post.Status.DRAFT, author=targets["member"])
    PostFactory(title="Scheduled", publish_at=timezone.now() + timedelta(days=1), author=targets["member"])

    response = client_for(member).get(MY_FEED)

    titles = [post.title for post in response.context["posts"]]
    assert titles == ["Many ways", "By community", "By member", "By tag", "By category", "Networks primer"]
    page = response.content.decode()
    assert page.count("Many ways") == 1
    assert "Not followed" not in page and "A draft" not in page and "Scheduled" not in page


def test_my_feed_never_shows_members_only_posts_the_member_cannot_see(member, targets):
    community = targets["community"]
    services.follow(follower=member, target=community)
    services.follow(follower=member, target=targets["tag"])
    services.follow(follower=member, target=targets["member"])
    PostFactory(title="Open to all", community=community)
    PostFactory(title="Inner circle", community=community, visibility=Post.Visibility.MEMBERS)
    other = CommunityFactory()
    PostFactory(
        title="Tagged inside",
        community=other,
        visibility=Post.Visibility.MEMBERS,
        tags=["networks"],
        author=targets["member"],
    )

    page = client_for(member).get(MY_FEED).content.decode()
    assert "Open to all" in page
    assert "Inner circle" not in page and "Tagged inside" not in page

    MembershipFactory(community=community, member=member)
    page = client_for(member).get(MY_FEED).content.decode()
    assert "Inner circle" in page and "Tagged inside" not in page


def test_my_feed_lists_what_the_member_follows_with_unfollow_buttons(member, targets):
    for target in targets.values():
        services.follow(follower=member, target=target)

    page = client_for(member).get(MY_FEED).content.decode()

    for kind, target in targets.items():
        assert unfollow_url(kind, target) in page
    for name in ("Individual learning", "networks", "Wendy Writer", "Reading circle"):
        assert name in page


def test_my_feed_explains_how_to_follow_when_empty(member):
    page = client_for(member).get(MY_FEED).content.decode()

    assert "You do not follow anything yet" in page
    assert "Follow button" in page
    assert reverse("communities:directory") in page


def test_my_feed_says_when_nothing_is_new(member, targets):
    services.follow(follower=member, target=targets["member"])

    page = client_for(member).get(MY_FEED).content.decode()

    assert "Nothing new from what you follow yet" in page


def test_my_feed_queries_do_not_grow_with_posts_and_follows(member):
    """Guards a query per post card (author, community, categories, tags) and per followed thing
    in the Following list (select_related of the four targets)."""
    client = client_for(member)

    def populate(n):
        for i in range(n):
            author = UserFactory()
            community = CommunityFactory()
            services.follow(follower=member, target=author)
            services.follow(follower=member, target=community)
            PostFactory(author=author, tags=[f"t{i}", "shared"])
            PostFactory(community=community, tags=["shared"])
        services.follow(follower=member, target=Tag.objects.get(name="shared"))

    populate(2)
    small = count_queries(client, MY_FEED)
    populate(12)
    large = count_queries(client, MY_FEED)

    assert_same_count(small, large)
    # session, member, navigation communities, count, page, categories, tags, follows
    assert large.count <= 8
