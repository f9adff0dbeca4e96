# ruff: noqa: S310, S603, S607 - a developer tool: runs wrk, apt-get and gunicorn, opens a loopback URL
"""HTTP load benchmark of the portal served by gunicorn the production way (``make bench``).

Run as ``.venv/bin/python -m portal.bench``. It

1. builds or reuses a benchmark database: the SQLite file ``var/bench/bench.sqlite3``,
   or the database in ``DATABASE_URL`` when one is set; migrates it and runs
   ``seed_demo --posts 10000 --comments-per-post 10`` (skipped when the marker file
   records the same parameters for that database), then adds one post with 1,000
   approved comments in nested threads;
2. collects the static files into ``var/bench/static`` and starts gunicorn with
   ``DEBUG=0``, a generated ``SECRET_KEY``, ``ALLOWED_HOSTS=127.0.0.1``, one worker
   per core, on a free loopback port, and waits for ``/healthz``;
3. runs ``wrk --latency`` (8 connections, 2 threads, ``BENCH_DURATION`` seconds,
   default 10) on each page, including the post page for a signed-in member
   (session cookie from the real login form);
4. counts the SQL queries of each page in-process with Django's test client;
5. prints a table and writes ``var/bench/results-<timestamp>.json``.

Environment: ``DATABASE_URL`` (another database), ``BENCH_DURATION`` (seconds per
page), ``BENCH_CONNECTIONS`` / ``BENCH_THREADS`` (wrk's -c / -t, default 8 / 2),
``BENCH_WORKERS`` (gunicorn workers, default the number of cores).
"""

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
BIG_DISCUSSION = 1_000
BIG_TITLE = "Benchmark: a discussion of 1,000 comments"
LEVELS = 5  # each thread of the big discussion is a chain of replies this deep
MEMBER = "tomas"  # a demo member (seed_demo), signed in for the member page
SEARCH_QUERY = "learning"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))


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
    }
    marker = BENCH_DIR / f"seeded-{_database_key(env['DATABASE_URL'])}.json"
    try:
        seeded = json.loads(marker.read_text()) == params
    except (OSError, ValueError):
        seeded = False
    if seeded:
        say(f"Seed data: already there ({marker.relative_to(BASE_DIR)} records the same parameters).")
    else:
        say(f"Seeding: seed_demo --posts {SEED_POSTS} --comments-per-post {SEED_COMMENTS_PER_POST}…")
        started = time.monotonic()
        call_command(
            "seed_demo",
            posts=SEED_POSTS,
            comments_per_post=SEED_COMMENTS_PER_POST,
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
    from comments.models import Comment, comment_search_text
    from comments.services import refresh_comment_counts

    post = Post.objects.filter(title=BIG_TITLE).order_by("pk").first()
    if post and Comment.objects.filter(post=post, status=Comment.Status.APPROVED).count() >= BIG_DISCUSSION:
        return post
    members = list(get_user_model().objects.filter(is_active=True).order_by("pk")[:10])
    if not members:
        fail("no members in the database: seed_demo should have created them.")
    body = "A thought on *learning together*, with a [link](https://example.org) and a second sentence."
    body_html = (
        '<p>A thought on <em>learning together</em>, with a <a href="https://example.org" '
        'rel="nofollow ugc noopener">link</a> and a second sentence.</p>'
    )
    search_body = comment_search_text(body_html)
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
        threads = -(-BIG_DISCUSSION // LEVELS)
        sizes = [min(LEVELS, BIG_DISCUSSION - n * LEVELS) for n in range(threads)]
        parents = {}
        for depth in range(LEVELS):
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
                        body=body,
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
    return post


def find_pages():
    """The pages to benchmark: (name, path, signed_in), plus notes on the ones skipped."""
    from django.urls import reverse
    from taggit.models import Tag

    from accounts.models import Community
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
    community = Community.objects.filter(visibility=Community.Visibility.PUBLIC).order_by("pk").first()
    if community:
        pages.append(
            (
                f"community ({community.slug})",
                reverse("communities:detail", kwargs={"slug": community.slug}),
                False,
            )
        )
    else:
        notes.append("community page skipped: there is no public community (seed_demo creates none).")
    pages.append((f"post, {small.comment_count} comments, signed in", small.get_absolute_url(), True))
    return pages, notes


def count_queries(pages):
    """SQL queries per page, in-process through the test client (after one warm-up request)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    member = get_user_model().objects.get(username=MEMBER)
    counts = {}
    for name, path, signed_in in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if signed_in:
            client.force_login(member)
        response = client.get(path)
        if response.status_code != 200:
            fail(f"{path} answered {response.status_code} in the test client.")
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        counts[name] = len(queries)
    return counts


# --- gunicorn ----------------------------------------------------------------


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, env):
        self.env = env
        self.port = free_port()
        self.process = None
        self.log_path = BENCH_DIR / "gunicorn.log"

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn) if gunicorn.exists() else "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ]
        say(f"Starting gunicorn: {WORKERS} workers on http://127.0.0.1:{self.port}/ (log: {self.log_path})")
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
                fail(f"gunicorn exited with {self.process.returncode}; see {self.log_path}.")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
                pass
            time.sleep(0.3)
        fail(f"/healthz did not answer 200 within {timeout}s; see {self.log_path}.")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's own session: master and workers
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.log.close()
        say("gunicorn stopped.")


def sign_in(port, username, password):
    """Sign in through the real allauth login form; return the Cookie header for wrk."""

    def cookies_of(response, jar):
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            for key, morsel in parsed.items():
                jar[key] = morsel.value

    jar = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    page = response.read().decode()
    cookies_of(response, jar)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not match or "csrftoken" not in jar:
        fail(f"could not read the login form (status {response.status}).")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "login": username, "password": password}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Host": "127.0.0.1",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={jar['csrftoken']}",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies_of(response, jar)
    conn.close()
    if response.status not in (301, 302, 303) or "sessionid" not in jar:
        fail(f"signing in as {username} failed (status {response.status}).")
    return f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}"


# --- wrk -----------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def run_wrk(wrk, url, cookie=None):
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "--timeout", "10s"]
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
    header = f"{'page':<36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'SQL queries':>12} {'vs /healthz':>12}"
    say("")
    say(header)
    say("-" * len(header))
    for row in rows:
        rps = row["requests_per_s"]
        ratio = f"{rps / base:.3f}" if rps and base else "-"

        def num(value, fmt):
            return format(value, fmt) if value is not None else "-"

        line = (
            f"{row['page']:<36} {num(rps, '9.1f')} {num(row['p50_ms'], '8.1f')} {num(row['p99_ms'], '8.1f')} "
            f"{num(row['sql_queries'], '12d')} {ratio:>12}"
        )
        if row["non_2xx_3xx"]:
            line += f"  ({row['non_2xx_3xx']} non-2xx/3xx!)"
        say(line)


def main():
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
    say(f"Collecting static files into {settings.STATIC_ROOT}…")
    call_command("collectstatic", interactive=False, verbosity=0)
    say("Counting SQL queries per page (test client, in-process)…")
    queries = count_queries(pages)
    connection.close()  # gunicorn's workers get the database to themselves

    rows = []
    with Gunicorn(env) as server:
        cookie = sign_in(server.port, MEMBER, demo_content.MEMBER_PASSWORD)
        for name, path, signed_in in pages:
            say(f"wrk: {name} ({path}), {DURATION}s…")
            result = run_wrk(wrk, server.base_url + path, cookie if signed_in else None)
            if result["requests_per_s"] is None:
                say(result["raw"])
                fail(f"could not read wrk's output for {path}.")
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "signed_in": signed_in,
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
