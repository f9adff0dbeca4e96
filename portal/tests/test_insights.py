"""A community's insights page: who may see it, what it counts, how it draws it, what it costs.

The figures are checked on a small data set whose every row is placed in a
known week, with rows that must not count beside them (a rejected, a removed
and a held comment, a draft, a scheduled post, another community's post and
comment, memberships that are not active, activity before the period).
"""

import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Community, Membership
from blog.models import Post
from comments.models import Comment
from portal import insights
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    EditorFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

WEEKS = insights.WEEKS
X = WEEKS - 4  # "week X" of the figures: three weeks before the current one


def insights_url(community):
    return reverse("communities:insights", kwargs={"slug": community.slug})


def monday(index):
    """The Monday (a date, in the site's time zone) of week ``index`` of the period (0 = oldest)."""
    today = timezone.localdate(timezone.now(), timezone.get_default_timezone())
    return today - timedelta(days=today.weekday(), weeks=WEEKS - 1 - index)


def at(index, day=1, hour=10, minute=0):
    """An aware moment ``day`` days after the Monday of week ``index``, in the site's time zone."""
    moment = datetime.combine(monday(index) + timedelta(days=day), time(hour, minute))
    return timezone.make_aware(moment, timezone.get_default_timezone())


def long_ago():
    return timezone.now() - timedelta(weeks=WEEKS + 10)


def leader(community, role=Membership.Role.OWNER, **kwargs):
    """A leader who joined long before the period, so they add nothing to the weekly figures."""
    return MembershipFactory(community=community, role=role, joined=long_ago(), **kwargs).member


def comment(post, author, when, **kwargs):
    made = CommentFactory(post=post, author=author, **kwargs)
    Comment.objects.filter(pk=made.pk).update(created=when)  # ``created`` is auto_now_add
    return made


def page(user, community):
    response = client_for(user).get(insights_url(community))
    assert response.status_code == 200
    return response


def zeros_except(**weeks):
    """A weekly series of zeros but for {index: value}, written w22=2."""
    series = [0] * WEEKS
    for key, value in weeks.items():
        series[int(key.removeprefix("w"))] = value
    return series


# --- Who may see it --------------------------------------------------------------------


@pytest.fixture
def circle():
    community = CommunityFactory(name="Reading circle", slug="reading-circle")
    return {
        "community": community,
        "owner": leader(community),
        "moderator": leader(community, role=Membership.Role.MODERATOR),
        "member": MembershipFactory(community=community).member,
    }


@pytest.mark.parametrize("who", ["owner", "moderator", "editor"])
def test_owners_moderators_and_editors_see_the_page(circle, who):
    user = EditorFactory() if who == "editor" else circle[who]
    response = client_for(user).get(insights_url(circle["community"]))
    assert response.status_code == 200
    assert "Insights" in response.content.decode()


@pytest.mark.parametrize("who", ["member", "stranger", "requested", "leader elsewhere"])
def test_everyone_else_who_may_see_the_community_is_refused(circle, who):
    community = circle["community"]
    user = {
        "member": lambda: circle["member"],
        "stranger": UserFactory,
        "requested": lambda: (
            MembershipFactory(community=community, status=Membership.Status.REQUESTED).member
        ),
        "leader elsewhere": lambda: leader(CommunityFactory()),
    }[who]()
    assert client_for(user).get(insights_url(community)).status_code == 403


def test_an_invited_moderator_is_refused():
    community = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    invited = MembershipFactory(
        community=community, role=Membership.Role.MODERATOR, status=Membership.Status.INVITED
    ).member
    assert client_for(invited).get(insights_url(community)).status_code == 403


def test_a_private_community_is_a_404_to_outsiders():
    community = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    leader(community)
    leader_elsewhere = leader(CommunityFactory())
    assert client_for(UserFactory()).get(insights_url(community)).status_code == 404
    assert client_for(leader_elsewhere).get(insights_url(community)).status_code == 404
    assert client_for(EditorFactory()).get(insights_url(community)).status_code == 200


def test_an_unknown_community_is_a_404():
    url = reverse("communities:insights", kwargs={"slug": "no-such-circle"})
    assert client_for(EditorFactory()).get(url).status_code == 404


