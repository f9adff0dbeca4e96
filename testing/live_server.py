# ruff: noqa: S603, S608 - runs our own interpreter, gunicorn and scripts; no SQL built from input
"""The portal in real gunicorn processes, on a database of its own, for the load and crash tests.

The suite's test database lives inside pytest's process (and, on SQLite, in
memory), so these tests give the server its own database: a SQLite file in a
temporary folder, or on PostgreSQL (when ``DATABASE_URL`` points at one, as in
the second run of ``.ci/run``) a database ``portal_<name>_<pid>`` created,
migrated and dropped here. The server runs the production way: ``DEBUG=0``, a
generated ``SECRET_KEY``, collected static files, several sync workers.

Load comes from separate client processes (``python -m testing.live_server
client …``), each signed in with a session created in the server's database,
posting comments through the real form with its CSRF token. Each client
appends one line per answer to its own file (``ok <marker> <status> <location>``,
``bad <marker> <status> <detail>`` or ``err <marker> <error>``) and flushes it,
so what was acknowledged is known even when the server is killed halfway.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 3
MARKER = re.compile(r"\[marker ([\w-]+)\]")

# Environment variables of the test run that must not reach the server (the browser tests'
# conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for the whole session).
_NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "PYTEST_CURRENT_TEST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process, *, grace):
    """SIGTERM ``process``'s process group, SIGKILL after ``grace`` seconds; nothing if it has ended."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


def is_postgresql_url(url):
    return url.split(":", 1)[0] in {"postgres", "postgresql", "pgsql", "postgis"}


class LiveDatabase:
    """A database for a server under test: a SQLite file, or a PostgreSQL database made for it."""

    def __init__(self, directory, name, *, server_url=None, env=None):
        """``server_url``: a PostgreSQL server to use instead of ``DATABASE_URL``'s; ``env``: more
        environment for every process run on this database (``REDIS_URL``, ``EMAIL_*``, ...)."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret_key = secrets.token_urlsafe(50)  # the same across restarts: sessions stay valid
        self.extra_env = dict(env or {})
        suite_url = server_url or os.environ.get("DATABASE_URL", "")
        if is_postgresql_url(suite_url):
            self.vendor = "postgresql"
            self.name = f"portal_{name}_{os.getpid()}"
            parts = urllib.parse.urlsplit(suite_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}", query=""))
            self._maintenance_url = urllib.parse.urlunsplit(parts._replace(path="/postgres", query=""))
        else:
            self.vendor = "sqlite"
            self.path = self.directory / f"{name}.sqlite3"
            self.name = str(self.path)
            self.url = f"sqlite:///{self.path}"

    # --- lifecycle -----------------------------------------------------------

    def create(self, *, static=True):
        """Create (PostgreSQL), migrate and collect the static files the production settings need."""
        if self.vendor == "postgresql":
            self._maintenance(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._maintenance(f'CREATE DATABASE "{self.name}"')
        self.python(
            f"""
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
            if {bool(static)}:
                call_command("collectstatic", interactive=False, verbosity=0)
            print(json.dumps("ready"))
            """,
            timeout=300,
        )
        return self

    def drop(self):
        if self.vendor == "postgresql":
            self._maintenance(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _maintenance(self, sql):
        import psycopg

        with psycopg.connect(self._maintenance_url, autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.drop()
        return False

    # --- running code against it ---------------------------------------------

    def env(self):
        env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.url,
            VAR_DIR=str(self.directory / "var"),
            MEDIA_ROOT=str(self.directory / "media"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args, timeout=120, check=True):
        """``manage.py`` with this database, stdin not a terminal; raises on failure when ``check``."""
        return self._run([sys.executable, "manage.py", *args], timeout, check=check)

    def python(self, code, timeout=120):
        """Run ``code`` with Django set up on this database; return the JSON its last line prints."""
        script = "import json, django\ndjango.setup()\n" + textwrap.dedent(code)
        result = self._run([sys.executable, "-c", script], timeout)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _run(self, command, timeout, check=True):
        result = subprocess.run(
            command,
            cwd=BASE_DIR,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{command[1:3]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    # --- the scenario of the load tests ---------------------------------------

    def seed_discussion(self, members):
        """One published post, ``members`` members each with a signed-in session, and limits lifted.

        The discussion settings let a member post as fast as a script can: no
        minimum time before posting, rate limits far above the load, no first
        comment hold (so every comment is approved and recounted on the post).
        """
        return self.python(
            f"""
            from importlib import import_module

            from django.conf import settings
            from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

            from comments.models import DiscussionSettings
            from testing.factories import PostFactory, UserFactory

            rules = DiscussionSettings.load()
            rules.min_seconds_to_post = 0
            rules.rate_per_minute = 30_000
            rules.rate_per_day = 1_000_000
            rules.hold_first_comment = False
            rules.save()
            post = PostFactory(title="Concurrency check", author=UserFactory(username="author", password="!"))
            SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
            sessions = []
            for n in range({int(members)}):
                member = UserFactory(username=f"writer{{n}}", password="!")
                session = SessionStore()
                session[SESSION_KEY] = str(member.pk)
                session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
                session[HASH_SESSION_KEY] = member.get_session_auth_hash()
                session.create()
                sessions.append(session.session_key)
            seeded = {{"post_id": post.pk, "post_path": post.get_absolute_url(), "sessions": sessions}}
            print(json.dumps(seeded))
            """
        )

    def inspect_discussion(self, post_id):
        """What is stored: marker counts, the post's comment count and a recount, the integrity check."""
        return self.python(
            f"""
            import re
            from collections import Counter

            from django.db import connection

            from blog.models import Post
            from comments.models import Comment

            post = Post.objects.get(pk={int(post_id)})
            markers = Counter()
            for body in Comment.objects.filter(post=post).values_list("body", flat=True).iterator():
                found = re.search(r"{MARKER.pattern}", body)
                markers[found.group(1) if found else "?"] += 1
            out = {{
                "markers": markers,
                "rows": sum(markers.values()),
                "comment_count": post.comment_count,
                "counted": Comment.objects.counted().filter(post=post).count(),
            }}
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute("PRAGMA integrity_check")
                    out["integrity"] = [row[0] for row in cursor.fetchall()]
                    cursor.execute("PRAGMA foreign_key_check")
                    out["foreign_key_problems"] = len(cursor.fetchall())
                else:
                    # amcheck (a contrib module shipped with PostgreSQL): every B-tree index of the
                    # portal's tables matches its table, row for row.
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
                    cursor.execute(
                        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE a.amname = 'btree' AND n.nspname = 'public' AND c.relpersistence = 'p'"
                    )
                    indexes = [row[0] for row in cursor.fetchall()]
                    for index in indexes:
                        cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
                    out["integrity"] = ["ok"]
                    out["indexes_checked"] = len(indexes)
                    cursor.execute(
                        "SELECT count(*) FROM comments_comment c LEFT JOIN blog_post p ON p.id = c.post_id "
                        "WHERE p.id IS NULL"
                    )
                    out["foreign_key_problems"] = cursor.fetchone()[0]
            print(json.dumps(out))
            """
        )


