# ruff: noqa: S310, S603, S607 - a developer tool: runs wrk, apt-get and gunicorn, opens a loopback URL
"""HTTP load benchmark of the portal served by gunicorn the production way (``make bench``).

Run as ``.venv/bin/python -m portal.bench``. It

1. builds or reuses a benchmark database: the SQLite file ``var/bench/bench.sqlite3``,
   or the database in ``DATABASE_URL`` when one is set; migrates it and runs
   ``seed_demo --posts 10000 --comments-per-post 10 --communities 50`` (skipped when
   the marker file records the same parameters for that database; an older data
   set is extended, since seed_demo only adds what is missing), then adds one post
   with 1,000 approved comments in nested threads;
   checks the query plans of the list pages on that data (``EXPLAIN``, after
   ``ANALYZE`` on PostgreSQL) and stops if one reads posts or comments with a
   sequential scan;
2. collects the static files into ``var/bench/static`` and starts gunicorn with
   ``DEBUG=0``, a generated ``SECRET_KEY``, ``ALLOWED_HOSTS=127.0.0.1``, one worker
   per core, on a free loopback port, and waits for ``/healthz``;
3. runs ``wrk --latency`` (8 connections, 2 threads, ``BENCH_DURATION`` seconds,
   default 10) on each page, including the post page for a signed-in member
   (session cookie from the real login form), twice: the same address again and
   again (the member's own cached copy answers), and a new query string each time
   (``first view``: the page is rendered, with its cached fragments);
4. counts the SQL queries of each page in-process with Django's test client, as
   rendered (the anonymous page cache is invalidated before the counted request);
5. prints a table and writes ``var/bench/results-<timestamp>.json``.

Environment: ``DATABASE_URL`` (another database), ``BENCH_DURATION`` (seconds per
page), ``BENCH_CONNECTIONS`` / ``BENCH_THREADS`` (wrk's -c / -t, default 8 / 2),
``BENCH_WORKERS`` (gunicorn workers, default the number of cores).
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
SEED_POSTS = 10_000
SEED_COMMENTS_PER_POST = 10
SEED_COMMUNITIES = 50
SEED_VERSION = 2  # bump when seed_demo's bulk data changes, so an older bench database is extended
BIG_DISCUSSION = 1_000
BIG_TITLE = "Benchmark: a discussion of 1,000 comments"
LEVELS = 5  # each thread of a generated discussion is a chain of replies this deep
COMMENT_BODY = "A thought on *learning together*, with a [link](https://example.org) and a second sentence."
MEMBER = "tomas"  # a demo member (seed_demo), signed in for the member page
SEARCH_QUERY = "learning"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
# Pages requested with a new query string each time (wrk script), so no cached copy answers.
FIRST_VIEW_PAGES = set()
FIRST_VIEW_SCRIPT = """
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "?view=" .. id .. "-" .. n)
end
"""


def say(message):
    print(message, flush=True)


def fail(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


# --- Environment and database ------------------------------------------------


def bench_environment():
    """The environment of both this process and gunicorn: production settings on the bench database."""
    user_url = os.environ.get("DATABASE_URL", "")
    database_url = user_url or f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(BENCH_DIR),  # STATIC_ROOT (and MEDIA_ROOT) under var/bench
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    return env, bool(user_url)


def find_wrk():
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is not installed: installing it with apt-get (Debian package 'wrk')…")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
        wrk = shutil.which("wrk")
        if wrk:
            return wrk
        subprocess.run(["apt-get", "update"], check=False)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
        wrk = shutil.which("wrk")
        if wrk:
            return wrk
    fail(
        "wrk (the HTTP load generator) is not on PATH. Install it, e.g. 'sudo apt-get install wrk' "
        "on Debian/Ubuntu or 'brew install wrk' on macOS, then run make bench again."
    )


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def prepare_database(env):
    """Migrate, seed (unless the marker says it was done), add the big discussion; return the pages."""
    from django.core.management import call_command
    from django.db import connection

    say(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    call_command("migrate", interactive=False, verbosity=0)

    params = {
        "database_url": _redacted(env["DATABASE_URL"]),
        "posts": SEED_POSTS,
        "comments_per_post": SEED_COMMENTS_PER_POST,
        "communities": SEED_COMMUNITIES,
        "seed_version": SEED_VERSION,
    }
    marker = BENCH_DIR / f"seeded-{_database_key(env['DATABASE_URL'])}.json"
    try:
        seeded = json.loads(marker.read_text()) == params
    except (OSError, ValueError):
        seeded = False
    if seeded:
        say(f"Seed data: already there ({marker.relative_to(BASE_DIR)} records the same parameters).")
    else:
        say(
            f"Seeding: seed_demo --posts {SEED_POSTS} --comments-per-post {SEED_COMMENTS_PER_POST} "
            f"--communities {SEED_COMMUNITIES}…"
        )
        started = time.monotonic()
        call_command(
            "seed_demo",
            posts=SEED_POSTS,
            comments_per_post=SEED_COMMENTS_PER_POST,
            communities=SEED_COMMUNITIES,
            force=True,
            verbosity=1,
        )
        say(f"Seeded in {time.monotonic() - started:.1f}s.")
        marker.write_text(json.dumps(params, indent=2) + "\n")

    return find_pages()


def _redacted(url):
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def _database_key(url):
    import hashlib

    return hashlib.sha256(url.encode()).hexdigest()[:12]


def big_discussion_post():
    """The post with 1,000 approved comments in threads of LEVELS nested replies, created once."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from blog.models import Post
    from comments.models import Comment

    post = Post.objects.filter(title=BIG_TITLE).order_by("pk").first()
    if post and Comment.objects.filter(post=post, status=Comment.Status.APPROVED).count() >= BIG_DISCUSSION:
        return post
    members = list(get_user_model().objects.filter(is_active=True).order_by("pk")[:10])
    if not members:
        fail("no members in the database: seed_demo should have created them.")
    say(f"Creating the post with {BIG_DISCUSSION:,} comments…")
    with transaction.atomic():
        if post is None:
            post = Post.objects.create(
                title=BIG_TITLE,
                author=members[-1],
                body="The HTTP benchmark's long discussion. " * 20,
                status=Post.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(days=1),
            )
        else:
            Comment.objects.filter(post=post).delete()  # a partial earlier attempt: start over
        add_comment_threads(post, members, BIG_DISCUSSION)
    return post


