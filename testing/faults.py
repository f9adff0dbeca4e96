# ruff: noqa: S603, S607 - starts redis-server, PostgreSQL's cluster tools and manage.py, all local
"""The parts of the site as real processes that fail on cue, for the fault suite.

``portal/tests/faults/fault_suite.py`` (``make faults``) uses these:

* ``restart_redis``: ``testing.redis_server.RedisServer`` (persistent: an
  append-only file, fsync at every write) started again on its port with or
  without the data it had.
* ``PostgresCluster``: a PostgreSQL cluster of its own
  (``pg_createcluster <version> faults<port>`` on a free port, trust
  authentication), stopped with ``-m immediate`` and started again; dropped at
  the end. The shared server on 5432 is never touched.
* ``SmtpServer``: an SMTP server (aiosmtpd) in a thread of the test process
  that records each message (recipient, Message-ID, the comment's marker)
  and can instead hang before its final reply to DATA (the message is then
  discarded), hold that reply until released (then it takes the message if
  its client is still there) or refuse with 451, for all messages or for some
  recipients.
* ``DbWorker``: ``manage.py db_worker`` in a process group of its own.
* ``TaskTable``: what the database says of the notification tasks of a post's
  comments (status, the workers that claimed each) and of the workers' rows.
* ``Traffic``: HTTP requests as a browser behind the production proxy makes
  them, each one recorded (status, time, whether a comment was accepted), from
  any number of threads, with a bounded timeout.

Every process is stopped by ``stop()`` whatever state it is in. Nothing here
sends traffic anywhere but 127.0.0.1.
"""

import asyncio
import email
import email.policy
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from testing.live_server import BASE_DIR, comment_text, free_port, open_comment_form, stop_group

MARKER_IN_TEXT = re.compile(r"\[marker ([\w-]+)\]")


def wait_until(predicate, timeout, interval=0.05):
    """Poll ``predicate`` until it returns something true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def tail(path, lines=30):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty)"


def restart_redis(redis, *, keep_data):
    """Start a killed ``testing.redis_server.RedisServer`` again on its port, with or without its data."""
    if not keep_data:
        shutil.rmtree(redis.directory, ignore_errors=True)
        redis.directory.mkdir(parents=True)
    return redis.start()


# --- PostgreSQL ---------------------------------------------------------------------------


class PostgresCluster:
    """A PostgreSQL cluster created for the run (``pg_createcluster``), on a free loopback port."""

    def __init__(self):
        versions = sorted(
            (p.name for p in Path("/etc/postgresql").glob("*") if p.name.isdigit()), key=int, reverse=True
        )
        if not versions or not shutil.which("pg_createcluster"):
            raise RuntimeError("PostgreSQL's server and postgresql-common (pg_createcluster) are needed.")
        self.version = versions[0]
        self.port = free_port()
        self.name = f"faults{self.port}"
        self.log_path = Path(f"/var/log/postgresql/postgresql-{self.version}-{self.name}.log")
        self.created = False

    @property
    def url(self):
        """The server's maintenance database; LiveDatabase makes its own database on this server."""
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def create(self):
        self._run(
            "pg_createcluster",
            self.version,
            self.name,
            "-p",
            str(self.port),
            "--start-conf=manual",
            "--",
            "--auth=trust",
        )
        self.created = True
        self.start()
        return self

    def start(self):
        self._ctl("start")
        if not wait_until(self.accepting, 30, interval=0.1):
            raise RuntimeError(f"cluster {self.name} does not accept connections:\n{tail(self.log_path)}")

    def start_in_background(self):
        """``pg_ctlcluster start`` without waiting for it (the caller polls ``accepting``)."""
        return subprocess.Popen(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "start"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop_immediate(self):
        """``-m immediate``: the postmaster and its backends quit at once, no checkpoint (a crash)."""
        self._ctl("stop", "-m", "immediate")

    def accepting(self):
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def running(self):
        result = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "status"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def drop(self):
        if self.created:
            self._run("pg_dropcluster", "--stop", self.version, self.name, check=False)
            self.created = False

    def _ctl(self, *args):
        self._run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *args)

    def _run(self, *command, check=True):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def log_tail(self, lines=15):
        return tail(self.log_path, lines)


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class Delivered:
    at: float
    to: tuple
    message_id: str
    marker: str
    subject: str


