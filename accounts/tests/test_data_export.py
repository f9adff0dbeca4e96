"""Download my data: a signed-in member downloads everything the portal keeps about them, and nothing else."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Community, Membership
from accounts.services import community_create, membership_join
from blog.models import LearningPath, LearningPathStep, Post, StepCompletion
from blog.services import follow
from comments.models import CommentFlag, NotificationPreference, ThreadSubscription
from testing.factories import CommentFactory, CommunityFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:my_data")


def download(client, user):
    client.force_login(user)
    response = client.post(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response, json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def test_page_offers_a_post_button(client):
    member = UserFactory()
    client.force_login(member)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<form method="post" action="{URL}"' in html
    assert "csrfmiddlewaretoken" in html
    assert reverse("accounts:delete_account") in html


def test_edit_profile_links_to_the_data_page(client):
    member = UserFactory()
    client.force_login(member)
    assert URL in client.get(reverse("accounts:edit_profile")).content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for response in (client.get(URL), client.post(URL)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_download_is_an_attachment_not_cached(client):
    member = UserFactory(username="ada")
    response, data = download(client, member)
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "ada-data-" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.json"')
    assert "no-store" in response["Cache-Control"]
    assert data["profile"]["username"] == "ada"


def test_export_holds_the_members_profile_posts_comments_memberships_and_settings(client):
    member = UserFactory(
        username="grace",
        display_name="Grace H.",
        bio="Compilers & learning.",
        website="https://grace.example",
    )
    member.digest = member.Digest.WEEKLY
    member.language = "es"
    member.save()
    community = community_create(creator=member, name="Compiler circle")
    other_owner = UserFactory()
    joined = CommunityFactory(owner=other_owner, join_policy=Community.JoinPolicy.REQUEST)
    membership_join(community=joined, member=member)

    published = PostFactory(author=member, title="On feedback loops", tags=["feedback"])
    draft = PostFactory(author=member, title="Half-written idea", status=Post.Status.DRAFT)
    others_post = PostFactory(title="Someone else’s post")
    comment = CommentFactory(post=others_post, author=member, body="My **reply** here.")
    ThreadSubscription.objects.create(post=others_post, member=member)
    NotificationPreference.objects.create(member=member, replies_to_me=False)
    CommentFlag.objects.create(
        comment=CommentFactory(post=others_post), flagged_by=member, reason="spam", note="looks like an ad"
    )
    follow(follower=member, target=other_owner)
    path = LearningPath.objects.create(title="Start here", slug="start-here", published=True)
    step = LearningPathStep.objects.create(path=path, post=others_post, order=1)
    StepCompletion.objects.create(step=step, member=member)

    _response, data = download(client, member)

    assert data["profile"] == {
        **data["profile"],
        "username": "grace",
        "display_name": "Grace H.",
        "bio": "Compilers & learning.",
        "website": "https://grace.example",
        "email": "grace@example.org",
        "language": "es",
    }
    assert data["notification_settings"] == {"weekly_digest": True}
    assert data["email_addresses"] == [{"email": "grace@example.org", "primary": True, "verified": True}]
    assert {(m["community"], m["role"], m["status"]) for m in data["memberships"]} == {
        ("Compiler circle", Membership.Role.OWNER, Membership.Status.ACTIVE),
        (joined.name, Membership.Role.MEMBER, Membership.Status.REQUESTED),
    }
    assert community.get_absolute_url() in {
        m["url"].removeprefix("http://127.0.0.1:8000") for m in data["memberships"]
    }

    posts = {p["title"]: p for p in data["posts"]}
    assert set(posts) == {"On feedback loops", "Half-written idea"}
    assert posts["On feedback loops"]["url"].endswith(published.get_absolute_url())
    assert posts["On feedback loops"]["tags"] == ["feedback"]
    assert posts["Half-written idea"]["status"] == "draft"
    assert posts["Half-written idea"]["url"] == ""  # a draft has no public address
    assert draft.body in posts["Half-written idea"]["body"]

    [exported] = data["comments"]
    assert exported["body"] == "My **reply** here."
    assert exported["status"] == "approved"
    assert exported["post_title"] == "Someone else’s post"
    assert exported["post_url"].endswith(others_post.get_absolute_url())
    assert exported["url"].endswith(comment.get_absolute_url())

    assert data["thread_subscriptions"][0]["post_title"] == "Someone else’s post"
    assert data["comment_notifications"]["replies_to_me"] is False
    assert data["comment_notifications"]["comments_on_my_posts"] is True
    assert data["flags_raised"][0]["note"] == "looks like an ad"
    assert data["follows"] == [{**data["follows"][0], "kind": "member", "name": other_owner.public_name}]
    assert data["learning_path_progress"][0]["path"] == "Start here"


def test_another_members_data_is_never_included(client):
    member = UserFactory(username="mine")
    other = UserFactory(username="theirs", display_name="Somebody Else", bio="their secret bio")
    post = PostFactory(author=other, title="Their post")
    CommentFactory(post=post, author=other, body="their comment text")
    CommentFactory(post=post, author=member, body="my comment text")
    CommunityFactory(owner=other, name="Their club")
    NotificationPreference.objects.create(member=other, replies_to_me=False)

    response, data = download(client, member)
    text = json.dumps(data)
    for foreign in (
        "theirs@example.org",
        "Somebody Else",
        "their secret bio",
        "their comment text",
        "Their club",
    ):
        assert foreign not in text
    assert [c["body"] for c in data["comments"]] == ["my comment text"]
    assert data["posts"] == []
    assert data["comment_notifications"]["replies_to_me"] is True
    # A forged parameter changes nothing: the export is always the signed-in member's.
    response = client.post(URL + f"?username={other.username}", {"user": other.pk})
    assert b"their secret bio" not in response.content


def test_title_of_a_post_the_member_can_no_longer_read_is_left_out(client):
    owner = UserFactory()
    club = CommunityFactory(owner=owner, visibility=Community.Visibility.PRIVATE)
    member = UserFactory()
    Membership.objects.create(community=club, member=member, status=Membership.Status.ACTIVE)
    secret = PostFactory(
        author=owner, community=club, visibility=Post.Visibility.MEMBERS, title="Private plans"
    )
    CommentFactory(post=secret, author=member, body="my words in the club")
    Membership.objects.filter(member=member).delete()  # they left

    _response, data = download(client, member)
    [exported] = data["comments"]
    assert exported["body"] == "my words in the club"  # their own words are theirs
    assert exported["post_title"] is None
    assert "Private plans" not in json.dumps(data)


def make_content(member, n, start=0):
    """``n`` of everything: posts with tags, comments, memberships, follows, completed steps."""
    for i in range(start, start + n):
        post = PostFactory(author=member, tags=[f"tag{i}", "shared"])
        CommentFactory(post=post, author=member)
        ThreadSubscription.objects.create(post=post, member=member)
        CommunityFactory(owner=member)
        follow(follower=member, target=UserFactory())
        path = LearningPath.objects.create(title=f"Path {i}", slug=f"path-{member.pk}-{i}", published=True)
        StepCompletion.objects.create(
            step=LearningPathStep.objects.create(path=path, post=post), member=member
        )


def test_export_takes_the_same_number_of_queries_whatever_its_size(client):
    """Guards against a query per post (categories, tags), per comment (its post) or per follow (its
    target)."""
    member = UserFactory()
    client.force_login(member)
    make_content(member, 1)
    client.get(URL)  # the session is cached from the first request on
    with CaptureQueriesContext(connection) as small:
        client.post(URL)
    make_content(member, 7, start=1)
    with CaptureQueriesContext(connection) as large:
        response = client.post(URL)
    data = json.loads(response.content)
    assert len(data["posts"]) == len(data["comments"]) == len(data["follows"]) == 8
    assert len(data["memberships"]) == len(data["learning_path_progress"]) == 8
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]
    assert len(large) <= 14