class Gunicorn:
    """gunicorn serving the portal on a free loopback port, in a process group of its own."""

    def __init__(self, database, *, workers=WORKERS, name="gunicorn"):
        self.database = database
        self.workers = workers
        self.port = free_port()
        self.log_path = database.directory / f"{name}-{self.port}.log"
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn) if gunicorn.exists() else "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.database.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and workers are killed together
            )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _headers, _body = request(self.port, "GET", "/healthz", timeout=5)
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"/healthz did not answer 200 within {timeout}s:\n{self.log_tail()}")

    def kill(self):
        """SIGKILL to the master and every worker at once: a crash, no cleanup, no graceful shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process is not None:
            stop_group(self.process, grace=20)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --- HTTP ----------------------------------------------------------------------


def request(port, method, path, *, headers=None, body=None, timeout=60):
    """One request on a fresh connection (gunicorn's sync workers close each one): status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def proxy_headers(port, path, cookies):
    """What the reverse proxy in front of production adds: the request came over HTTPS.

    The production settings trust ``X-Forwarded-Proto``; Django's CSRF check then
    wants a Referer from the site itself, as a browser sends.
    """
    return {
        "X-Forwarded-Proto": "https",
        "Referer": f"https://127.0.0.1:{port}{path}",
        "Cookie": "; ".join(f"{key}={value}" for key, value in cookies.items()),
    }


@dataclass
class Form:
    cookies: dict
    fields: dict


def open_comment_form(port, post_path, session_key):
    """GET the post page as a signed-in member: the CSRF cookie and the form's hidden fields."""
    cookies = {"sessionid": session_key}
    status, headers, body = request(port, "GET", post_path, headers=proxy_headers(port, post_path, cookies))
    page = body.decode("utf-8", errors="replace")
    if status != 200:
        raise RuntimeError(f"GET {post_path} answered {status}")
    for header in headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        cookies.update({key: morsel.value for key, morsel in parsed.items()})
    fields = {}
    for name in ("csrfmiddlewaretoken", "started"):
        found = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', page
        )
        if not found:
            raise RuntimeError(f"no {name} field in the comment form of {post_path}")
        fields[name] = found.group(1)
    if "csrftoken" not in cookies:
        raise RuntimeError("the post page set no csrftoken cookie")
    return Form(cookies, fields)


