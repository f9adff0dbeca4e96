"""The list queries of the issue are answered through indexes, on SQLite and on PostgreSQL.

Comments by post and status, posts by status and date, by category, by tag and
by community: each query is built with the querysets the pages use
(``portal.bench.plan_queries``, which the benchmark also runs against its large
database) and explained. The test data is tiny, so on PostgreSQL the test turns
sequential scans off for its transaction (``SET LOCAL enable_seqscan = off``): the
planner then picks an index whenever a usable one exists, and a ``Seq Scan`` of
a filtered table means the index is missing. SQLite's planner has no statistics
here either; it must read the filtered tables ``USING INDEX`` (or by primary key),
never with a bare ``SCAN <table>``.
"""

import pytest
from django.db import connection

from comments.models import Comment
from portal.bench import explain, full_scans, indexed_reads, plan_queries
from testing.factories import CategoryFactory, CommentFactory, CommunityFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queries():
    community = CommunityFactory()
    category = CategoryFactory()
    posts = [PostFactory(tags=["pedagogy", "habits"]) for _ in range(3)]
    posts.append(PostFactory(community=community))
    for post in posts:
        post.categories.add(category)
    post = posts[0]
    root = CommentFactory(post=post)
    CommentFactory(post=post, parent=root)
    CommentFactory(post=post, status=Comment.Status.PENDING)
    tag = post.tags.get(name="pedagogy")
    return plan_queries(post=post, category=category, tag=tag, community=community)


def plans(queries):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's transaction ends
    return {name: (explain(queryset), tables) for name, queryset, tables in queries}


EXPECTED = [
    "comments by post and status (a post's threads)",
    "comments by post and status (approved, newest)",
    "comments by status (moderation queue)",
    "posts by status and date (home)",
    "posts by category",
    "posts by tag",
    "posts by community",
]


def test_every_list_query_of_the_issue_is_checked(queries):
    assert [name for name, _, _ in queries] == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_list_query_reads_its_tables_through_an_index(queries, name):
    plan, tables = plans(queries)[name]
    vendor = connection.vendor
    assert full_scans(plan, vendor, tables) == [], f"{name}: full scan in the plan:\n{plan}"
    assert indexed_reads(plan, vendor, tables) == set(tables), f"{name}: no index read of {tables}:\n{plan}"


def test_the_checks_recognise_a_full_scan():
    """The verdict helpers themselves: a plan without an index fails on both databases."""
    assert full_scans(
        "Seq Scan on blog_post  (cost=0.00..1.01 rows=1 width=8)", "postgresql", ("blog_post",)
    ) == ["blog_post"]
    assert full_scans("Index Scan using blog_post_pkey on blog_post", "postgresql", ("blog_post",)) == []
    assert full_scans("2 0 0 SCAN comments_comment", "sqlite", ("comments_comment",)) == ["comments_comment"]
    assert (
        full_scans(
            "2 0 0 SEARCH comments_comment USING INDEX comments_post_status_created (post_id=?)",
            "sqlite",
            ("comments_comment",),
        )
        == []
    )
    assert indexed_reads("2 0 0 SCAN blog_post", "sqlite", ("blog_post",)) == set()


# (table, leading columns) of an index each list filter needs, whatever plan the tiny
# test data gets: the planner may prefer another index on a few rows, not on 10,000.
REQUIRED_INDEXES = [
    ("comments_comment", ["post_id", "status"]),  # a post's comments by status
    ("comments_comment", ["status"]),  # the moderation queue
    ("blog_post", ["status", "publish_at"]),  # published posts, newest first
    ("blog_post_categories", ["category_id"]),  # posts by category
    ("blog_taggedpost", ["tag_id"]),  # posts by tag
    ("blog_post", ["community_id", "status", "publish_at"]),  # posts by community, newest first
]


@pytest.mark.parametrize(("table", "columns"), REQUIRED_INDEXES)
def test_an_index_leads_with_the_filtered_columns(table, columns):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    leading = [c["columns"][: len(columns)] for c in constraints.values() if c["index"] or c["unique"]]
    assert columns in leading, f"no index on {table} starting with {columns}: {sorted(map(tuple, leading))}"
