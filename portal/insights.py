"""A community's insights for its owners and moderators: six months of activity, week by week.

The page counts memberships (accounts), posts (blog) and comments, so it is a
page of the site layer, above the three apps.

What is counted goes through the models' own rules: ``Membership.objects.active()``,
``Post.objects.published()`` and ``Comment.objects.counted()``. Members-only
posts count, since the people who see this page can read them. The figures
take five aggregate queries whatever the amount of data (three ``TruncWeek``
series, the tags, the members); weeks without activity are filled with zeros
here. They are cached per community for ``CACHE_SECONDS``, so a page seen again
within that time runs no aggregate query; the page says when they were computed.

The chart is an SVG drawn by a template from coordinates computed in
``chart()``; the same figures are in a table below it.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts.models import Community, Membership
from accounts.services import can_lead
from accounts.views.communities import community_for_viewer
from blog.models import Post
from comments.models import Comment

WEEKS = 26
TOP = 10
CACHE_SECONDS = 10 * 60
CACHE_KEY = "comments:insights:v1:{pk}"


# --- The figures -----------------------------------------------------------------------


@dataclass
class Insights:
    """What the page shows: plain values only, so the whole object can be cached (pickled)."""

    computed_at: datetime
    weeks: list[date]  # the Monday of each week, oldest first
    members: list[int]  # members who joined, per week
    posts: list[int]  # posts published, per week
    comments: list[int]  # counted comments, per week
    tags: list[dict] = field(default_factory=list)  # name, slug, comments
    people: list[dict] = field(default_factory=list)  # username, name, posts, comments, total, role

    @property
    def rows(self):
        return [
            {"week": week, "members": m, "posts": p, "comments": c}
            for week, m, p, c in zip(self.weeks, self.members, self.posts, self.comments, strict=True)
        ]

    @property
    def totals(self):
        return {"members": sum(self.members), "posts": sum(self.posts), "comments": sum(self.comments)}


def period(now: datetime | None = None) -> tuple[list[date], datetime, datetime]:
    """The ``WEEKS`` weeks up to and including the current one, in the site's time zone.

    Weeks start on Monday (as ``TruncWeek`` does, on SQLite and PostgreSQL alike).
    Returns the Mondays and the aware start (first Monday, midnight) and end
    (the Monday after the current week) of the period.
    """
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    first = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    weeks = [first + timedelta(weeks=n) for n in range(WEEKS)]
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(weeks[-1] + timedelta(weeks=1), time.min, tzinfo=zone)
    return weeks, start, end


def weekly(queryset, field_name: str, weeks: list[date], start: datetime, end: datetime) -> list[int]:
    """Rows of ``queryset`` per week of ``field_name``: one GROUP BY query, zeros filled in here."""
    zone = timezone.get_default_timezone()
    rows = (
        queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
        .annotate(week=TruncWeek(field_name, tzinfo=zone))
        .order_by()
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    counts = {}
    for week, n in rows:
        day = week.date() if timezone.is_naive(week) else timezone.localtime(week, zone).date()
        counts[day] = counts.get(day, 0) + n
    return [counts.get(week, 0) for week in weeks]


def _count_by_author(queryset):
    """A correlated COUNT over ``queryset`` for the member in the outer query."""
    counted = queryset.filter(author=OuterRef("pk")).order_by().values("author").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def compute(community: Community, now: datetime | None = None) -> Insights:
    """Every figure of the page, in five queries."""
    weeks, start, end = period(now)
    members = Membership.objects.active().filter(community=community)
    posts = Post.objects.published().filter(community=community)
    comments = Comment.objects.counted().filter(post__community=community)

    posts_in_period = posts.filter(publish_at__gte=start, publish_at__lt=end)
    comments_in_period = comments.filter(created__gte=start, created__lt=end)

    # One row per (comment, tag of its post): the through model's unique constraint
    # means each comment counts once per tag.
    tags = (
        comments_in_period.filter(post__tagged_items__isnull=False)
        .values(name=F("post__tagged_items__tag__name"), slug=F("post__tagged_items__tag__slug"))
        .annotate(comments=Count("pk"))
        .order_by("-comments", "name")[:TOP]
    )

    role = Subquery(
        Membership.objects.active().filter(community=community, member=OuterRef("pk")).values("role")[:1]
    )
    people = (
        get_user_model()
        .objects.filter(
            Q(pk__in=posts_in_period.values("author")) | Q(pk__in=comments_in_period.values("author"))
        )
        .annotate(
            post_n=_count_by_author(posts_in_period),
            comment_n=_count_by_author(comments_in_period),
            role=role,
        )
        .annotate(total=F("post_n") + F("comment_n"))
        .only("username", "display_name", "first_name", "last_name", "deleted_at")
        .order_by("-total", "-comment_n", "username")[:TOP]
    )

    return Insights(
        computed_at=timezone.now(),
        weeks=weeks,
        members=weekly(members, "joined", weeks, start, end),
        posts=weekly(posts, "publish_at", weeks, start, end),
        comments=weekly(comments, "created", weeks, start, end),
        tags=[dict(tag) for tag in tags],
        people=[
            {
                "username": user.username,
                "name": user.public_name,
                "deleted": user.deleted_at is not None,
                "posts": user.post_n,
                "comments": user.comment_n,
                "total": user.total,
                "role": user.role or "",
            }
            for user in people
        ],
    )


def community_insights_figures(community: Community) -> Insights:
    """The figures from the cache, computed at most once per ``CACHE_SECONDS`` per community."""
    return cache.get_or_set(CACHE_KEY.format(pk=community.pk), lambda: compute(community), CACHE_SECONDS)


# --- The chart --------------------------------------------------------------------------

WIDTH, HEIGHT = 560, 320
TOP_MARGIN, RIGHT_MARGIN, BOTTOM_MARGIN, LEFT_MARGIN = 14, 24, 36, 56
LABEL_EVERY = 4  # weeks between two labels on the time axis (8 on phones); the current week is labelled

# Colors keep at least 3:1 against white (WCAG 1.4.11) and every series has its own
# shape too (bars, a solid line with circles, a dashed line with squares).
SERIES = {
    "comments": {"color": "#5b8db8"},
    "posts": {"color": "#b34700"},
    "members": {"color": "#6a3d9a"},
}


def nice_scale(highest: int, ticks: int = 4) -> tuple[int, int]:
    """The top of the value axis and its step: 1, 2 or 5 times a power of ten, integers only."""
    raw = max(highest / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * max(1, math.ceil(highest / step)), step


def _n(value: float) -> str:
    """A coordinate as SVG wants it whatever the active locale: a dot, one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")


