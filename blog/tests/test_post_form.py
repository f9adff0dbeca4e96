"""Community leaders and editors write posts on the site, without the admin."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, Membership
from blog.models import Post
from testing.clients import client_for
from testing.factories import (
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    StaffFactory,
    UserFactory,
    individual_learning,
)
from testing.pages import form_values, link, link_texts
from testing.queries import assert_same_count, count_queries

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


# --- Finding the editor: the header's user menu --------------------------------------------------


def header_of(client, url=None):
    response = client.get(url or reverse("blog:home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["owner", "moderator", "editor"])
def test_leaders_and_editors_open_the_post_editor_from_the_header_menu(community, role):
    writer = EditorFactory() if role == "editor" else member_of(community, role=role)
    client = client_for(writer)

    for page in (reverse("blog:home"), community.get_absolute_url(), reverse("blog:learning_paths")):
        menu_item = link(header_of(client, page), "Write a post", region="header")
        assert "dropdown-item" in menu_item.classes
        response = client.get(menu_item.href)
        assert response.status_code == 200
        assert '<h1 class="h2">Write a post</h1>' in response.content.decode()


def test_a_member_leading_a_community_past_the_menus_first_ten_still_finds_the_editor():
    leader = UserFactory()
    for number in range(11):
        MembershipFactory(member=leader, community=CommunityFactory(name=f"Circle {number:02d}"))
    MembershipFactory(
        member=leader, community=CommunityFactory(name="Zeta circle"), role=Membership.Role.OWNER
    )
    client = client_for(leader)

    menu_item = link(header_of(client), "Write a post", region="header")
    assert client.get(menu_item.href).status_code == 200


def test_no_write_a_post_item_for_those_the_editor_refuses(community):
    staff_without_posting = StaffFactory()  # staff, not in the Editors group
    requested_owner = member_of(community, role="owner", status="requested")
    for reader in (None, UserFactory(), member_of(community), staff_without_posting, requested_owner):
        client = client_for(reader)
        assert "Write a post" not in link_texts(header_of(client))
        if reader is not None:
            assert client.get(reverse("blog:post_create")).status_code == 403


def test_the_menu_item_costs_no_query_of_its_own(community):
    """Whether the member leads a community comes from the communities menu's query."""
    leader, member = member_of(community, role="moderator"), member_of(community)
    home = reverse("blog:home")

    leader_page = count_queries(client_for(leader), home, cold_cache=True)
    member_page = count_queries(client_for(member), home, cold_cache=True)

    assert "Write a post" in link_texts(header_of(client_for(leader)), region="header")
    assert_same_count(member_page, leader_page)


# --- The community field: required exactly when the author may not post to the whole portal -----


def community_field(html):
    """The community field as the writer sees it: label, choices and help, spaces collapsed."""
    return " ".join(html[html.index('id="div_id_community"') : html.index('id="div_id_visibility"')].split())


def test_a_leader_chooses_one_of_their_communities_and_is_not_offered_the_whole_portal(community):
    CommunityFactory(name="Someone else's circle")
    client = client_for(member_of(community, role="owner"))

    field = community_field(client.get(reverse("blog:post_create")).content.decode())

    assert 'Community<span class="asteriskField">*</span>' in field  # required, and marked so
    assert "whole portal" not in field and "Leave empty" not in field
    assert '<option value="" selected>Choose a community</option>' in field
    assert f'<option value="{community.pk}">Study circle</option>' in field
    assert "Someone else" not in field
    assert "The community the post is for: one of those you lead." in field


def test_a_leader_who_chooses_no_community_is_told_next_to_the_field_and_keeps_the_text(community):
    client = client_for(member_of(community, role="moderator"))

    response = client.post(reverse("blog:post_create"), form_data(community=""))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose the community this post is for." in community_field(html)
    assert form_values(html)["title"] == ["What we learned this week"]
    assert not Post.objects.exists()


def test_an_editor_is_offered_the_whole_portal_and_the_field_is_optional(community):
    client = client_for(EditorFactory())

    field = community_field(client.get(reverse("blog:post_create")).content.decode())

    assert "asteriskField" not in field
    assert '<option value="" selected>The whole portal</option>' in field
    assert "(editors only)" not in field
    assert f'<option value="{community.pk}">Study circle</option>' in field
    assert "“The whole portal” for a post of the whole site; a community for a post on its page" in field


def test_the_community_page_button_opens_the_editor_with_its_community_chosen(community):
    client = client_for(member_of(community, role="owner"))

    field = community_field(
        client.get(reverse("blog:post_create"), {"community": community.slug}).content.decode()
    )

    assert f'<option value="{community.pk}" selected>Study circle</option>' in field