def comment_text(marker):
    return f"Learning together under load [marker {marker}]: a note that must be stored exactly once."


def run_client(*, port, post_id, post_path, session_key, prefix, count, out, stop_on_error):
    """Post ``count`` comments; one flushed line per answer in ``out``."""
    form = open_comment_form(port, post_path, session_key)
    headers = {
        **proxy_headers(port, post_path, form.cookies),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    action = f"/comments/post/{post_id}/"
    with open(out, "a", encoding="utf-8") as log:
        for n in range(count):
            marker = f"{prefix}-{n:04d}"
            body = urllib.parse.urlencode(
                {**form.fields, "body": comment_text(marker), "website": "", "parent": "", "follow": "on"}
            )
            try:
                status, response_headers, content = request(port, "POST", action, headers=headers, body=body)
            except (OSError, http.client.HTTPException) as error:
                log.write(f"err {marker} {type(error).__name__}\n")
                log.flush()
                if stop_on_error:
                    return
                continue
            location = response_headers.get("Location", "")
            if status in (301, 302, 303) and "/accounts/" not in location:
                log.write(f"ok {marker} {status} {location}\n")
            else:
                detail = location or re.sub(r"\s+", " ", content.decode("utf-8", errors="replace"))[:200]
                log.write(f"bad {marker} {status} {detail}\n")
            log.flush()


def read_answers(paths):
    """The lines the clients wrote, as (kind, marker, rest) tuples."""
    answers = []
    for path in paths:
        if not Path(path).exists():
            continue
        # Only whole lines: a client may be writing the last one right now.
        for line in Path(path).read_text(encoding="utf-8").split("\n")[:-1]:
            kind, marker, *rest = line.split(" ", 2)
            answers.append((kind, marker, rest[0] if rest else ""))
    return answers


def start_clients(server, seeded, *, processes, count, directory, stop_on_error=False, tag="load"):
    """One client process per session (cycled), ``count`` comments each; returns (Popen list, out paths)."""
    clients, outputs = [], []
    for n in range(processes):
        out = Path(directory) / f"{tag}-client-{n}.txt"
        out.write_text("")
        command = [
            sys.executable,
            "-m",
            "testing.live_server",
            "client",
            "--port",
            str(server.port),
            "--post-id",
            str(seeded["post_id"]),
            "--post-path",
            seeded["post_path"],
            "--session",
            seeded["sessions"][n % len(seeded["sessions"])],
            "--prefix",
            f"{tag}{n}",
            "--count",
            str(count),
            "--out",
            str(out),
        ]
        if stop_on_error:
            command.append("--stop-on-error")
        clients.append(
            subprocess.Popen(
                command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
        outputs.append(out)
    return clients, outputs


def wait_clients(clients, timeout):
    """Wait for every client; raise with its output if one failed outright."""
    deadline = time.monotonic() + timeout
    for client in clients:
        try:
            output, _ = client.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in clients:
                other.kill()
            raise RuntimeError(f"a load client was still running after {timeout}s") from None
        if client.returncode != 0:
            raise RuntimeError(f"a load client failed ({client.returncode}):\n{output}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    client = sub.add_parser("client", help="post comments to a running server")
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--post-id", type=int, required=True)
    client.add_argument("--post-path", required=True)
    client.add_argument("--session", required=True)
    client.add_argument("--prefix", required=True)
    client.add_argument("--count", type=int, required=True)
    client.add_argument("--out", required=True)
    client.add_argument("--stop-on-error", action="store_true")
    args = parser.parse_args(argv)
    run_client(
        port=args.port,
        post_id=args.post_id,
        post_path=args.post_path,
        session_key=args.session,
        prefix=args.prefix,
        count=args.count,
        out=args.out,
        stop_on_error=args.stop_on_error,
    )


if __name__ == "__main__":
    main()
