"""SQLite as configured in portal/settings.py: WAL, synchronous FULL, IMMEDIATE transactions, a busy timeout.

The test database of the suite is in memory (or PostgreSQL), so each check runs
the production settings (``portal.settings``) in a subprocess on a real SQLite
file in a temporary folder, with several threads each holding a connection of
its own, the way gunicorn's workers share the file.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading, time

    import django
    from django.conf import settings

    control = sys.argv[1] == "deferred"
    if control:  # the negative control: the same load with SQLite's default DEFERRED transactions
        settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] = None
    django.setup()
    from django.db import connection, connections, transaction

    def pragma(name):
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name}")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, writer INTEGER, seen INTEGER)"
        )
    out = {
        "journal_mode": pragma("journal_mode"),
        "busy_timeout": pragma("busy_timeout"),
        "synchronous": pragma("synchronous"),
        "transaction_mode": connection.transaction_mode,
    }

    # Each writer reads, thinks for a moment, then writes what it read, all in one
    # transaction: the shape of comment_submit (rules, then the insert and the recount).
    WRITERS = 4
    barrier = threading.Barrier(WRITERS)
    errors, done = [], []

    def writer(number):
        try:
            barrier.wait()
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM note")
                    seen = cursor.fetchone()[0]
                    time.sleep(0.3)
                    cursor.execute("INSERT INTO note (writer, seen) VALUES (%s, %s)", [number, seen])
            done.append(number)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["elapsed"] = time.monotonic() - started
    out["errors"] = errors
    out["done"] = len(done)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seen FROM note ORDER BY id")
        out["seen"] = [row[0] for row in cursor.fetchall()]
    print(json.dumps(out))
    """
)


def run_script(tmp_path, mode):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / f'{mode}.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        DEBUG="1",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT, mode],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    return run_script(tmp_path_factory.mktemp("sqlite-settings"), "configured")


def test_the_database_file_is_in_wal_mode_with_full_sync(configured):
    assert configured["journal_mode"] == "wal"
    assert configured["synchronous"] == 2  # FULL: the log is synced at every commit


def test_a_busy_connection_waits_for_the_lock(configured):
    # sqlite3's default is 5 s; the settings ask for 20 s.
    assert configured["busy_timeout"] == 20_000


def test_transactions_begin_immediate(configured):
    assert configured["transaction_mode"] == "IMMEDIATE"


def test_concurrent_read_then_write_transactions_wait_for_each_other(configured):
    """Four threads read, wait and write at the same moment: none fails, and they ran one after another."""
    assert configured["errors"] == []
    assert configured["done"] == 4
    # Serialized: each writer saw every earlier write, so the counts read are 0, 1, 2, 3.
    assert configured["seen"] == [0, 1, 2, 3]
    assert configured["elapsed"] >= 4 * 0.3 * 0.9


def test_without_immediate_transactions_the_same_load_fails(tmp_path):
    """The negative control: with DEFERRED transactions a reader that then writes gets "database is
    locked"."""
    deferred = run_script(tmp_path, "deferred")
    assert deferred["transaction_mode"] is None
    assert deferred["errors"], "DEFERRED transactions should have collided"
    assert all("database is locked" in error for error in deferred["errors"])
