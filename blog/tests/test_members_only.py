"""Members-only posts of a community never reach a non-member, on any blog surface."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, Membership
from blog.models import Post
from testing.clients import client_for
from testing.factories import CommentFactory, PostFactory, StaffFactory, UserFactory, individual_learning

pytestmark = pytest.mark.django_db
SECRET = "Quarterly retrospective of the nursing team"


@pytest.fixture
def community():
    return Community.objects.create(name="Ward 7 learning circle", slug="ward-7", visibility="private")


@pytest.fixture
def insider(community):
    member = UserFactory(username="insider")
    Membership.objects.create(community=community, member=member, status="active", joined=timezone.now())
    return member


@pytest.fixture
def secret_post(community):
    post = PostFactory(
        title=SECRET, community=community, visibility=Post.Visibility.MEMBERS, tags=["shared-tag"]
    )
    CommentFactory(post=post, body="Inside joke only members know")
    return post


def clients(insider):
    outsider = client_for(UserFactory(username="outsider"))
    return {"anonymous": client_for(), "outsider": outsider}, client_for(insider)


def test_visible_to_is_the_rule(community, insider, secret_post):
    public = PostFactory(title="Open to all")
    requested = UserFactory()
    Membership.objects.create(community=community, member=requested, status="requested")
    assert set(Post.objects.visible_to(None)) == {public}
    assert set(Post.objects.visible_to(UserFactory())) == {public}
    assert set(Post.objects.visible_to(requested)) == {public}
    assert set(Post.objects.visible_to(insider)) == {public, secret_post}
    assert set(Post.objects.visible_to(StaffFactory())) == {public, secret_post}


def test_a_public_post_of_a_private_community_is_still_for_members_only(community, insider):
    post = PostFactory(community=community, visibility=Post.Visibility.PUBLIC)
    assert post not in Post.objects.visible_to(UserFactory())
    assert post in Post.objects.visible_to(insider)


def test_a_public_post_of_a_public_community_is_for_everyone():
    open_community = Community.objects.create(name="Open circle", slug="open-circle")
    post = PostFactory(community=open_community, visibility=Post.Visibility.PUBLIC)
    members_only = PostFactory(community=open_community, visibility=Post.Visibility.MEMBERS)
    assert post in Post.objects.visible_to(None)
    assert members_only not in Post.objects.visible_to(None)


def test_the_post_page_is_404_for_non_members(insider, secret_post):
    outsiders, member = clients(insider)
    for name, client in outsiders.items():
        assert client.get(secret_post.get_absolute_url()).status_code == 404, name
    response = member.get(secret_post.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200, page[page.find("<main") :][:1500]
    assert SECRET in page and "Inside joke only members know" in page, page[page.find("<main") :][:3000]


def test_no_list_count_or_link_reveals_the_post(insider, secret_post):
    neighbour = PostFactory(title="Public neighbour", tags=["shared-tag"], categories=[individual_learning()])
    outsiders, member = clients(insider)
    urls = [
        reverse("blog:home"),
        individual_learning().get_absolute_url(),
        reverse("blog:tag", kwargs={"slug": "shared-tag"}),
        reverse("blog:author", kwargs={"username": secret_post.author.username}),
        secret_post.author.get_absolute_url(),
        neighbour.get_absolute_url(),  # previous/next and related posts
    ]
    for name, client in outsiders.items():
        for url in urls:
            page = client.get(url).content.decode()
            assert SECRET not in page, (name, url)
            assert "Inside joke" not in page, (name, url)
    # The category count on the home page counts only what the reader may see.
    home = outsiders["anonymous"].get(reverse("blog:home")).content.decode()
    assert 'Individual learning</a> <span class="text-body-secondary">(1)</span>' in home
    assert SECRET in member.get(reverse("blog:home")).content.decode()


def test_comment_posting_on_a_members_only_post_is_404_for_outsiders(insider, secret_post):
    outsiders, _member = clients(insider)
    response = outsiders["outsider"].post(
        reverse("comments:post", kwargs={"post_id": secret_post.pk}), {"body": "x"}
    )
    assert response.status_code == 404