@pytest.mark.parametrize("visibility", Community.Visibility.values)
def test_anonymous_visitors_are_sent_to_sign_in(visibility):
    community = CommunityFactory(visibility=visibility)
    url = insights_url(community)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_the_community_page_links_to_insights_for_leaders_only(circle):
    community = circle["community"]
    link = f'href="{insights_url(community)}"'

    def shows_link(user):
        response = client_for(user).get(community.get_absolute_url())
        assert response.status_code == 200
        return link in response.content.decode()

    assert shows_link(circle["owner"]) and shows_link(circle["moderator"]) and shows_link(EditorFactory())
    assert not shows_link(circle["member"]) and not shows_link(UserFactory()) and not shows_link(None)


# --- What it counts ----------------------------------------------------------------------


@pytest.fixture
def known_data():
    """Two members joined in week X, three posts in weeks X..X+2, five comments of which three count."""
    community = CommunityFactory(slug="known")
    other = CommunityFactory(slug="elsewhere")
    owner = leader(community, role=Membership.Role.OWNER, member=UserFactory(username="olga"))
    moderator = leader(community, role=Membership.Role.MODERATOR, member=UserFactory(username="mo"))
    ann = MembershipFactory(
        community=community, member=UserFactory(username="ann"), joined=at(X, day=1)
    ).member
    # Sunday evening is still week X.
    bob = MembershipFactory(
        community=community, member=UserFactory(username="bob"), joined=at(X, day=6, hour=23, minute=30)
    ).member
    # Memberships that do not count: before the period, not active, or in another community.
    MembershipFactory(community=community, joined=long_ago())
    MembershipFactory(community=community, status=Membership.Status.REQUESTED)
    MembershipFactory(community=community, status=Membership.Status.INVITED)
    MembershipFactory(community=other, joined=at(X))

    first = PostFactory(community=community, author=owner, publish_at=at(X), tags=["networks", "reflection"])
    members_only = PostFactory(
        community=community,
        author=moderator,
        publish_at=at(X + 1),
        visibility=Post.Visibility.MEMBERS,
        tags=["networks"],
    )
    PostFactory(community=community, author=owner, publish_at=at(X + 2))
    # Posts that do not count: a draft, a scheduled post, another community's, one before the period.
    PostFactory(community=community, author=owner, publish_at=at(X), status=Post.Status.DRAFT)
    PostFactory(community=community, author=owner, publish_at=timezone.now() + timedelta(days=2))
    elsewhere = PostFactory(community=other, author=ann, publish_at=at(X), tags=["networks"])
    PostFactory(community=community, author=owner, publish_at=long_ago(), tags=["archive"])

    comment(first, ann, at(X + 1, day=0))
    comment(first, ann, at(X + 1, day=3))
    comment(first, bob, at(X + 1, day=4), status=Comment.Status.REJECTED)
    comment(first, bob, at(X + 1, day=4), removed_at=at(X + 1, day=5))
    comment(members_only, bob, at(X + 2, day=2))
    # Comments that do not count: held, on another community's post, before the period.
    comment(first, bob, at(X + 2), status=Comment.Status.PENDING)
    comment(elsewhere, bob, at(X + 1))
    comment(first, ann, long_ago())
    return community


def test_the_figures_of_a_known_data_set(known_data):
    figures = page(EditorFactory(), known_data).context["insights"]

    assert figures.weeks == [monday(i) for i in range(WEEKS)]
    assert all(week.weekday() == 0 for week in figures.weeks)
    assert figures.members == zeros_except(**{f"w{X}": 2})
    # The members-only post counts: the people who see this page can read it.
    assert figures.posts == zeros_except(**{f"w{X}": 1, f"w{X + 1}": 1, f"w{X + 2}": 1})
    # Five comments on the community's posts; the rejected and the removed one do not count.
    assert figures.comments == zeros_except(**{f"w{X + 1}": 2, f"w{X + 2}": 1})
    assert figures.totals == {"members": 2, "posts": 3, "comments": 3}


def test_the_most_discussed_tags_count_comments_on_posts_with_the_tag(known_data):
    tags = page(EditorFactory(), known_data).context["tags"]
    assert [(t["name"], t["comments"]) for t in tags] == [("networks", 3), ("reflection", 2)]


