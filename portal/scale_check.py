# ruff: noqa: S603 - a developer and CI tool: starts gunicorn and db_worker from this interpreter
"""Scale-out check: two app servers and two task workers on one PostgreSQL and one Redis.

Run as ``.venv/bin/python -m portal.scale_check`` (or ``make scale-demo``; CI runs it
after the PostgreSQL test run). It

1. drops and recreates its own database (``portal_scale`` on the server of
   ``DATABASE_URL`` when that is PostgreSQL, else on 127.0.0.1; or exactly
   ``SCALE_DATABASE_URL``), migrates it, empties its Redis database
   (``SCALE_REDIS_URL``, default ``redis://127.0.0.1:6379/14``) and creates a tiny
   data set through the models and services: an editor, a member, a post
   author, a post and the member's first comment, held for moderation;
2. collects the static files into a temporary ``VAR_DIR`` and starts, the
   production way (``DEBUG=0``, a generated ``SECRET_KEY``,
   ``ALLOWED_HOSTS=127.0.0.1``, mail written to files), two gunicorn instances on
   two free loopback ports and two ``manage.py db_worker`` processes;
3. proves with real HTTP requests, as browsers behind a TLS-terminating load
   balancer would make them (``X-Forwarded-Proto: https``, cookies by hand):

   a. a session signed in through the login form of server 1 is valid on server 2;
   b. the held comment approved through server 1's moderation queue (POST with
      CSRF, as the editor) is gone from server 2's queue and is on the post page
      server 2 serves to a visitor at once (the page cache is shared in Redis,
      and the approval invalidates it);
   c. the notification tasks that approval enqueued are each run exactly once
      by the two workers: one result row each, SUCCESSFUL, run by one worker,
      and one email to each recipient.

Each check prints PASS or FAIL; the exit status is 1 if any failed. Every process
it starts is stopped on every way out (failure, Ctrl-C, SIGTERM). The logs of
the servers and workers are printed when something fails.

Environment: ``SCALE_DATABASE_URL``, ``SCALE_REDIS_URL``, ``SCALE_TIMEOUT`` (seconds
to wait for the tasks, default 60), ``SCALE_KEEP=1`` to keep the temporary folder.
"""

import email
import email.policy
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

from portal.bench import BASE_DIR, Browser, Gunicorn, parse_args, say

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TIMEOUT = float(os.environ.get("SCALE_TIMEOUT", "60"))
PASSWORD = secrets.token_urlsafe(12)
EDITOR, MEMBER, AUTHOR = "scale-editor", "scale-member", "scale-author"
MEMBER_NAME = "Ana Scale-Check"
MARKER = "Two servers, one discussion: a comment held for moderation"
TASKS = ("comments.notifications.notify_comment_author", "comments.notifications.notify_new_comment")


class CheckFailed(Exception):
    pass


def database_url():
    """``SCALE_DATABASE_URL``, or ``portal_scale`` on the PostgreSQL server of ``DATABASE_URL`` (or local)."""
    if explicit := os.environ.get("SCALE_DATABASE_URL"):
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(base)._replace(path="/portal_scale"))


def recreate_database(url):
    """DROP and CREATE the database of ``url``, connected to the server's ``postgres`` database."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"\w+", name):
        raise CheckFailed(f"unexpected database name {name!r} in SCALE_DATABASE_URL.")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise CheckFailed(
            f"cannot recreate the database {name} on {parts.hostname}:{parts.port or 5432} "
            f"({error.__class__.__name__}: {str(error).strip()}); is PostgreSQL running?"
        ) from error


def environment(workdir, db_url, redis_url):
    """What the servers, the workers and this process share: production settings on the scale database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(workdir),  # STATIC_ROOT and MEDIA_ROOT
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(workdir / "mail"),
        "PORTAL_BASE_URL": "https://127.0.0.1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


# --- The data set ----------------------------------------------------------------


