"""The community directory and a community's page: who sees what, search, counts, query budgets."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Community, Membership
from blog.models import Post
from core.hostile_input import MAX_QUERY_STRING
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

DIRECTORY = reverse("communities:directory")


def directory(client, **params):
    response = client.get(DIRECTORY, params)
    assert response.status_code == 200
    return response.content.decode()


def card(page, name):
    """The directory card of the community called ``name`` (its text, tags stripped)."""
    match = re.search(
        rf"<article[^>]*>(?:(?!</article>).)*?{re.escape(name)}(?:(?!</article>).)*</article>", page, re.S
    )
    assert match, f"No card for {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


# --- The directory ---------------------------------------------------------------------


@pytest.fixture
def communities():
    owner = UserFactory(username="founder")
    public = CommunityFactory(name="Reading circle", slug="reading-circle", owner=owner)
    private = CommunityFactory(
        name="Ward seven", slug="ward-seven", visibility=Community.Visibility.PRIVATE, owner=owner
    )
    return owner, public, private


def test_the_directory_lists_public_communities_and_private_ones_only_to_those_they_know(communities):
    owner, public, private = communities
    insider = MembershipFactory(community=private).member
    invited = MembershipFactory(community=private, status=Membership.Status.INVITED).member
    PostFactory(community=private, visibility=Post.Visibility.MEMBERS, title="Night handover notes")

    for reader in (None, UserFactory()):
        page = directory(client_for(reader))
        assert "Reading circle" in page
        assert "Ward seven" not in page
    for reader in (owner, insider, EditorFactory()):
        page = directory(client_for(reader))
        assert "Reading circle" in page and "Ward seven" in page
        assert "You are invited" not in page
    # The invitee finds the community they are invited to, marked so; what is inside
    # (who is in it, its members-only posts) waits until they accept.
    page = directory(client_for(invited))
    invitation_card = card(page, "Ward seven")
    assert "You are invited" in invitation_card and "0 posts" in invitation_card
    assert "member" not in invitation_card
    community_page = client_for(invited).get(link(page, "Ward seven", region="main").href)
    assert community_page.status_code == 200
    assert "Accept invitation" in community_page.content.decode()
    assert "Night handover notes" not in community_page.content.decode()


def test_member_and_post_counts_are_what_the_reader_may_see(communities):
    owner, public, private = communities
    member = MembershipFactory(community=public).member
    MembershipFactory(community=public, status=Membership.Status.REQUESTED)
    MembershipFactory(community=public, status=Membership.Status.INVITED)
    PostFactory.create_batch(2, community=public)
    PostFactory.create_batch(3, community=public, visibility=Post.Visibility.MEMBERS)
    PostFactory(community=public, status=Post.Status.DRAFT)
    PostFactory.create_batch(4, community=private, visibility=Post.Visibility.MEMBERS)

    # Active memberships only: the owner and the member.
    assert "2 members · 2 posts" in card(directory(client_for()), "Reading circle")
    assert "2 members · 2 posts" in card(directory(client_for(UserFactory())), "Reading circle")
    assert "2 members · 5 posts" in card(directory(client_for(member)), "Reading circle")
    # The private community's members-only posts are counted for its members only.
    assert "1 member · 4 posts" in card(directory(client_for(owner)), "Ward seven")
    for outsider in (None, UserFactory(), member):
        page = directory(client_for(outsider))
        assert "Ward seven" not in page and "4 posts" not in page


def test_search_by_name_or_description_and_filter_by_kind(communities):
    CommunityFactory(
        name="Hospital network", kind=Community.Kind.ORGANIZATION, description="Nurses and doctors"
    )
    CommunityFactory(name="Nursing study group", kind=Community.Kind.STUDY_GROUP)

    page = directory(client_for(), q="nurs")
    assert "Hospital network" in page and "Nursing study group" in page and "Reading circle" not in page
    assert "2 communities found." in page

    page = directory(client_for(), q="nurs", kind="study_group")
    assert "Nursing study group" in page and "Hospital network" not in page
    assert '<option value="study_group" selected>' in page

    # An unknown kind is no filter at all, not an error.
    page = directory(client_for(), kind="'; DROP TABLE accounts_community; --")
    assert "Reading circle" in page and "Hospital network" in page


def test_search_never_finds_what_the_reader_may_not_see(communities):
    for reader in (None, UserFactory()):
        page = directory(client_for(reader), q="Ward")
        assert "Ward seven" not in page
        assert "No community matches your search." in page


@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        "%%",
        "'",
        '"',
        "\\",
        "' OR 1=1 --",
        '"; DROP TABLE accounts_community; --',
        "<script>alert('x')</script>",
        "\x00",
        "nul\x00byte",
        "ünïcödé 学习 🙂",
        "x" * 5000,
        "%" * 5000,
    ],
    ids=lambda q: repr(q[:20]),
)
def test_hostile_search_input_is_a_page_never_an_error(communities, query):
    params = {"q": query, "kind": query, "page": "1"}
    response = client_for().get(DIRECTORY, params)

    page = response.content.decode()
    if len(urlencode(params)) > MAX_QUERY_STRING:  # 5,000 characters twice: an "Address too long" page
        assert response.status_code == 414
        assert "Address too long" in page
        return
    assert response.status_code == 200
    if query.replace("\x00", "").strip():
        # Wildcards and quotes are searched for literally: no community contains them.
        assert "Reading circle" not in page
        assert "No community matches your search." in page
    else:
        assert "Reading circle" in page  # Only NUL characters: no search at all.
    assert "<script>alert" not in page


def test_a_bad_page_number_is_a_404_not_an_error(communities):
    assert client_for().get(DIRECTORY, {"page": "abc"}).status_code == 404
    assert client_for().get(DIRECTORY, {"page": "99"}).status_code == 404


def test_pagination_keeps_the_search(communities):
    for number in range(25):
        CommunityFactory(name=f"Nursing circle {number:02d}")

    page = directory(client_for(), q="nursing")

    assert "Nursing circle 00" in page and "Nursing circle 24" not in page
    assert re.search(r'href="\?q=nursing&amp;page=2"', page), page
    page_two = directory(client_for(), q="nursing", page=2)
    assert "Nursing circle 24" in page_two and "Reading circle" not in page_two


def test_the_create_button_is_shown_to_those_allowed(communities, settings):
    create_url = reverse("communities:create")
    assert create_url not in directory(client_for())
    assert create_url in directory(client_for(UserFactory()))
    settings.COMMUNITY_CREATION_STAFF_ONLY = True
    assert create_url not in directory(client_for(UserFactory()))
    assert create_url in directory(client_for(EditorFactory()))


def populate_directory(n):
    for _ in range(n):
        community = CommunityFactory(owner=UserFactory())
        MembershipFactory.create_batch(2, community=community)
        PostFactory(community=community)
        PostFactory(community=community, visibility=Post.Visibility.MEMBERS)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_directory_queries_do_not_grow_with_communities_members_and_posts(signed_in):
    """Guards a count query per community (member count, post count) and a logo or owner lookup per card."""
    client = client_for(UserFactory() if signed_in else None)
    populate_directory(2)
    small = count_queries(client, DIRECTORY)
    populate_directory(15)
    large = count_queries(client, DIRECTORY)
    assert_same_count(small, large)
    assert large.count <= (5 if signed_in else 3)


# --- A community's page ----------------------------------------------------------------


def community_page(client, community):
    response = client.get(community.get_absolute_url())
    return response.status_code, response.content.decode()


def test_a_private_community_is_a_404_to_outsiders_and_visible_to_members_and_staff(communities):
    owner, public, private = communities
    insider = MembershipFactory(community=private).member

    for outsider in (None, UserFactory(), MembershipFactory(community=public).member):
        status, page = community_page(client_for(outsider), private)
        assert status == 404
        assert "Ward seven" not in page
    for reader in (owner, insider, EditorFactory()):
        status, page = community_page(client_for(reader), private)
        assert status == 200
        assert "Ward seven" in page


def test_an_unknown_community_is_a_404():
    assert client_for().get(reverse("communities:detail", kwargs={"slug": "nowhere"})).status_code == 404


def test_the_page_shows_the_community_its_organization_and_sub_communities():
    owner = UserFactory()
    organization = CommunityFactory(name="City hospital", kind=Community.Kind.ORGANIZATION, owner=owner)
    community = CommunityFactory(
        name="Night shift",
        parent=organization,
        description="We *learn* at night.\n\n<script>alert('x')</script>",
        owner=owner,
    )
    CommunityFactory(name="Secret ward", parent=organization, visibility=Community.Visibility.PRIVATE)

    status, page = community_page(client_for(), community)
    assert status == 200
    assert "<em>learn</em>" in page
    assert "<script>alert" not in page
    assert "Community of practice" in page
    assert f'Part of <a href="{organization.get_absolute_url()}">City hospital</a>' in page

    status, page = community_page(client_for(), organization)
    assert "Communities in this organization" in page
    assert "Night shift" in page
    assert "Secret ward" not in page  # A private sub-community is not revealed.


def test_the_name_is_escaped_only_the_description_html_is_trusted():
    community = CommunityFactory(name="<b>Bold</b> circle", description="**strong**")

    status, page = community_page(client_for(), community)

    assert escape("<b>Bold</b> circle") in page and "<b>Bold</b> circle" not in page
    assert "<strong>strong</strong>" in page


def test_members_are_listed_leaders_first_and_capped():
    owner = UserFactory(username="zoe", display_name="Zoe Owner")
    community = CommunityFactory(owner=owner)
    MembershipFactory(community=community, member=UserFactory(username="aaron", display_name="Aaron Plain"))
    MembershipFactory(
        community=community,
        member=UserFactory(username="yusuf", display_name="Yusuf Moderator"),
        role=Membership.Role.MODERATOR,
    )
    MembershipFactory(
        community=community,
        member=UserFactory(display_name="Rita Requested"),
        status=Membership.Status.REQUESTED,
    )

    status, page = community_page(client_for(), community)
    assert page.index("Zoe Owner") < page.index("Yusuf Moderator") < page.index("Aaron Plain")
    assert "Rita Requested" not in page
    assert "3 members" in page

    MembershipFactory.create_batch(30, community=community)
    status, page = community_page(client_for(), community)
    assert "33 members" in page
    assert "and 9 more members" in page
    assert reverse("communities:members", kwargs={"slug": community.slug}) not in page
    status, page = community_page(client_for(owner), community)
    assert "All members" in page


def test_posts_are_those_the_reader_may_see():
    community = CommunityFactory()
    member = MembershipFactory(community=community).member
    PostFactory(community=community, title="An open note")
    PostFactory(community=community, title="Among ourselves", visibility=Post.Visibility.MEMBERS)
    PostFactory(community=community, title="Not yet", status=Post.Status.DRAFT)
    PostFactory(title="Elsewhere entirely")

    for reader in (None, UserFactory()):
        status, page = community_page(client_for(reader), community)
        assert "An open note" in page
        assert "Among ourselves" not in page and "Not yet" not in page and "Elsewhere entirely" not in page
    status, page = community_page(client_for(member), community)
    assert "An open note" in page and "Among ourselves" in page
    assert "Not yet" not in page


def test_posts_are_paginated(settings):
    community = CommunityFactory()
    PostFactory.create_batch(settings.POSTS_PER_PAGE + 2, community=community)

    response = client_for().get(community.get_absolute_url(), {"page": 2})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert len(response.context["posts"]) == 2


def test_an_invited_member_sees_a_private_community_header_but_not_its_inside():
    community = CommunityFactory(
        name="Ward seven", visibility=Community.Visibility.PRIVATE, owner=UserFactory()
    )
    PostFactory(community=community, title="Handover notes")
    invited = MembershipFactory(community=community, status=Membership.Status.INVITED)

    status, page = community_page(client_for(invited.member), community)

    assert status == 200
    assert "Accept invitation" in page and "Refuse invitation" in page
    assert "Handover notes" not in page
    assert "shown to its members" in page


def buttons(page):
    return re.findall(r"<(?:button|a|span)[^>]*class=\"btn[^\"]*\"[^>]*>\s*([^<]+?)\s*<", page)


@pytest.mark.parametrize(
    "policy, viewer, expected",
    [
        ("open", "anonymous", ["Sign in to join"]),
        ("open", "stranger", ["Join", "Follow"]),
        ("request", "stranger", ["Request to join", "Follow"]),
        ("invitation", "stranger", ["Follow"]),
        ("request", "requested", ["Request pending", "Withdraw my request", "Follow"]),
        ("invitation", "invited", ["Accept invitation", "Refuse invitation", "Follow"]),
        ("open", "member", ["Leave", "Follow"]),
        ("open", "moderator", ["Leave", "Write a post", "Follow"]),
        ("open", "owner", ["Leave", "Write a post", "Edit", "Manage members", "Follow"]),
        ("invitation", "editor", ["Write a post", "Edit", "Manage members", "Follow"]),
    ],
)
def test_the_action_buttons_follow_the_policy_and_the_viewer(policy, viewer, expected):
    community = CommunityFactory(join_policy=policy)
    users = {"anonymous": None, "stranger": UserFactory(), "editor": EditorFactory()}
    statuses = {"requested": Membership.Status.REQUESTED, "invited": Membership.Status.INVITED}
    roles = {"moderator": Membership.Role.MODERATOR, "owner": Membership.Role.OWNER}
    if viewer not in users:
        users[viewer] = MembershipFactory(
            community=community,
            status=statuses.get(viewer, Membership.Status.ACTIVE),
            role=roles.get(viewer, Membership.Role.MEMBER),
        ).member

    status, page = community_page(client_for(users[viewer]), community)
    main = page[page.index('id="main"') : page.index("</main>")]

    assert [b for b in buttons(main) if b not in ("Newer posts", "Older posts")] == expected


def writer_of(community, role):
    """An owner or moderator of ``community`` (``role``), or an editor."""
    if role == "editor":
        return EditorFactory()
    return MembershipFactory(community=community, role=role).member


@pytest.mark.parametrize("role", ["owner", "moderator", "editor"])
def test_leaders_and_editors_write_a_members_only_post_from_the_community_page(role):
    community = CommunityFactory(name="Night shift", visibility=Community.Visibility.PRIVATE)
    member = MembershipFactory(community=community).member
    writer = writer_of(community, role)
    client = client_for(writer)

    status, page = community_page(client, community)
    button = link(page, "Write a post", region="main")
    assert "btn" in button.classes
    editor = client.get(button.href)
    assert editor.status_code == 200
    fields = form_values(editor.content.decode())
    # The community is chosen and the post is for its members, as the page's button promised.
    assert fields["community"] == [str(community.pk)] and fields["visibility"] == ["members"]

    fields.update(
        title=["Handover, the calm way"],
        body=["We *hand over* at the bedside."],
        categories=[str(individual_learning().pk)],
        status=[Post.Status.PUBLISHED],
    )
    response = client.post(button.href, fields)

    post = Post.objects.get(title="Handover, the calm way")
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert (post.author, post.community, post.visibility) == (writer, community, Post.Visibility.MEMBERS)
    assert "Handover, the calm way" in community_page(client_for(member), community)[1]


def test_no_write_a_post_button_for_those_who_may_not_post_into_the_community():
    community = CommunityFactory()
    member = MembershipFactory(community=community).member
    leader_elsewhere = MembershipFactory(role=Membership.Role.OWNER).member
    staff_without_posting = StaffFactory()  # staff, not an editor: the editor would refuse them

    for reader in (None, UserFactory(), member, leader_elsewhere, staff_without_posting):
        status, page = community_page(client_for(reader), community)
        assert status == 200
        assert "Write a post" not in link_texts(page, region="main")


def populate_community(community, members, posts):
    MembershipFactory.create_batch(members, community=community, member__avatar="")
    MembershipFactory.create_batch(max(1, members // 5), community=community, role=Membership.Role.MODERATOR)
    for number in range(posts):
        PostFactory(
            community=community,
            tags=[f"tag{number % 3}"],
            visibility=Post.Visibility.MEMBERS if number % 2 else Post.Visibility.PUBLIC,
        )
    CommunityFactory(parent=community)


@pytest.mark.parametrize("viewer", ["anonymous", "member", "owner", "editor"])
def test_community_page_queries_do_not_grow_with_members_and_posts(viewer):
    """Guards a query per member (avatar, name), per post card (author, community, tags)
    and per sub-community, and any per-member permission check."""
    owner = UserFactory()
    community = CommunityFactory(kind=Community.Kind.ORGANIZATION, owner=owner)
    member = MembershipFactory(community=community).member
    client = client_for(
        {"anonymous": None, "member": member, "owner": owner, "editor": EditorFactory()}[viewer]
    )
    populate_community(community, members=3, posts=2)
    small = count_queries(client, community.get_absolute_url())
    populate_community(community, members=40, posts=15)
    large = count_queries(client, community.get_absolute_url())
    assert_same_count(small, large)
    # Staff pages also load permissions and the moderation counts for the navigation bar.
    assert large.count <= (16 if viewer == "editor" else 13)