def add_comment_threads(post, members, count, *, levels=LEVELS):
    """Add ``count`` approved comments to ``post`` in nested threads; return the number of threads.

    Each thread is a chain of ``levels`` replies (depth 0 to ``levels - 1``; the last thread
    may be shorter), written by ``members`` in turn, one bulk insert per depth.
    ``Comment.save()`` is bypassed, so the HTML and the folded search text are
    set here, rendered once. Used by this benchmark's big discussion and by
    ``manage.py bench_post_page``.
    """
    from comments.models import Comment, comment_search_text
    from comments.services import refresh_comment_counts
    from core.markup import render_markdown

    body_html = render_markdown(COMMENT_BODY, comment=True)
    search_body = comment_search_text(body_html)
    threads = -(-count // levels)
    sizes = [min(levels, count - n * levels) for n in range(threads)]
    parents = {}
    for depth in range(levels):
        comments = []
        for n, size in enumerate(sizes):
            if depth >= size:
                continue
            parent = parents.get(n)
            author = members[(n + depth) % len(members)]
            comments.append(
                Comment(
                    post=post,
                    author=author,
                    author_name=author.public_name,
                    body=COMMENT_BODY,
                    body_html=body_html,
                    search_body=search_body,
                    status=Comment.Status.APPROVED,
                    parent=parent,
                    thread_root_id=(parent.thread_root_id or parent.pk) if parent else None,
                    depth=depth,
                )
            )
        created = Comment.objects.bulk_create(comments, batch_size=500)
        ordered = [n for n, size in enumerate(sizes) if depth < size]
        parents = dict(zip(ordered, created, strict=True))
    refresh_comment_counts(post_ids=[post.pk])
    return threads


def find_pages():
    """The pages to benchmark: (name, path, signed_in), plus notes on the ones skipped."""
    from django.urls import reverse
    from taggit.models import Tag

    from blog.models import Category, Post

    notes = []
    visible = Post.objects.filter(status=Post.Status.PUBLISHED, publish_at__lte=datetime.now(UTC))
    small = visible.filter(comment_count=SEED_COMMENTS_PER_POST).order_by("-pk").first()
    if small is None:
        small = visible.filter(comment_count__gte=5, comment_count__lte=20).order_by("-pk").first()
    if small is None:
        fail("no published post with about 10 comments: seeding did not work.")
    big = big_discussion_post()
    category = Category.objects.filter(posts__isnull=False).distinct().order_by("pk").first()
    tag = Tag.objects.filter(blog_taggedpost_items__isnull=False).distinct().order_by("pk").first()
    pages = [
        ("/healthz", reverse("healthz"), False),
        ("home", reverse("blog:home"), False),
        (f"post, {small.comment_count} comments", small.get_absolute_url(), False),
        (f"post, {BIG_DISCUSSION:,} comments", big.get_absolute_url(), False),
    ]
    if category:
        pages.append((f"category ({category.slug})", category.get_absolute_url(), False))
    else:
        notes.append("category page skipped: no category with posts.")
    if tag:
        pages.append((f"tag ({tag.slug})", reverse("blog:tag", kwargs={"slug": tag.slug}), False))
    else:
        notes.append("tag page skipped: no tag in use.")
    pages.append((f"search ?q={SEARCH_QUERY}", f"/search/?q={SEARCH_QUERY}", False))
    community = community_with_posts()
    if community:
        pages.append(
            (
                f"community ({community.slug})",
                reverse("communities:detail", kwargs={"slug": community.slug}),
                False,
            )
        )
    else:
        notes.append("community page skipped: no public community with public posts.")
    pages.append((f"post, {small.comment_count} comments, signed in", small.get_absolute_url(), True))
    # The same page, but each request a page the member has not seen (a new query string):
    # what a member's first view of a page costs, when their own cached copy cannot answer.
    first_view = f"post, {small.comment_count} comments, signed in, first view"
    pages.append((first_view, small.get_absolute_url(), True))
    FIRST_VIEW_PAGES.add(first_view)
    return pages, notes


def community_with_posts():
    """The public community with the most posts anyone may read (seed_demo --communities makes them)."""
    from django.db.models import Count, Q

    from accounts.models import Community
    from blog.models import Post

    public = Post.objects.visible_to(None).published()
    return (
        Community.objects.public()
        .annotate(n=Count("posts", filter=Q(posts__in=public)))
        .filter(n__gt=0)
        .order_by("-n", "pk")
        .first()
    )


def check_query_plans():
    """EXPLAIN the list queries on the benchmark data; stop if posts or comments are scanned in full.

    Prints one verdict per query with the indexes used, and returns the plans for
    the JSON report. PostgreSQL gets ``ANALYZE`` first, so the planner decides on
    the statistics of this data set, as it would in production.
    """
    from django.db import connection
    from taggit.models import Tag

    from blog.models import Category

    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    subjects = {
        "post": big_discussion_post(),
        "category": Category.objects.filter(posts__isnull=False).distinct().order_by("pk").first(),
        "tag": Tag.objects.filter(blog_taggedpost_items__isnull=False).distinct().order_by("pk").first(),
        "community": community_with_posts(),
    }
    missing = [name for name, value in subjects.items() if value is None]
    if missing:
        fail(f"no {', '.join(missing)} with posts to explain the list queries on: seeding did not work.")
    say(f"Query plans ({'EXPLAIN after ANALYZE' if vendor == 'postgresql' else 'EXPLAIN QUERY PLAN'}):")
    report, failures = [], []
    for name, queryset, tables in plan_queries(**subjects):
        plan = explain(queryset)
        scanned = full_scans(plan, vendor, BIG_TABLES)
        other_scans = [t for t in full_scans(plan, vendor, tables) if t not in scanned]
        indexes = index_names(plan, vendor)
        verdict = "SEQ SCAN" if scanned else "index"
        detail = ", ".join(indexes) or "no index"
        if scanned:
            detail += f"; sequential scan of {', '.join(sorted(set(scanned)))}"
        if other_scans:
            detail += f"; (small table read in full: {', '.join(sorted(set(other_scans)))})"
        say(f"  {verdict:<8} {name}: {detail}")
        report.append({"query": name, "ok": not scanned, "indexes": indexes, "plan": plan})
        if scanned:
            failures.append((name, plan))
    for name, plan in failures:
        say(f"\n{name}:\n{plan}")
    if failures:
        fail(
            f"{len(failures)} list quer{'y reads' if len(failures) == 1 else 'ies read'} posts or comments "
            "with a sequential scan: add an index (see portal/tests/test_query_plans.py)."
        )
    return report


def index_names(plan, vendor):
    """The indexes ``plan`` uses, in order, each once."""
    if vendor == "postgresql":
        names = re.findall(r"(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)", plan)
        names += re.findall(r"Bitmap Index Scan on (\w+)", plan)
    else:
        names = re.findall(r"USING (?:COVERING )?INDEX (\w+)", plan)
    return list(dict.fromkeys(names))


def page_query_counts(pages):
    """SQL queries per page when it is rendered, in-process through the test client.

    After one warm-up request (which fills the fragment caches), the anonymous
    page cache is invalidated (``core.page_cache``) so that the
    measured request renders the page: the figure is the page's query budget.
    A visitor served from the page cache runs no query at all.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.page_cache import bump_content_version, content_version

    member = get_user_model().objects.get(username=MEMBER)
    counts = {}
    for name, path, signed_in in pages:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        if signed_in:
            client.force_login(member)
        response = client.get(path)
        if response.status_code != 200:
            fail(f"{path} answered {response.status_code} in the test client.")
        bump_content_version()
        content_version()  # its one query after a bump (the next scheduled post) is not the page's
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        counts[name] = len(queries)
    return counts


# --- Query plans -------------------------------------------------------------------

# The tables whose list queries must be answered through an index, not a full scan.
BIG_TABLES = ("blog_post", "comments_comment")


def plan_queries(*, post, category, tag, community):
    """The list queries the issue names, built with the querysets the pages use.

    Returns ``(name, queryset, tables)``: ``tables`` are the ones the query filters
    on, each of which must be read through an index. ``post`` is a post with
    comments, ``category``/``tag``/``community`` ones with posts.
    """
    from django.contrib.auth.models import AnonymousUser

    from blog.models import Post
    from comments.models import Comment
    from comments.threads import top_level

    visitor = AnonymousUser()
    posts = Post.objects.visible_to(visitor).published()  # every anonymous list starts here (PostListMixin)
    page = slice(0, 10)
    through = Post.categories.through
    return [
        (
            "comments by post and status (a post's threads)",
            top_level(post, visitor)[page],
            ("comments_comment",),
        ),
        (
            "comments by post and status (approved, newest)",
            Comment.objects.filter(post=post).counted().order_by("-created", "-pk")[page],
            ("comments_comment",),
        ),
        (
            "comments by status (moderation queue)",
            Comment.objects.in_moderation_queue().order_by("created", "pk")[page],
            ("comments_comment",),
        ),
        ("posts by status and date (home)", posts.order_by("-publish_at", "-pk")[page], ("blog_post",)),
        (
            "posts by category",
            posts.filter(pk__in=through.objects.filter(category_id__in=[category.pk]).values("post_id"))[
                page
            ],
            ("blog_post", through._meta.db_table),
        ),
        ("posts by tag", posts.filter(tagged_items__tag=tag)[page], ("blog_post", "blog_taggedpost")),
        ("posts by community", posts.filter(community=community)[page], ("blog_post",)),
    ]


def explain(queryset):
    """The plan of ``queryset`` as text: EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.

    SQLite names a subquery's tables by their aliases (``SEARCH U0 USING …``):
    they are replaced with the table names, read from the query's SQL.
    """
    plan = queryset.explain()
    sql = str(queryset.query)
    for table, alias in re.findall(r'"(\w+)" "?([UT]\d+)\b', sql):
        plan = re.sub(rf"\b(SCAN|SEARCH) {alias}\b", rf"\1 {table}", plan)
    return plan


SQLITE_INDEXED = re.compile(r"USING (?:COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY")


def full_scans(plan, vendor, tables):
    """The tables of ``tables`` that ``plan`` reads in full (a sequential scan), in plan order."""
    scanned = []
    if vendor == "postgresql":
        for match in re.finditer(r"Seq Scan on (\w+)", plan):
            if match.group(1) in tables:
                scanned.append(match.group(1))
    else:
        for line in plan.splitlines():
            match = re.search(r"\b(?:SCAN|SEARCH) (\w+)", line)
            if match and match.group(1) in tables and not SQLITE_INDEXED.search(line):
                scanned.append(match.group(1))
    return scanned


def indexed_reads(plan, vendor, tables):
    """The tables of ``tables`` that ``plan`` reads through an index."""
    found = set()
    if vendor == "postgresql":
        for match in re.finditer(r"(?:Index Scan|Index Only Scan)(?: Backward)? using \w+ on (\w+)", plan):
            found.add(match.group(1))
        for match in re.finditer(r"Bitmap Heap Scan on (\w+)", plan):
            found.add(match.group(1))
    else:
        for line in plan.splitlines():
            match = re.search(r"\b(?:SCAN|SEARCH) (\w+)", line)
            if match and SQLITE_INDEXED.search(line):
                found.add(match.group(1))
    return found & set(tables)


def plan_verdicts(queries, vendor):
    """``(name, ok, plan)`` per query: ok when every table it filters is read through an index."""
    verdicts = []
    for name, queryset, tables in queries:
        plan = explain(queryset)
        ok = not full_scans(plan, vendor, tables) and indexed_reads(plan, vendor, tables) == set(tables)
        verdicts.append((name, ok, plan))
    return verdicts


# --- gunicorn ----------------------------------------------------------------


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Behind the load balancer that terminates TLS: with DEBUG off the site redirects plain
# HTTP to HTTPS (SECURE_SSL_REDIRECT) and trusts this header (SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
PUBLIC_HOST = "127.0.0.1"  # the site's address for the browsers (https://127.0.0.1/), in ALLOWED_HOSTS


class Gunicorn:
    """gunicorn serving the portal on a free loopback port, in its own process group."""

    def __init__(self, env, *, workers=None, log_path=None, name="gunicorn"):
        self.env = env
        self.port = free_port()
        self.process = None
        self.workers = workers or WORKERS
        self.log_path = log_path or BENCH_DIR / "gunicorn.log"
        self.name = name

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn) if gunicorn.exists() else "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        say(
            f"Starting {self.name}: {self.workers} worker{'s' if self.workers != 1 else ''} on "
            f"http://127.0.0.1:{self.port}/ (log: {self.log_path})"
        )
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                fail(f"{self.name} exited with {self.process.returncode}; see {self.log_path}.")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
                pass
            time.sleep(0.3)
        fail(f"/healthz did not answer 200 within {timeout}s; see {self.log_path}.")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's own session: master and workers
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
            say(f"{self.name} stopped.")
        self.log.close()


class Browser:
    """A small HTTP client for the site as a browser behind the balancer sees it.

    Every request goes to one app server's port but carries the site's public
    ``Host`` (``PUBLIC_HOST``) and says it came over HTTPS (``PROXY_HEADERS``), as
    the balancer forwards it; cookies are kept by hand, one jar for all servers;
    a form POST carries the ``Origin`` and ``Referer`` that Django's CSRF check
    requires of HTTPS requests.
    """

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, form=None, timeout=30):
        host = PUBLIC_HOST  # what the balancer forwards, whichever app server it picks
        headers = {"Host": host, **PROXY_HEADERS}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{host}"
            headers["Referer"] = f"https://{host}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            for key, morsel in parsed.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[key] = morsel.value
                else:
                    self.cookies.pop(key, None)
        return response.status, response.headers, text

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, form):
        return self.request(port, "POST", path, form)

    def cookie_header(self):
        return "; ".join(f"{key}={value}" for key, value in self.cookies.items())

    @staticmethod
    def csrf_token(page):
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return match.group(1) if match else None

    def sign_in(self, port, username, password):
        """Sign in through the real allauth login form; an error message if it did not work."""
        status, _headers, page = self.get(port, "/accounts/login/")
        token = self.csrf_token(page)
        if status != 200 or not token:
            return f"could not read the login form (status {status})."
        status, headers, _page = self.post(
            port, "/accounts/login/", {"csrfmiddlewaretoken": token, "login": username, "password": password}
        )
        if status not in (301, 302, 303) or "sessionid" not in self.cookies:
            return f"signing in as {username} failed (status {status}, to {headers.get('Location')})."
        # Follow the redirect as a browser does: the page shows (and so clears) "Signed in as…".
        self.get(port, urllib.parse.urlsplit(headers["Location"]).path or "/")
        return None


def sign_in(port, username, password):
    """Sign in through the real allauth login form; return the Cookie header for wrk."""
    browser = Browser()
    error = browser.sign_in(port, username, password)
    if error:
        fail(error)
    return browser.cookie_header()


def page_cache_state(port, path, cookie, first_view):
    """What answered one more request like the run's: "hit", "miss" or "-" (no page cache involved)."""
    if first_view:
        path += f"?view=probe-{secrets.token_hex(4)}"
    headers = {"Host": f"127.0.0.1:{port}", **PROXY_HEADERS}  # as wrk sends it: the cache keys on it
    if cookie:
        headers["Cookie"] = cookie
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.headers.get("X-Page-Cache", "-")
    finally:
        conn.close()


# --- wrk -----------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def run_wrk(wrk, url, cookie=None, duration=None, first_view=False):
    duration = duration or DURATION
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if first_view:
        script = BENCH_DIR / "first-view.lua"
        script.write_text(FIRST_VIEW_SCRIPT)
        command += ["-s", str(script)]
    for name, value in PROXY_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    result = {
        "requests_per_s": None,
        "p50_ms": None,
        "p99_ms": None,
        "requests": None,
        "non_2xx_3xx": 0,
        "socket_errors": None,
    }
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["requests_per_s"] = float(match.group(1))
    if match := re.search(r"^\s+50%\s+(\S+)", output, re.M):
        result["p50_ms"] = _ms(match.group(1))
    if match := re.search(r"^\s+99%\s+(\S+)", output, re.M):
        result["p99_ms"] = _ms(match.group(1))
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx_3xx"] = int(match.group(1))
    if match := re.search(r"Socket errors:(.*)", output):
        result["socket_errors"] = match.group(1).strip()
    result["raw"] = output
    return result


# --- Report --------------------------------------------------------------------


def print_table(rows):
    base = rows[0]["requests_per_s"] or None
    header = (
        f"{'page':<48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'SQL queries':>12} {'vs /healthz':>12}"
        f" {'page cache':>11}"
    )
    say("")
    say(header)
    say("-" * len(header))
    for row in rows:
        rps = row["requests_per_s"]
        ratio = f"{rps / base:.3f}" if rps and base else "-"

        def num(value, fmt):
            return format(value, fmt) if value is not None else "-"

        line = (
            f"{row['page']:<48} {num(rps, '9.1f')} {num(row['p50_ms'], '8.1f')} {num(row['p99_ms'], '8.1f')} "
            f"{num(row['sql_queries'], '12d')} {ratio:>12} {row.get('page_cache', '-'):>11}"
        )
        if row["non_2xx_3xx"]:
            line += f"  ({row['non_2xx_3xx']} non-2xx/3xx!)"
        say(line)


def parse_args(argv=None, *, prog="python -m portal.bench", doc=__doc__):
    """``--help`` prints the module's docstring; the settings come from the environment it lists."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args(argv)


def main():
    parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    wrk = find_wrk()
    env, user_database = bench_environment()
    os.environ.update({k: env[k] for k in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "VAR_DIR", "LOG_LEVEL")})
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    sys.path.insert(0, str(BASE_DIR))
    setup_django()

    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from portal import demo_content

    pages, notes = prepare_database(env)
    plans = check_query_plans()
    say(f"Collecting static files into {settings.STATIC_ROOT}…")
    call_command("collectstatic", interactive=False, verbosity=0)
    say("Counting SQL queries per page (test client, in-process)…")
    queries = page_query_counts(pages)
    connection.close()  # gunicorn's workers get the database to themselves

    rows = []
    with Gunicorn(env) as server:
        cookie = sign_in(server.port, MEMBER, demo_content.MEMBER_PASSWORD)
        for name, path, signed_in in pages:
            say(f"wrk: {name} ({path}), {WARM_UP}s warm-up, then {DURATION}s…")
            # Steady state is what is measured: each worker fills its own cache (with no
            # Redis) on its first requests, which the warm-up run absorbs.
            first_view = name in FIRST_VIEW_PAGES
            run_wrk(
                wrk,
                server.base_url + path,
                cookie if signed_in else None,
                duration=WARM_UP,
                first_view=first_view,
            )
            result = run_wrk(
                wrk, server.base_url + path, cookie if signed_in else None, first_view=first_view
            )
            result["page_cache"] = page_cache_state(
                server.port, path, cookie if signed_in else None, first_view
            )
            if result["requests_per_s"] is None:
                say(result["raw"])
                fail(f"could not read wrk's output for {path}.")
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "signed_in": signed_in,
                    "first_view": first_view,
                    "sql_queries": queries[name],
                    **{k: v for k, v in result.items() if k != "raw"},
                }
            )

    print_table(rows)
    for note in notes:
        say(f"Note: {note}")
    base = rows[0]["requests_per_s"]
    for row in rows:
        row["ratio_to_healthz"] = round(row["requests_per_s"] / base, 4) if base else None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "timestamp": stamp,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "database_vendor": connection.vendor,
            "database": _redacted(env["DATABASE_URL"]) if user_database else "var/bench/bench.sqlite3",
            "django": django.get_version(),
        },
        "wrk": {"connections": CONNECTIONS, "threads": THREADS, "duration_s": DURATION},
        "gunicorn_workers": WORKERS,
        "notes": notes,
        "query_plans": plans,
        "pages": rows,
    }
    out = BENCH_DIR / f"results-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nResults written to {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nbench: interrupted.", file=sys.stderr)
        sys.exit(130)