def prepare(env):
    """Migrate, empty the cache, create the members, the post and the held comment; return their ids."""
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from blog.models import Post
    from comments.models import Comment
    from comments.services import comment_submit

    say("Migrating the scale database…")
    call_command("migrate", interactive=False, verbosity=0)
    try:
        cache.clear()  # SCALE_REDIS_URL is this check's own Redis database
    except Exception as error:  # the redis client's ConnectionError and its kin
        raise CheckFailed(f"cannot reach Redis at {env['REDIS_URL']} ({error}); is it running?") from error
    call_command("collectstatic", interactive=False, verbosity=0)

    User = get_user_model()

    def member(username, display_name, **fields):
        user = User.objects.create_user(
            username, f"{username}@example.org", PASSWORD, display_name=display_name, **fields
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    editor = member(EDITOR, "Eda Editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    reader = member(MEMBER, MEMBER_NAME)
    author = member(AUTHOR, "Aurelio Author")
    post = Post.objects.create(
        title="Learning on two servers",
        author=author,
        body="A post whose discussion is moderated on one app server and read on another.",
        status=Post.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(hours=1),
    )
    comment = comment_submit(post=post, author=reader, body=MARKER)
    if comment.status != Comment.Status.PENDING:
        raise CheckFailed(f"the member's first comment was {comment.status}, not held for moderation.")
    ids = {"post_url": post.get_absolute_url(), "comment_id": comment.pk}
    connections.close_all()  # the servers and workers get the database to themselves
    return ids


# --- Processes -------------------------------------------------------------------


class Worker:
    """``manage.py db_worker`` in its own process group, logging to a file."""

    def __init__(self, env, name, log_path):
        self.env, self.name, self.log_path = env, name, log_path
        self.process = None

    def start(self):
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--worker-id",
                self.name,
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        say(f"Started {self.name} (log: {self.log_path})")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
            say(f"{self.name} stopped.")
        self.log.close()


# --- The checks ------------------------------------------------------------------


def check_session(one, two):
    """(a) A member signed in on server 1 is signed in on server 2."""
    browser = Browser()
    if error := browser.sign_in(one.port, MEMBER, PASSWORD):
        raise CheckFailed(f"server 1: {error}")
    status, _headers, page = browser.get(two.port, "/")
    if status != 200:
        raise CheckFailed(f"server 2 answered {status} to the signed-in member.")
    if MEMBER_NAME not in page or "Sign out" not in page:
        raise CheckFailed("server 2 does not show the member's menu: the session is not shared.")
    status, _headers, page = Browser().get(two.port, "/")
    if MEMBER_NAME in page:
        raise CheckFailed("server 2 shows the member's name to a visitor without the session cookie.")
    return "the member's menu on server 2 after signing in on server 1; a visitor's page has no name."


def check_moderation(one, two, ids):
    """(b) Approved through server 1: gone from server 2's queue, on server 2's post page at once."""
    comment_id, post_url = ids["comment_id"], ids["post_url"]
    in_queue = re.compile(rf'name="ids" value="{comment_id}"')
    editor = Browser()
    if error := editor.sign_in(one.port, EDITOR, PASSWORD):
        raise CheckFailed(f"server 1: {error}")

    status, _headers, queue = editor.get(two.port, "/comments/moderation/")
    if status != 200 or not in_queue.search(queue):
        raise CheckFailed(f"the held comment is not in server 2's moderation queue (status {status}).")
    visitor = Browser()
    cache_states = []
    for server in (one, two):  # server 1 renders and stores the page, server 2 should find it in Redis
        status, headers, page = visitor.get(server.port, post_url)
        if status != 200:
            raise CheckFailed(f"the post page answered {status} on port {server.port}.")
        if MARKER in page:
            raise CheckFailed("the held comment is on the public post page before its approval.")
        cache_states.append(headers.get("X-Page-Cache", "-"))

    if cache_states[1] not in ("hit", "-"):  # "-": no page cache in this version of the portal
        raise CheckFailed(
            f"server 2 rendered the post page again (X-Page-Cache: {cache_states[1]}) instead of finding "
            "server 1's copy in the shared cache: the stale-page check below would prove nothing."
        )

    status, _headers, queue = editor.get(one.port, "/comments/moderation/")
    token = editor.csrf_token(queue)
    if status != 200 or not token:
        raise CheckFailed(f"could not read server 1's moderation queue form (status {status}).")
    status, headers, _page = editor.post(
        one.port,
        "/comments/moderation/act/",
        {
            "csrfmiddlewaretoken": token,
            "action": "approve",
            "ids": comment_id,
            "next": "/comments/moderation/",
        },
    )
    if status not in (302, 303):
        raise CheckFailed(f"approving through server 1 answered {status}.")

    status, _headers, queue = editor.get(two.port, "/comments/moderation/")
    if status != 200 or in_queue.search(queue):
        raise CheckFailed("the approved comment is still in server 2's moderation queue.")
    status, headers, page = visitor.get(two.port, post_url)
    if status != 200 or MARKER not in page:
        raise CheckFailed(
            f"server 2's post page does not show the approved comment (status {status}, "
            f"page cache {headers.get('X-Page-Cache', '-')}): a stale page."
        )
    return (
        f"gone from server 2's queue and on its post page at once (page cache before approval: "
        f"server 1 {cache_states[0]}, server 2 {cache_states[1]}; after: {headers.get('X-Page-Cache', '-')})."
    )


def task_results(comment_id):
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    rows = [
        row
        for row in DBTaskResult.objects.filter(task_path__in=TASKS).order_by("enqueued_at")
        if row.args_kwargs.get("args", [None])[0] == comment_id
    ]
    connections.close_all()
    return rows


def sent_messages(mail_dir):
    """The addresses of the To header of every message the file backend wrote, one set per message.

    The backend writes each message followed by a line of 79 dashes; the standard
    library's parser reads the header (folded lines, several addresses, names).
    """
    separator = b"\n" + b"-" * 79 + b"\n"
    recipients = []
    for path in sorted(Path(mail_dir).glob("*")):
        for raw in path.read_bytes().split(separator):
            if raw.strip():
                message = email.message_from_bytes(raw, policy=email.policy.default)
                to = message["To"]
                recipients.append({address.addr_spec for address in to.addresses} if to else set())
    return recipients


def check_tasks(ids, mail_dir, workers):
    """(c) The approval's notification tasks run exactly once between the two workers."""
    comment_id = ids["comment_id"]
    deadline = time.monotonic() + TIMEOUT
    while True:
        rows = task_results(comment_id)
        done = [row for row in rows if row.status in ("SUCCESSFUL", "FAILED")]
        if len(rows) >= len(TASKS) and len(done) == len(rows):
            break
        if any(worker.process.poll() is not None for worker in workers):
            raise CheckFailed("a worker exited: see its log.")
        if time.monotonic() > deadline:
            states = ", ".join(f"{row.task_path.rsplit('.', 1)[1]}: {row.status}" for row in rows) or "none"
            raise CheckFailed(f"the tasks did not finish within {TIMEOUT:.0f}s (results: {states}).")
        time.sleep(0.3)
    time.sleep(2)  # several polls of both workers: a second run would show now
    rows = task_results(comment_id)
    by_task = {}
    for row in rows:
        by_task.setdefault(row.task_path, []).append(row)
    problems = []
    for path in TASKS:
        found = by_task.get(path, [])
        name = path.rsplit(".", 1)[1]
        if len(found) != 1:
            problems.append(f"{name} has {len(found)} results")
            continue
        row = found[0]
        if row.status != "SUCCESSFUL" or len(row.worker_ids) != 1:
            problems.append(f"{name}: {row.status}, run by {row.worker_ids}")
    recipients = sent_messages(mail_dir)
    expected = {f"{MEMBER}@example.org": 1, f"{AUTHOR}@example.org": 1}
    counted = {address: sum(address in to for to in recipients) for address in expected}
    if counted != expected:
        problems.append(f"emails sent {counted}, expected one each ({len(recipients)} messages in all)")
    if problems:
        raise CheckFailed("; ".join(problems) + ".")
    runs = ", ".join(f"{path.rsplit('.', 1)[1]} by {by_task[path][0].worker_ids[0]}" for path in TASKS)
    return f"each task SUCCESSFUL once ({runs}); one email to the member and one to the post's author."


# --- Main --------------------------------------------------------------------------


def print_logs(paths):
    for path in paths:
        if path.exists():
            lines = path.read_text(errors="replace").splitlines()[-25:]
            say(f"\n--- last lines of {path.name} ---")
            say("\n".join(lines) if lines else "(empty)")


def run():
    db_url = database_url()
    redis_url = os.environ.get("SCALE_REDIS_URL", DEFAULT_REDIS_URL)
    workdir = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    env = environment(workdir, db_url, redis_url)
    servers, workers, results = [], [], []
    logs = [
        workdir / "server-1.log",
        workdir / "server-2.log",
        workdir / "worker-1.log",
        workdir / "worker-2.log",
    ]
    try:
        parts = urllib.parse.urlsplit(db_url)  # printed without the user and password
        safe_url = parts._replace(netloc=f"{parts.hostname or ''}:{parts.port or 5432}")
        say(f"Scale-out check: database {urllib.parse.urlunsplit(safe_url)}, Redis {redis_url}, in {workdir}")
        recreate_database(db_url)
        ids = prepare(env)
        for n in (1, 2):
            server = Gunicorn(env, workers=1, log_path=workdir / f"server-{n}.log", name=f"server {n}")
            servers.append(server)
            server.__enter__()
        for n in (1, 2):
            worker = Worker(env, f"worker-{n}", workdir / f"worker-{n}.log")
            workers.append(worker)
            worker.start()
        one, two = servers
        checks = [
            ("a session signed in on server 1 is valid on server 2", lambda: check_session(one, two)),
            (
                "a comment approved through server 1 is current on server 2",
                lambda: check_moderation(one, two, ids),
            ),
            (
                "the approval's tasks run exactly once by two workers",
                lambda: check_tasks(ids, workdir / "mail", workers),
            ),
        ]
        for name, check in checks:
            try:
                detail = check()
            except CheckFailed as error:
                results.append(False)
                say(f"FAIL  {name}: {error}")
                if name.startswith("a comment approved"):
                    break  # the task check needs the approval
            else:
                results.append(True)
                say(f"PASS  {name}: {detail}")
    except CheckFailed as error:
        results.append(False)
        say(f"FAIL  setting up: {error}")
    finally:
        for process in [*workers, *servers]:
            process.stop()
        if not all(results) or not results:
            print_logs(logs)
        if os.environ.get("SCALE_KEEP") == "1":
            say(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    ok = bool(results) and all(results)
    say(f"\nScale-out check {'passed' if ok else 'FAILED'}: {sum(results)} of 3 checks passed.")
    return 0 if ok else 1


def main():
    parse_args(prog="python -m portal.scale_check", doc=__doc__)

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # unwinds through run()'s finally: every process is stopped

    signal.signal(signal.SIGTERM, stop)
    try:
        return run()
    except KeyboardInterrupt:
        print("\nscale check: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