class SmtpServer:
    """An SMTP server (aiosmtpd) in a thread, with switchable modes.

    ``ACCEPT`` records each message. ``HANG`` receives the whole message and
    then gives no final reply to DATA until released (or the client goes away),
    and discards the message. ``HOLD`` is the same until the release, and then
    takes the message (250, recorded) if its client is still connected: a
    client that went away meanwhile (a killed worker) had its message
    discarded. ``REFUSE`` answers DATA with 451 (try again later). A mode may
    apply to some recipients only; other messages are accepted. Setting another
    mode releases the replies that hang or are held.

    ``events`` records (time, kind, recipients, marker), kind one of "hung",
    "held" (a reply starts waiting), "discarded" (its client went away while it
    waited) and "refused".
    """

    ACCEPT, HANG, HOLD, REFUSE = "accept", "hang", "hold", "refuse"
    HANG_LIMIT = 120  # seconds a hanging reply waits at most for its release

    def __init__(self):
        self.port = free_port()
        self.delivered: list[Delivered] = []
        self.events: list[tuple] = []  # (time, kind, recipients, marker)
        self._lock = threading.Lock()
        self._mode = self.ACCEPT
        self._mode_for = None
        self._release = threading.Event()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            _SmtpHandler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()
        return self

    def stop(self):
        self._release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def set_mode(self, mode, recipients=None):
        with self._lock:
            if mode not in (self.HANG, self.HOLD):
                self._release.set()  # a reply still waiting ends now (discarded if HANG, taken if HOLD)
            else:
                self._release = threading.Event()
            self._mode = mode
            self._mode_for = set(recipients) if recipients else None

    def mode_for(self, recipients):
        with self._lock:
            if self._mode_for is None or self._mode_for & set(recipients):
                return self._mode, self._release
            return self.ACCEPT, self._release

    def record(self, kind, recipients, message=None, marker=""):
        with self._lock:
            if message is None:
                self.events.append((time.monotonic(), kind, tuple(recipients), marker))
            else:
                self.delivered.append(message)

    def messages_to(self, address):
        with self._lock:
            return [message for message in self.delivered if address in message.to]

    def events_for(self, kind, address, marker=None):
        """The events of ``kind`` for ``address`` (and about ``marker``, if given), oldest first."""
        with self._lock:
            return [
                event
                for event in self.events
                if event[1] == kind and address in event[2] and marker in (None, event[3])
            ]


class _SmtpHandler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        recipients = tuple(envelope.rcpt_tos)
        mode, release = self.server.mode_for(recipients)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = ""
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            text = body.get_content()
        found = MARKER_IN_TEXT.search(text)
        marker = found.group(1) if found else ""
        if mode == SmtpServer.REFUSE:
            self.server.record("refused", recipients, marker=marker)
            return "451 4.3.0 Not now: try again later"
        if mode in (SmtpServer.HANG, SmtpServer.HOLD):
            self.server.record("hung" if mode == SmtpServer.HANG else "held", recipients, marker=marker)
            deadline = time.monotonic() + SmtpServer.HANG_LIMIT
            try:
                while not release.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)  # the client gets no reply; if it dies, aiosmtpd cancels this
            except asyncio.CancelledError:
                self.server.record("discarded", recipients, marker=marker)
                raise
            if mode == SmtpServer.HANG:
                return "451 4.3.0 Message discarded"
            if smtp.transport is None or smtp.transport.is_closing():
                self.server.record("discarded", recipients, marker=marker)
                return "451 4.3.0 Message discarded"
        self.server.record(
            "delivered",
            recipients,
            Delivered(
                at=time.monotonic(),
                to=recipients,
                message_id=str(message.get("Message-ID", "")),
                marker=marker,
                subject=str(message.get("Subject", "")),
            ),
        )
        return "250 2.0.0 Accepted"


# --- db_worker ------------------------------------------------------------------------------


