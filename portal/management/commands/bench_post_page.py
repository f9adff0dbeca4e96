"""Time the post page with 10, 100 and 1,000 approved comments in nested threads.

Everything the benchmark creates (members, a post per size, comments) lives
in one transaction that is rolled back at the end, so the database is left
as it was. The page is rendered through Django's test client, the whole
stack (middleware, view, templates) but no network or web server.
"""

import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.models import Post
from comments.models import DiscussionSettings
from core.page_cache import bump_content_version
from portal.bench import add_comment_threads


class Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping anything."""


class Command(BaseCommand):
    help = (
        "Render a post page with 10, 100 and 1,000 approved comments in nested threads and print "
        "the SQL queries and the median render time. Creates its data in a transaction it rolls back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            default="10,100,1000",
            help="Comma-separated comment counts (default: 10,100,1000).",
        )
        parser.add_argument("--repeat", type=int, default=7, help="Timed renders per size (default: 7).")
        parser.add_argument(
            "--signed-in", action="store_true", help="Render as a signed-in member instead of a visitor."
        )
        parser.add_argument(
            "--per-page",
            type=int,
            default=None,
            help="Threads per comment page for this run (default: the site's discussion settings).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (it holds a write transaction)."
        )

    def handle(self, *args, sizes, repeat, signed_in, per_page, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("bench_post_page runs with DEBUG on; pass --force to run it on this database.")
        try:
            counts = [int(size) for size in sizes.split(",") if size.strip()]
        except ValueError:
            raise CommandError("--sizes takes comma-separated numbers, e.g. 10,100,1000.") from None
        if not counts or min(counts) < 1 or repeat < 1 or (per_page is not None and per_page < 1):
            raise CommandError("Sizes, --repeat and --per-page must be 1 or more.")

        rows = []
        try:
            with (
                transaction.atomic(),
                # Rendering is what is measured: no whole-page cache (see get() for the fragments).
                override_settings(
                    ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], PAGE_CACHE_SECONDS=0
                ),
            ):
                rows = self.run(counts, repeat=repeat, signed_in=signed_in, per_page=per_page)
                raise Rollback
        except Rollback:
            pass
        self.print_table(rows, repeat=repeat, signed_in=signed_in)

    def run(self, counts, *, repeat, signed_in, per_page):
        discussion = DiscussionSettings.load()
        if per_page is not None:
            discussion.comments_per_page = per_page
            discussion.save()
        user_model = get_user_model()
        members = [
            user_model.objects.create(username=f"bench-post-page-{n}", display_name=f"Bench Member {n}")
            for n in range(10)
        ]
        client = Client()
        if signed_in:
            client.force_login(members[0])

        rows = []
        for count in counts:
            post = Post.objects.create(
                title=f"Benchmark: a discussion of {count} comments",
                author=members[-1],
                body="The post page benchmark. " * 20,
                status=Post.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(days=1),
            )
            threads = add_comment_threads(post, members, count)
            url = post.get_absolute_url()
            self.get(client, url)  # warm up: templates compiled, connection open
            reset_queries()  # with DEBUG on the query log is full of inserts by now
            with CaptureQueriesContext(connection) as queries:
                page = self.get(client, url)
            timings = []
            for _ in range(repeat):
                reset_queries()
                started = time.perf_counter()
                self.get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
            rows.append(
                {
                    "comments": count,
                    "threads": threads,
                    "on_page": page.count('<li id="comment-'),
                    "queries": len(queries),
                    "median": statistics.median(timings),
                    "min": min(timings),
                    "kb": len(page) / 1024,
                }
            )
        return rows

    @staticmethod
    def get(client, url):
        # Every render from a cold cache: a new content version makes the cached
        # threads, neighbours and settings unreachable (core/page_cache.py).
        bump_content_version()
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}.")
        return response.content.decode()

    def print_table(self, rows, *, repeat, signed_in):
        reader = "a signed-in member" if signed_in else "a visitor"
        self.stdout.write(
            f"Post page as {reader} on {connection.vendor} (DEBUG={settings.DEBUG}), median of {repeat} "
            "renders; the benchmark's data was rolled back."
        )
        header = (
            f"{'comments':>9} {'threads':>8} {'on page':>8} {'SQL queries':>12} {'median ms':>10} "
            f"{'min ms':>8} {'KiB':>7}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for row in rows:
            self.stdout.write(
                f"{row['comments']:>9,} {row['threads']:>8,} {row['on_page']:>8,} {row['queries']:>12} "
                f"{row['median']:>10.1f} {row['min']:>8.1f} {row['kb']:>7.0f}"
            )
