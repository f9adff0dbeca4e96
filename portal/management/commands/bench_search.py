"""Time the search over the data in the database, and show how PostgreSQL runs it.

Not a test: it prints figures. Run ``seed_demo --posts 10000 --comments-per-post 10``
first for the bench data set (10,000 posts, 100,000 comments).

For each query of a fixed list (common and rare words, accented and
unaccented forms, a phrase, OR, an exclusion, a word found nowhere) it runs
what a results page runs for a visitor, ``--repeat`` times after one warm-up
run: for posts, the count and the first page of ten (``blog.search.search_posts``
with the card data); for comments, the same (``comments.search.search_comments``).
It prints the median and 95th percentile in milliseconds per query and
overall. On PostgreSQL it then prints ``EXPLAIN ANALYZE`` of the posts and
comments page queries for a rare word and fails unless the plans use the GIN
indexes; on SQLite it prints ``EXPLAIN QUERY PLAN`` (the FTS5 table).
It reads only; on PostgreSQL it first runs ``ANALYZE`` on the two tables so
the planner knows their size.
"""

import statistics
import time

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from blog.models import Post
from blog.search import engine, parse_query, search_posts
from comments.models import Comment
from comments.search import search_comments
from portal.search import RESULTS_PER_PAGE

QUERIES = (
    "learning",  # common: in every benchmark post and many comments
    "benchmark",  # common, in 10,000 titles
    "reflection",  # common, tags and bodies
    "tacit",  # a quarter of the posts
    "weak ties",  # two words
    '"communities of practice"',  # a phrase
    "habit project",  # comments
    "notebook",  # rare: two demo posts
    "9999",  # rare: one title
    "Fräser",  # rare, accented (a German demo comment)
    "fraser",  # the same, unaccented
    "HEISST",  # "heißt", ß and case folded
    "über Schulter",  # accented, two words
    "Tomás",  # accented (a Spanish guest post and its comments)
    "tomas",  # the same, unaccented
    "networks OR notebook",  # OR
    "learning -networks",  # an exclusion
    "zebra",  # found nowhere
)
EXPLAINED = "notebook"
GIN_INDEXES = {"posts": "blog_post_search_gin", "comments": "comments_comment_search_gin"}
EXPECTED_POSTS, EXPECTED_COMMENTS = 10_000, 100_000


def percentile(samples, fraction):
    """The ``fraction`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def posts_page(terms, user):
    results = search_posts(user, terms).with_list_data()
    return results.count(), list(results[:RESULTS_PER_PAGE])


def comments_page(terms, user):
    results = search_comments(user, terms).select_related("post", "author")
    return results.count(), list(results[:RESULTS_PER_PAGE])


class Command(BaseCommand):
    help = (
        "Time search queries (median and 95th percentile) over the posts and comments in the database "
        "and, on PostgreSQL, check that the plans use the GIN indexes. Seed first with "
        "'seed_demo --posts 10000 --comments-per-post 10'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="Timed runs per query (default: 20).")

    def handle(self, *args, repeat, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        posts, comments = Post.objects.count(), Comment.objects.count()
        how = engine(connection.alias)
        self.stdout.write(
            f"Database: {connection.vendor} ({how}); {posts:,} posts, {comments:,} comments; "
            f"{repeat} runs per query after one warm-up, as a visitor."
        )
        if posts < EXPECTED_POSTS or comments < EXPECTED_COMMENTS:
            self.stdout.write(
                self.style.WARNING(
                    "Fewer rows than the benchmark data set: run "
                    "'python manage.py seed_demo --posts 10000 --comments-per-post 10' first."
                )
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE blog_post, comments_comment")

        user = AnonymousUser()
        timings = {"posts": [], "comments": []}
        header = (
            f"{'query':<28} {'posts':>7} {'median':>8} {'p95':>8} {'comments':>9} {'median':>8} {'p95':>8}"
        )
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for raw in QUERIES:
            terms = parse_query(raw)
            row = [f"{raw:<28}"]
            for kind, run in (("posts", posts_page), ("comments", comments_page)):
                found, _page = run(terms, user)  # warm-up
                samples = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    run(terms, user)
                    samples.append((time.perf_counter() - started) * 1000)
                timings[kind] += samples
                width = 7 if kind == "posts" else 9
                row.append(
                    f"{found:>{width},} {statistics.median(samples):>8.1f} {percentile(samples, 0.95):>8.1f}"
                )
            self.stdout.write(" ".join(row))
        self.stdout.write("-" * len(header))
        for kind, samples in timings.items():
            self.stdout.write(
                f"Overall, {kind} (count + first page): median {statistics.median(samples):.1f} ms, "
                f"p95 {percentile(samples, 0.95):.1f} ms over {len(samples)} runs"
            )
        both = timings["posts"] + timings["comments"]
        self.stdout.write(
            f"Overall, all: median {statistics.median(both):.1f} ms, p95 {percentile(both, 0.95):.1f} ms"
        )
        self.explain(user)

    def explain(self, user):
        terms = parse_query(EXPLAINED)
        querysets = {
            "posts": search_posts(user, terms).with_list_data()[:RESULTS_PER_PAGE],
            "comments": search_comments(user, terms).select_related("post", "author")[:RESULTS_PER_PAGE],
        }
        missing = []
        for kind, queryset in querysets.items():
            self.stdout.write("")
            if connection.vendor == "postgresql":
                self.stdout.write(f"EXPLAIN ANALYZE of the {kind} page for {EXPLAINED!r}:")
                plan = queryset.explain(analyze=True)
                self.stdout.write(plan)
                used = GIN_INDEXES[kind] in plan
                self.stdout.write(
                    (self.style.SUCCESS if used else self.style.ERROR)(
                        f"GIN index {GIN_INDEXES[kind]} used: {'yes' if used else 'NO'}"
                    )
                )
                if not used:
                    missing.append(GIN_INDEXES[kind])
            else:
                self.stdout.write(f"EXPLAIN QUERY PLAN of the {kind} page for {EXPLAINED!r}:")
                self.stdout.write(queryset.explain())
        if missing:
            raise CommandError(f"The plans do not use {', '.join(missing)}.")