def test_the_most_engaged_members_count_their_posts_and_comments(known_data):
    people = page(EditorFactory(), known_data).context["people"]
    assert [(p["username"], p["posts"], p["comments"], p["total"]) for p in people] == [
        ("ann", 0, 2, 2),  # ties: more comments first
        ("olga", 2, 0, 2),
        ("bob", 0, 1, 1),  # his rejected, removed and held comments do not count
        ("mo", 1, 0, 1),
    ]
    assert [p["role_label"] for p in people] == ["Member", "Owner", "Member", "Moderator"]


def test_people_who_are_not_members_count_and_are_marked(circle):
    """On a public community anyone signed in may comment: leaders see who, members or not."""
    community = circle["community"]
    post = PostFactory(community=community, author=circle["owner"], publish_at=at(X))
    comment(post, UserFactory(username="visitor", display_name="Vera Visitor"), at(X, day=2))

    response = page(circle["owner"], community)

    assert [(p["username"], p["role"]) for p in response.context["people"]] == [
        ("visitor", ""),
        (circle["owner"].username, "owner"),
    ]
    people_table = re.search(
        r'<table[^>]*id="insights-people-table".*?</table>', response.content.decode(), re.S
    ).group(0)
    assert re.search(r"Vera Visitor</a>\s*<span[^>]*>Not a member</span>", people_table)


def test_the_top_lists_stop_at_ten():
    community = CommunityFactory()
    for n in range(12):
        author = MembershipFactory(community=community, member=UserFactory(username=f"writer{n:02}")).member
        post = PostFactory(community=community, author=author, tags=[f"tag{n:02}"], publish_at=at(WEEKS - 2))
        for _ in range(1 + n % 3):
            comment(post, author, at(WEEKS - 2, day=2))
    figures = insights.compute(community)
    assert len(figures.tags) == insights.TOP == 10
    assert len(figures.people) == 10
    assert figures.people[0]["total"] == 4  # a post and three comments
    assert [t["comments"] for t in figures.tags] == [3, 3, 3, 3, 2, 2, 2, 2, 1, 1]
    assert [t["name"] for t in figures.tags[:4]] == ["tag02", "tag05", "tag08", "tag11"]  # ties by name


def test_weeks_start_on_monday_in_the_sites_time_zone(settings):
    """A comment at 03:00 UTC on a Monday is Sunday evening in New York: the week before."""
    settings.TIME_ZONE = "America/New_York"
    community = CommunityFactory()
    post = PostFactory(community=community, publish_at=at(X))
    utc_monday = datetime.combine(monday(X + 1), time(3, 0), tzinfo=timezone.UTC)
    comment(post, UserFactory(), utc_monday)
    comment(post, UserFactory(), utc_monday + timedelta(hours=3))  # 23:00 or 22:00 → 02:00 or 01:00 Monday

    figures = insights.compute(community)

    assert figures.weeks[X + 1] == monday(X + 1)
    assert figures.comments == zeros_except(**{f"w{X}": 1, f"w{X + 1}": 1})


def test_weeks_without_activity_are_zeros():
    community = CommunityFactory()
    owner = leader(community)

    response = page(owner, community)
    html = response.content.decode()

    figures = response.context["insights"]
    assert figures.members == figures.posts == figures.comments == [0] * WEEKS
    assert len(weekly_rows(html)) == WEEKS
    assert set(weekly_rows(html).values()) == {(0, 0, 0)}
    assert "No posts or comments in this period." in html
    assert 'class="insights-chart"' in html


# --- How it draws it -------------------------------------------------------------------


