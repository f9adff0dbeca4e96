"""Community leaders and editors write posts on the site, without the admin."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, Membership
from blog.models import Post
from testing.factories import EditorFactory, PostFactory, UserFactory, individual_learning

pytestmark = pytest.mark.django_db


def member_of(community, role="member", status="active"):
    user = UserFactory()
    Membership.objects.create(
        community=community, member=user, role=role, status=status, joined=timezone.now()
    )
    return user


@pytest.fixture
def community():
    return Community.objects.create(name="Study circle", slug="study-circle")


def form_data(**overrides):
    data = {
        "title": "What we learned this week",
        "visibility": "members",
        "categories": [individual_learning().pk],
        "tags": "reflection, weekly",
        "excerpt": "",
        "body": "We *practised* together.",
        "status": "published",
        "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "comments_open": "on",
    }
    data.update(overrides)
    return data


def test_a_community_moderator_publishes_a_members_only_post(client, community):
    leader = member_of(community, role="moderator")
    client.force_login(leader)
    response = client.post(reverse("blog:post_create"), form_data(community=community.pk))
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert (post.author, post.community, post.visibility) == (leader, community, "members")
    assert sorted(post.tags.names()) == ["reflection", "weekly"]
    assert "<em>practised</em>" in post.body_html


def test_plain_members_and_outsiders_cannot_write(client, community):
    client.force_login(member_of(community))
    assert client.get(reverse("blog:post_create")).status_code == 403
    assert client.post(reverse("blog:post_create"), form_data(community=community.pk)).status_code == 403
    assert not Post.objects.exists()


def test_a_leader_cannot_post_into_a_community_they_do_not_lead(client, community):
    other = Community.objects.create(name="Other circle", slug="other")
    client.force_login(member_of(community, role="owner"))
    response = client.post(reverse("blog:post_create"), form_data(community=other.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "What we learned this week" in response.content.decode()
    assert not Post.objects.exists()


def test_only_editors_write_portal_wide_posts(client, community):
    client.force_login(member_of(community, role="owner"))
    response = client.post(reverse("blog:post_create"), form_data(community="", visibility="public"))
    assert response.status_code == 200 and not Post.objects.exists()
    client.force_login(EditorFactory())
    response = client.post(reverse("blog:post_create"), form_data(community="", visibility="public"))
    assert response.status_code == 302
    assert Post.objects.get().community is None


def test_preview_renders_sanitized_markdown_without_saving(client, community):
    client.force_login(member_of(community, role="owner"))
    response = client.post(
        reverse("blog:post_create"),
        form_data(community=community.pk, body="**Bold** <script>alert(1)</script>", preview="1"),
    )
    page = response.content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "**Bold** &lt;script&gt;" in page  # the text stays in the form
    assert not Post.objects.exists()


def test_a_draft_is_visible_to_its_author_only(client, community):
    leader = member_of(community, role="owner")
    client.force_login(leader)
    client.post(reverse("blog:post_create"), form_data(community=community.pk, status="draft"))
    post = Post.objects.get()
    assert client.get(post.get_absolute_url()).status_code == 200
    client.force_login(member_of(community))
    assert client.get(post.get_absolute_url()).status_code == 404


def test_authors_edit_their_posts_and_others_cannot(client, community):
    leader = member_of(community, role="owner")
    post = PostFactory(author=leader, community=community, visibility="members")
    client.force_login(leader)
    response = client.post(
        reverse("blog:post_edit", kwargs={"pk": post.pk}), form_data(community=community.pk, title="Retitled")
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.title == "Retitled"
    client.force_login(member_of(community, role="moderator"))
    assert (
        client.post(
            reverse("blog:post_edit", kwargs={"pk": post.pk}), form_data(community=community.pk)
        ).status_code
        == 403
    )
    client.force_login(UserFactory())
    assert client.get(reverse("blog:post_edit", kwargs={"pk": post.pk})).status_code == 404