def week_label(week: date) -> str:
    """The short label of a week under the chart ("Nov 3", "3 nov"); the format is a catalog message.

    Django has no short day-and-month format name (MONTH_DAY_FORMAT is too wide for the axis).
    """
    return date_format(week, pgettext("date format of the insights chart's week labels", "M j"))


def week_summary(week: date, members: int, posts: int, comments: int) -> str:
    return _("Week of %(week)s: %(members)s, %(posts)s, %(comments)s") % {
        "week": date_format(week, "DATE_FORMAT"),
        "members": ngettext("%(n)s member joined", "%(n)s members joined", members) % {"n": members},
        "posts": ngettext("%(n)s post", "%(n)s posts", posts) % {"n": posts},
        "comments": ngettext("%(n)s comment", "%(n)s comments", comments) % {"n": comments},
    }


def chart(insights: Insights) -> dict:
    """Coordinates of the weekly chart, for ``communities/includes/_insights_chart.svg.html``.

    Comments are bars; posts and new members are lines with markers, on one
    value axis starting at zero.
    """
    plot_left, plot_top = LEFT_MARGIN, TOP_MARGIN
    plot_width = WIDTH - LEFT_MARGIN - RIGHT_MARGIN
    plot_height = HEIGHT - TOP_MARGIN - BOTTOM_MARGIN
    plot_bottom = plot_top + plot_height
    band = plot_width / WEEKS
    highest = max([*insights.members, *insights.posts, *insights.comments, 0])
    top, step = nice_scale(highest)

    def x(index):
        return plot_left + band * (index + 0.5)

    def y(value):
        return plot_bottom - plot_height * value / top

    bar_width = band * 0.6
    bars = [
        {
            "x": _n(x(i) - bar_width / 2),
            "y": _n(y(n)),
            "width": _n(bar_width),
            "height": _n(plot_bottom - y(n)),
        }
        for i, n in enumerate(insights.comments)
        if n
    ]

    def line(values):
        points = [(x(i), y(n)) for i, n in enumerate(values)]
        return {
            "points": " ".join(f"{_n(px)},{_n(py)}" for px, py in points),
            "markers": [
                {"x": _n(px), "y": _n(py), "left": _n(px - 3.5), "top": _n(py - 3.5)} for px, py in points
            ],
        }

    columns = [
        {
            "x": _n(plot_left + band * i),
            "width": _n(band),
            "title": week_summary(row["week"], row["members"], row["posts"], row["comments"]),
        }
        for i, row in enumerate(insights.rows)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {
            "left": plot_left,
            "top": plot_top,
            "right": plot_left + plot_width,
            "bottom": plot_bottom,
            "width": plot_width,
            "height": plot_height,
        },
        "y_ticks": [
            {"y": _n(y(value)), "label": value, "label_x": plot_left - 8} for value in range(0, top + 1, step)
        ],
        "x_labels": [
            {
                "x": _n(x(i)),
                "y": plot_bottom + 22,
                "label": week_label(week),
                "tick_bottom": plot_bottom + 5,
                # Every other label is hidden on phones (portal.css), where the labels are larger.
                "minor": (WEEKS - 1 - i) // LABEL_EVERY % 2 == 1,
            }
            for i, week in enumerate(insights.weeks)
            if (WEEKS - 1 - i) % LABEL_EVERY == 0
        ],
        "bars": bars,
        "posts": line(insights.posts),
        "members": line(insights.members),
        "columns": columns,
        "colors": {name: series["color"] for name, series in SERIES.items()},
    }


# --- The page --------------------------------------------------------------------------


@login_required
def community_insights(request, slug):
    """Owners, moderators and editors only: 404 where the community is hidden, 403 otherwise."""
    community, membership = community_for_viewer(request, slug)
    if not can_lead(community, request.user, membership):
        raise PermissionDenied
    insights = community_insights_figures(community)
    roles = dict(Membership.Role.choices)
    # The figures are cached for every viewer, whatever their language: words are added here.
    people = [
        {
            **person,
            "name": _("deleted member") if person["deleted"] else person["name"],
            "role_label": roles.get(person["role"], ""),
        }
        for person in insights.people
    ]
    return render(
        request,
        "communities/insights.html",
        {
            "community": community,
            "insights": insights,
            "rows": insights.rows,
            "totals": insights.totals,
            "chart": chart(insights),
            "tags": insights.tags,
            "people": people,
            "weeks_count": WEEKS,
            "cache_minutes": CACHE_SECONDS // 60,
        },
    )