def weekly_rows(html):
    """The weekly table: {week: (members, posts, comments)}."""
    table = re.search(r'<table[^>]*id="insights-weekly-table".*?</table>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = {}
    for week, cells in re.findall(r'<tr data-week="([\d-]+)">(.*?)</tr>', body, re.S):
        rows[week] = tuple(int(n) for n in re.findall(r"<td[^>]*>\s*(\d+)\s*</td>", cells))
    return rows


def svg_of(html):
    return re.search(r"<svg class=\"insights-chart\".*?</svg>", html, re.S).group(0)


def test_the_table_gives_the_weekly_figures(known_data):
    html = page(EditorFactory(), known_data).content.decode()
    rows = weekly_rows(html)

    assert list(rows) == [monday(i).isoformat() for i in range(WEEKS)]
    assert rows[monday(X).isoformat()] == (2, 1, 0)
    assert rows[monday(X + 1).isoformat()] == (0, 1, 2)
    assert rows[monday(X + 2).isoformat()] == (0, 1, 1)
    assert sum(1 for row in rows.values() if row == (0, 0, 0)) == WEEKS - 3
    assert re.search(r"<caption>\s*Members joined, posts and comments per week", html)
    tfoot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    assert [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", tfoot)] == [2, 3, 3]


def test_the_chart_is_an_accessible_svg_with_the_same_figures(known_data):
    html = page(EditorFactory(), known_data).content.decode()
    svg = svg_of(html)

    assert 'role="img"' in svg
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    assert labelled_by == ["insights-chart-title", "insights-chart-desc"]
    assert re.search(r'<title id="insights-chart-title">Weekly activity in ', svg)
    assert re.search(r'<desc id="insights-chart-desc">[^<]*members joined: 2; posts: 3; comments: 3', svg)
    assert re.search(r'viewBox="0 0 \d+ \d+" width="100%"', svg)
    main = html[html.index('id="main"') : html.index("</main>")]
    assert "<script" not in main.lower()

    # One bar per week with comments; a point per week on each line.
    assert len(re.findall(r"<rect x=\"[\d.]+\" y=\"[\d.]+\" width=\"[\d.]+\" height=\"[\d.]+\"/>", svg)) == 2
    for line in re.findall(r'<polyline points="([^"]+)"', svg):
        assert len(line.split()) == WEEKS
    # Hovering a week tells its figures, the same as the table's.
    week_x1 = monday(X + 1)
    assert f"Week of {week_x1:%B} {week_x1.day}, {week_x1:%Y}: 0 members joined, 1 post, 2 comments" in svg
    # Week labels every few weeks, the current week included.
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle"[^>]*>([^<]+)</text>', svg)
    assert len(labels) == len(range(WEEKS - 1, -1, -insights.LABEL_EVERY))
    assert labels[-1] == f"{monday(WEEKS - 1):%b} {monday(WEEKS - 1).day}"


def test_the_chart_scale_is_computed_from_the_figures():
    figures = insights.Insights(
        computed_at=timezone.now(),
        weeks=[monday(i) for i in range(WEEKS)],
        members=zeros_except(w3=1),
        posts=zeros_except(w4=3),
        comments=zeros_except(w5=7, w6=2),
    )
    drawn = insights.chart(figures)
    plot = drawn["plot"]

    assert [tick["label"] for tick in drawn["y_ticks"]] == [0, 2, 4, 6, 8]
    heights = [float(bar["height"]) for bar in drawn["bars"]]
    assert heights == pytest.approx([plot["height"] * 7 / 8, plot["height"] * 2 / 8], abs=0.1)
    assert all(
        float(bar["y"]) + float(bar["height"]) == pytest.approx(plot["bottom"]) for bar in drawn["bars"]
    )
    first_post_point = drawn["posts"]["points"].split()[4]
    assert float(first_post_point.split(",")[1]) == pytest.approx(
        plot["bottom"] - plot["height"] * 3 / 8, abs=0.1
    )


@pytest.mark.parametrize(
    "highest, expected",
    [(0, (1, 1)), (1, (1, 1)), (3, (3, 1)), (7, (8, 2)), (9, (10, 5)), (23, (30, 10)), (140, (150, 50))],
)
def test_nice_scale(highest, expected):
    top, step = insights.nice_scale(highest)
    assert (top, step) == expected
    assert top >= highest and top % step == 0


def test_coordinates_stay_valid_svg_in_any_language(known_data, settings):
    """German writes 12,5: the chart's numbers must not follow the active locale."""
    settings.USE_THOUSAND_SEPARATOR = True
    client = client_for(EditorFactory())
    with translation.override("de"):
        html = client.get(insights_url(known_data)).content.decode()
    svg = svg_of(html)
    for value in re.findall(r'\s(?:x|y|width|height|x1|x2|y1|y2|cx|cy|r)="([^"]*)"', svg):
        assert value == "100%" or re.fullmatch(r"-?\d+(\.\d+)?", value), value
    for value in re.findall(r'points="([^"]*)"', svg):
        assert re.fullmatch(r"(-?\d+(\.\d+)?,-?\d+(\.\d+)? ?)+", value), value


# --- What it costs ---------------------------------------------------------------------


def aggregates(queries):
    return [q for q in queries if "COUNT(" in q.upper() or "GROUP BY" in q.upper()]


def figure_queries(queries):
    """The page's own aggregates: three weekly series (TruncWeek), the tags, the members.

    (The navigation bar adds a moderation count of its own for leaders and editors.)
    """
    return [
        q
        for q in queries
        if "trunc(" in q.lower()
        or '"taggit_tag"' in q
        or (q.startswith('SELECT "accounts_user"') and "COUNT(" in q)
    ]


def test_figures_are_cached_and_a_second_view_runs_no_aggregate(known_data):
    client = client_for(EditorFactory())
    url = insights_url(known_data)

    first = count_queries(client, url)
    post = Post.objects.published().filter(community=known_data).first()
    comment(post, UserFactory(), timezone.now())  # a new counted comment, this week
    second = count_queries(client, url)

    assert len(figure_queries(first.sql)) == 5
    assert figure_queries(second.sql) == []
    assert len(aggregates(second.sql)) == len(aggregates(first.sql)) - 5
    assert second.count == first.count - 5
    # Within the cache period the figures do not change, and the page says when they are from.
    assert second.response.context["insights"] == first.response.context["insights"]
    assert second.response.context["insights"].totals["comments"] == 3
    computed_at = first.response.context["insights"].computed_at
    page = second.response.content.decode()
    assert f'datetime="{timezone.localtime(computed_at).isoformat()}"' in page
    assert "Figures as of" in page

    # Once the cached figures expire, the new comment counts.
    from django.core.cache import cache

    cache.delete(insights.CACHE_KEY.format(pk=known_data.pk))
    third = count_queries(client, url).response
    assert third.context["insights"].totals["comments"] == 4


def test_the_cache_is_per_community(known_data):
    other = CommunityFactory()
    editor = EditorFactory()
    page(editor, known_data)
    assert page(editor, other).context["insights"].totals == {"members": 0, "posts": 0, "comments": 0}


def test_figures_are_cached_for_ten_minutes(known_data, monkeypatch):
    calls = []
    real = insights.cache.get_or_set

    def spy(key, default, timeout):
        calls.append((key, timeout))
        return real(key, default, timeout)

    monkeypatch.setattr(insights.cache, "get_or_set", spy)
    page(EditorFactory(), known_data)
    assert calls == [(f"comments:insights:v1:{known_data.pk}", 600)]


def populate(community, *, members, posts, comments_per_post):
    authors = [
        MembershipFactory(community=community, joined=at(n % WEEKS, day=n % 7)).member for n in range(members)
    ]
    for n in range(posts):
        post = PostFactory(
            community=community,
            author=authors[n % len(authors)],
            publish_at=at(n % (WEEKS - 1)),
            tags=[f"topic{n % 12}", "shared"],
            visibility=Post.Visibility.MEMBERS if n % 2 else Post.Visibility.PUBLIC,
        )
        for k in range(comments_per_post):
            comment(post, authors[(n + k) % len(authors)], at(n % (WEEKS - 1), day=k % 7))


@pytest.mark.parametrize("viewer", ["owner", "editor"])
def test_queries_do_not_grow_with_the_data(viewer):
    """Guards a query per week, per tag or per member: the figures are five aggregate queries."""
    from django.core.cache import cache

    community = CommunityFactory()
    owner = leader(community)
    client = client_for(owner if viewer == "owner" else EditorFactory())
    url = insights_url(community)

    populate(community, members=2, posts=1, comments_per_post=1)
    small = count_queries(client, url)
    cache.clear()
    populate(community, members=30, posts=40, comments_per_post=4)
    large = count_queries(client, url)

    assert_same_count(small, large)
    assert len(figure_queries(large.sql)) == 5
    assert len(large.response.context["people"]) == 10
    assert len(large.response.context["tags"]) == 10