class DbWorker:
    """``manage.py db_worker`` on a LiveDatabase's environment; each start gets a new worker id and log."""

    def __init__(self, database, name="db-worker"):
        self.database = database
        self.name = name
        self.starts = 0
        self.process = None
        self.log_path = None
        self.worker_id = None  # the current process's --worker-id
        self.restarts_by_supervisor = 0

    def start(self):
        self.starts += 1
        worker_id = self.worker_id = f"{self.name}-{os.getpid()}-{self.starts}"
        self.log_path = self.database.directory / f"{worker_id}.log"
        with self.log_path.open("ab") as log:
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
                    worker_id,
                ],
                cwd=BASE_DIR,
                env=self.database.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def supervise(self):
        """What a service manager does: start it again if it exited. True if it had to."""
        if self.process is not None and not self.alive():
            self.restarts_by_supervisor += 1
            self.start()
            return True
        return False

    def kill(self):
        """SIGKILL to the worker's process group, mid-whatever it is doing."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.alive():
            stop_group(self.process, grace=10)

    def log_tail(self, lines=20):
        logs = sorted(self.database.directory.glob(f"{self.name}-*.log"), key=lambda p: p.stat().st_mtime)
        return "\n".join(f"--- {path.name}\n{tail(path, lines)}" for path in logs[-2:]) or "(no log)"


@dataclass
class TaskClaim:
    marker: str  # of the comment the task is about
    status: str  # READY, RUNNING, SUCCESSFUL, FAILED
    worker_ids: list  # each worker that claimed it, in order: the last one runs it (or ran it)

    @property
    def worker(self):
        return self.worker_ids[-1] if self.worker_ids else None


class TaskTable:
    """The task worker's tables on a PostgreSQL LiveDatabase, read straight with psycopg (no Django start)."""

    NEW_COMMENT_TASK = "comments.notifications.notify_new_comment"

    def __init__(self, database):
        self.url = database.url

    def _rows(self, sql, params):
        import psycopg

        with psycopg.connect(self.url, connect_timeout=2, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def new_comment_tasks(self, post_id):
        """The notify_new_comment tasks of the post's comments, by the marker of their comment."""
        rows = self._rows(
            "SELECT c.body, t.status, t.worker_ids FROM django_tasks_database_dbtaskresult t "
            "JOIN comments_comment c ON c.id::text = t.args_kwargs->'args'->>0 "
            "WHERE t.task_path = %s AND c.post_id = %s ORDER BY t.enqueued_at",
            [self.NEW_COMMENT_TASK, post_id],
        )
        claims = []
        for body, status, worker_ids in rows:
            found = MARKER_IN_TEXT.search(body)
            claims.append(TaskClaim(found.group(1) if found else "?", status, list(worker_ids or [])))
        return claims

    def registered(self, worker_id):
        """True once the worker ``worker_id`` wrote its row (it does so before it claims anything)."""
        return bool(self._rows("SELECT 1 FROM portal_taskworker WHERE worker_id = %s", [worker_id]))


def child_pids(pid):
    """The processes whose parent is ``pid`` (gunicorn's workers, for its master), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            children.append(int(stat.parent.name))
    return sorted(children)


def cpu_ticks(pid):
    """User plus system CPU time of ``pid`` so far, in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def all_busy(pids, window=0.3):
    """True if each of ``pids`` used CPU during the next ``window`` seconds (each is serving a request)."""
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(window)
    return all(cpu_ticks(pid) > ticks for pid, ticks in before.items())


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    what: str  # "page", "comment", "sign-out", "session"
    path: str
    started: float
    ended: float
    status: int | None  # None: no answer (connection refused or reset, timeout)
    error: str = ""
    marker: str = ""
    cache: str = ""  # the X-Page-Cache header
    accepted: bool = False  # a comment the site said it saved

    @property
    def failed(self):
        return self.status is None or self.status >= 500

    def __str__(self):
        status = self.status if self.status is not None else f"no answer ({self.error})"
        return f"{self.what} {self.path} {self.marker} -> {status} after {self.ended - self.started:.2f}s"


@dataclass
class Member:
    session: str
    form: object = None  # testing.live_server.Form: cookies and the comment form's hidden fields


@dataclass
class Traffic:
    """Requests to one gunicorn, recorded in ``answers`` (thread-safe); each waits ``timeout`` s at most."""

    port: int
    timeout: float = 10.0
    answers: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()

    def _request(self, what, method, path, *, cookies=None, body=None, marker=""):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{self.port}{path}",
        }
        if cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        status, response_headers, content, error = None, {}, b"", ""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            status, response_headers, content = response.status, response.headers, response.read()
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        finally:
            conn.close()
        answer = Answer(
            what=what,
            path=path,
            started=started,
            ended=time.monotonic(),
            status=status,
            error=error,
            marker=marker,
            cache=response_headers.get("X-Page-Cache", "") if status else "",
        )
        with self._lock:
            self.answers.append(answer)
        return answer, response_headers, content.decode("utf-8", errors="replace")

    def page(self, path, member=None):
        """GET a page, as a visitor (no cookie at all) or as ``member``: (answer, html)."""
        cookies = {"sessionid": member.session} if member else None
        answer, _headers, html = self._request("page", "GET", path, cookies=cookies)
        return answer, html

    def prepare(self, member, post_path):
        """Open the comment form as ``member`` (the site must be up): its CSRF cookie and fields."""
        member.form = open_comment_form(self.port, post_path, member.session)
        return member

    def comment(self, member, post_id, marker):
        """Post a comment whose text carries ``marker``; ``accepted`` as the load clients judge it."""
        body = urllib.parse.urlencode(
            {**member.form.fields, "body": comment_text(marker), "website": "", "parent": ""}
        )
        answer, headers, _html = self._request(
            "comment",
            "POST",
            f"/comments/post/{post_id}/",
            cookies=member.form.cookies,
            body=body,
            marker=marker,
        )
        location = headers.get("Location", "") if answer.status else ""
        answer.accepted = answer.status in (301, 302, 303) and "/accounts/" not in location
        return answer

    def sign_out(self, member):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": member.form.fields["csrfmiddlewaretoken"]})
        answer, headers, _html = self._request(
            "sign-out", "POST", "/accounts/logout/", cookies=member.form.cookies, body=body
        )
        return answer

    def signed_in(self, member):
        """True if the site takes ``member``'s session cookie as signed in, False if not, None: it failed."""
        answer, headers, _html = self._request(
            "session", "GET", "/comments/notifications/", cookies={"sessionid": member.session}
        )
        if answer.status == 200:
            return True
        if answer.status in (301, 302) and "/accounts/login/" in headers.get("Location", ""):
            return False
        return None

    def since(self, moment):
        with self._lock:
            return [answer for answer in self.answers if answer.started >= moment]


class Loop(threading.Thread):
    """Calls ``step(n)`` until stopped, ``limit`` times or ``seconds`` have passed, pausing ``interval``."""

    def __init__(self, step, *, interval, limit, seconds):
        super().__init__(daemon=True)
        self.step, self.interval, self.limit, self.seconds = step, interval, limit, seconds
        self._stop_event = threading.Event()
        self.error = None

    def run(self):
        deadline = time.monotonic() + self.seconds
        try:
            for n in range(self.limit):
                if self._stop_event.is_set() or time.monotonic() > deadline:
                    return
                self.step(n)
                self._stop_event.wait(self.interval)
        except Exception as error:  # reported by the scenario
            self.error = error

    def stop(self, timeout=30):
        self._stop_event.set()
        self.join(timeout)


# --- the table ----------------------------------------------------------------------------------------


@dataclass
class Row:
    fault: str
    requests: int = 0
    errors_5xx: int = 0
    no_answer: int = 0
    accepted: int = 0
    lost: int | None = None
    emails_expected: int | None = None
    emails_delivered: int | None = None
    emails_duplicated: int | None = None
    recovery: float | None = None  # seconds from the part's return to normal service
    recovery_note: str = ""
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def verdict(self):
        return "FAIL" if self.problems else "ok"


COLUMNS = (
    ("fault", 48),
    ("requests", 8),
    ("5xx", 4),
    ("no answer", 9),
    ("comments accepted", 17),
    ("comments lost", 13),
    ("emails exp/deliv/dup", 20),
    ("recovery s", 10),
    ("result", 6),
)


def _cell(value):
    return "-" if value is None else str(value)


def format_table(rows):
    head = " | ".join(name.ljust(width) for name, width in COLUMNS)
    lines = [head, "-+-".join("-" * width for _name, width in COLUMNS)]
    for row in rows:
        emails = "/".join(
            _cell(v) for v in (row.emails_expected, row.emails_delivered, row.emails_duplicated)
        )
        recovery = f"{row.recovery:.2f}" if row.recovery is not None else (row.recovery_note or "-")
        cells = (
            row.fault,
            row.requests,
            row.errors_5xx,
            row.no_answer,
            row.accepted,
            _cell(row.lost),
            emails,
            recovery,
            row.verdict,
        )
        lines.append(
            " | ".join(str(cell).ljust(width) for cell, (_name, width) in zip(cells, COLUMNS, strict=True))
        )
    for row in rows:
        for problem in row.problems:
            lines.append(f"  FAIL {row.fault}: {problem}")
        for note in row.notes:
            lines.append(f"  note {row.fault}: {note}")
    return "\n".join(lines)
