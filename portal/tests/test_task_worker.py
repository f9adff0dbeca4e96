"""The task worker's lease: no task is lost when a worker dies, and none runs on two workers at once.

Workers run in threads of the test process (``LeasedWorker.run``, as
``manage.py db_worker`` runs it) with a short heartbeat and lease, on the
database task backend, in transactional tests (each worker thread has its own
connections). A worker that died is what a SIGKILL leaves behind: a row whose
heartbeat stopped and a task still RUNNING under its id; a frozen worker is a
live one whose heartbeat thread was stopped. The real SIGKILL of a
``db_worker`` process is the fault suite's (portal/tests/faults/).
"""

import io
import logging
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.models import TaskWorker
from portal.worker import LeasedWorker, LeaseSettings
from testing import tasks

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the Editors group too

LEASE = LeaseSettings(heartbeat=0.05, lease=0.3, max_claims=3, db_retry=0.05)


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tasks.reset()
    yield
    tasks.reset()


class Workers:
    """Workers run in threads; each is stopped (as by SIGTERM) at the end of the test."""

    def __init__(self):
        self.running = []

    def start(self, worker_id, lease=LEASE):
        worker = LeasedWorker(
            queue_names=["default"],
            interval=0.02,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
            lease=lease,
        )
        thread = threading.Thread(target=worker.run, name=f"worker {worker_id}", daemon=True)
        thread.start()
        self.running.append((worker, thread))
        return worker

    def stop_all(self):
        tasks.reset()  # lets any held task finish
        for worker, _thread in self.running:
            worker.stop()
        for _worker, thread in self.running:
            thread.join(10)
            assert not thread.is_alive()
        self.running.clear()


@pytest.fixture
def workers():
    pool = Workers()
    yield pool
    pool.stop_all()


def unlocked(query):
    """Run ``query`` again while SQLite says a table is locked.

    The SQLite test database is in memory, shared between the threads' connections
    without a busy timeout: a reader may find a table locked by a worker's write for
    a moment. (PostgreSQL never answers so.) The workers themselves wait such locks out.
    """
    for _attempt in range(500):
        try:
            return query()
        except OperationalError as error:
            if "is locked" not in str(error):
                raise
            time.sleep(0.005)
    return query()


def wait_until(condition, timeout=5.0, step=0.01):
    deadline = time.monotonic() + timeout
    while not unlocked(condition):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def row(result):
    return unlocked(lambda: DBTaskResult.objects.get(pk=result.id))


def status(result):
    return row(result).status


def claimed_by_a_dead_worker(result, worker_id="dead", *, claims=1):
    """What a worker killed while running ``result`` leaves: the task RUNNING under it, its heartbeat old."""
    TaskWorker.objects.create(
        worker_id=worker_id, host="gone.example", pid=4242, heartbeat_at=timezone.now() - timedelta(minutes=1)
    )
    earlier = [f"earlier-{n}" for n in range(claims - 1)]
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=[*earlier, worker_id], started_at=timezone.now()
    )


def freeze(worker):
    """The worker stops heartbeating, as if killed; its thread goes on with the task it holds."""
    worker._stop_heartbeat()


def test_manage_py_db_worker_is_the_leased_worker():
    assert get_commands()["db_worker"] == "portal"


def test_a_task_whose_worker_died_is_run_again_once(workers):
    result = tasks.note.enqueue("after the crash")
    claimed_by_a_dead_worker(result)

    workers.start("survivor")

    wait_until(lambda: status(result) == "SUCCESSFUL")
    done = row(result)
    assert done.worker_ids == ["dead", "survivor"]
    assert done.return_value == "after the crash"
    assert tasks.RUNS == ["after the crash"]


def test_a_live_workers_task_is_never_taken_however_long_it_runs(workers):
    result = tasks.hold.enqueue("long")
    workers.start("first")
    wait_until(tasks.started("long").is_set)
    workers.start("second")

    time.sleep(5 * LEASE.lease)  # many leases long, and the second worker idle all along

    assert row(result).status == "RUNNING"
    assert row(result).worker_ids == ["first"]
    tasks.release("long")
    wait_until(lambda: status(result) == "SUCCESSFUL")
    assert row(result).worker_ids == ["first"]
    assert tasks.RUNS == ["long"]


def test_two_workers_share_the_queue_and_run_each_task_once(workers):
    results = [tasks.note.enqueue(f"task {n}") for n in range(30)]
    workers.start("one")
    workers.start("two")

    wait_until(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == len(results))

    assert sorted(tasks.RUNS) == sorted(f"task {n}" for n in range(30))
    assert all(len(row(result).worker_ids) == 1 for result in results)


def test_when_one_of_two_busy_workers_dies_only_its_task_runs_again(workers, caplog):
    caplog.set_level(logging.WARNING, logger="portal.worker")
    busy = tasks.hold.enqueue("busy")
    first = workers.start("first")
    wait_until(tasks.started("busy").is_set)
    lost = unlocked(lambda: tasks.hold.enqueue("lost"))
    second = workers.start("second")
    wait_until(tasks.started("lost").is_set)
    assert row(lost).worker_ids == ["second"]

    freeze(second)  # killed: no more heartbeats; the first worker is busy with its own task

    # The busy worker's heartbeat thread gives the dead worker's task back to the queue...
    wait_until(lambda: status(lost) == "READY", timeout=10 * LEASE.lease)
    assert row(busy).status == "RUNNING" and row(busy).worker_ids == ["first"]
    # ...and a worker free to take it runs it.
    workers.start("third")
    wait_until(lambda: tasks.RUNS.count("lost") == 2)
    tasks.release("lost")
    wait_until(lambda: status(lost) == "SUCCESSFUL")
    assert row(lost).worker_ids == ["second", "third"]
    tasks.release("busy")
    wait_until(lambda: status(busy) == "SUCCESSFUL")
    assert row(busy).worker_ids == ["first"]
    assert tasks.RUNS.count("busy") == 1
    assert first.worker_id == "first"
    assert "was RUNNING on worker second, whose heartbeat stopped: back in the queue" in caplog.text
    # The frozen worker finishing late does not overwrite what the third one recorded.
    wait_until(lambda: "taken back from worker second while it ran" in caplog.text)
    assert row(lost).worker_ids == ["second", "third"] and status(lost) == "SUCCESSFUL"


def test_a_worker_restarted_with_the_id_of_a_killed_one_requeues_its_task_at_once(workers):
    """The killed process's heartbeat is still fresh, but its pid no longer runs on this host."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    result = tasks.note.enqueue("interrupted")
    TaskWorker.objects.create(
        worker_id="worker-1", host=socket.gethostname(), pid=dead_pid, heartbeat_at=timezone.now()
    )
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=["worker-1"], started_at=timezone.now()
    )
    slow_lease = LeaseSettings(heartbeat=0.5, lease=30, db_retry=0.05)

    started = time.monotonic()
    workers.start("worker-1", lease=slow_lease)

    wait_until(lambda: status(result) == "SUCCESSFUL")
    assert time.monotonic() - started < 5  # far less than the lease
    assert row(result).worker_ids == ["worker-1", "worker-1"]
    assert tasks.RUNS == ["interrupted"]


def test_a_task_whose_workers_keep_dying_ends_failed_with_the_reason(workers, client_for, editor):
    result = tasks.note.enqueue("poison")
    claimed_by_a_dead_worker(result, claims=LEASE.max_claims)

    workers.start("survivor")

    wait_until(lambda: status(result) == "FAILED")
    failed = row(result)
    assert failed.exception_class_path == "portal.worker.WorkerLost"
    assert "claimed 3 times and each worker stopped while running it" in failed.traceback
    assert tasks.RUNS == []
    workers.stop_all()
    page = client_for(editor).get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert "portal.worker.WorkerLost: The task was claimed 3 times" in page.content.decode()


def test_a_gracefully_stopped_worker_removes_its_row(workers):
    worker = workers.start("leaving")
    wait_until(lambda: TaskWorker.objects.filter(pk="leaving").exists())
    worker.stop()
    wait_until(lambda: not TaskWorker.objects.filter(pk="leaving").exists())


# --- The database going away ----------------------------------------------------------


class Outage:
    """While on, every query of the workers' connections fails as on a stopped server (not the test's)."""

    def __init__(self):
        self.on = False
        self.failed = 0
        self.test_thread = threading.current_thread()

    def __call__(self, execute, sql, params, many, context):
        if self.on:
            self.failed += 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    def attach(self, sender, connection, **kwargs):
        if threading.current_thread() is not self.test_thread and self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


@pytest.fixture
def outage():
    outage = Outage()
    connection_created.connect(outage.attach)
    yield outage
    outage.on = False
    connection_created.disconnect(outage.attach)


def test_the_worker_waits_out_a_database_outage_and_carries_on(workers, outage, caplog):
    caplog.set_level(logging.WARNING, logger="portal.worker")
    first = tasks.note.enqueue("before")
    workers.start("patient")
    wait_until(lambda: status(first) == "SUCCESSFUL")
    beat = unlocked(lambda: TaskWorker.objects.get(pk="patient").heartbeat_at)

    outage.on = True
    time.sleep(4 * LEASE.lease)  # longer than the lease
    assert outage.failed > 5  # the worker kept trying
    outage.on = False

    second = unlocked(lambda: tasks.note.enqueue("after"))
    wait_until(lambda: status(second) == "SUCCESSFUL", timeout=3)
    wait_until(lambda: TaskWorker.objects.get(pk="patient").heartbeat_at > beat)
    assert tasks.RUNS == ["before", "after"]
    assert caplog.text.count("the database did not answer") == 1  # logged once, not at every try
    assert "the database answers again" in caplog.text
    assert "heartbeat failed" in caplog.text and "heartbeat back" in caplog.text


def test_after_an_outage_longer_than_the_lease_a_busy_workers_task_is_not_taken(workers, outage):
    """Every heartbeat is stale when the database returns: the workers wait a lease before reclaiming."""
    busy = tasks.hold.enqueue("busy")
    workers.start("busy-worker")
    wait_until(tasks.started("busy").is_set)
    workers.start("idle-worker")
    time.sleep(2 * LEASE.lease)  # both trusted, reclaiming

    outage.on = True
    time.sleep(4 * LEASE.lease)
    outage.on = False
    time.sleep(4 * LEASE.lease)

    assert row(busy).status == "RUNNING"
    assert row(busy).worker_ids == ["busy-worker"]
    tasks.release("busy")
    wait_until(lambda: status(busy) == "SUCCESSFUL")
    assert tasks.RUNS == ["busy"]


def test_an_outcome_reached_while_the_database_is_away_is_recorded_when_it_returns(workers, outage):
    result = tasks.hold.enqueue("across")
    workers.start("keeper")
    wait_until(tasks.started("across").is_set)

    outage.on = True
    tasks.release("across")  # finishes while the database is away
    time.sleep(3 * LEASE.lease)
    outage.on = False

    wait_until(lambda: status(result) == "SUCCESSFUL", timeout=3)
    assert row(result).worker_ids == ["keeper"]
    assert tasks.RUNS == ["across"]


def test_a_task_that_loses_the_database_goes_back_to_the_queue(workers):
    result = tasks.flaky.enqueue("shaky")
    tasks.lose_the_database("shaky", times=1)

    workers.start("steady")

    wait_until(lambda: status(result) == "SUCCESSFUL")
    assert tasks.RUNS == ["shaky", "shaky"]
    assert row(result).worker_ids == ["steady", "steady"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL connections")
def test_the_worker_survives_its_postgresql_connections_being_cut(workers, caplog):
    """As in a PostgreSQL restart: every connection of the worker is terminated, and new ones refused."""
    caplog.set_level(logging.WARNING, logger="portal.worker")
    first = tasks.note.enqueue("before")
    workers.start("pg-worker")
    wait_until(lambda: status(first) == "SUCCESSFUL")
    import psycopg

    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own_pid,) = cursor.fetchone()
    params = connection.get_connection_params()
    admin = psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        dbname="postgres",
        autocommit=True,
    )
    try:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [database, own_pid],
        )
        time.sleep(4 * LEASE.lease)
    finally:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        admin.close()

    second = tasks.note.enqueue("after")
    wait_until(lambda: status(second) == "SUCCESSFUL", timeout=3)
    assert tasks.RUNS == ["before", "after"]
    assert "the database did not answer" in caplog.text and "the database answers again" in caplog.text


# --- The command ------------------------------------------------------------------------


def test_the_command_runs_the_queue_with_lease_options_and_leaves_no_row():
    results = [tasks.note.enqueue(f"batch {n}") for n in range(3)]

    call_command(
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval=0",
        "--heartbeat=0.05",
        "--lease=0.2",
        "--worker-id=batch",
        verbosity=0,
    )

    assert [status(result) for result in results] == ["SUCCESSFUL"] * 3
    assert not TaskWorker.objects.exists()


def test_an_operator_sees_the_live_and_the_dead_workers_and_their_tasks(workers):
    result = tasks.hold.enqueue("shown")
    workers.start("visible")
    wait_until(tasks.started("shown").is_set)
    TaskWorker.objects.create(
        worker_id="crashed", host="gone.example", pid=4242, heartbeat_at=timezone.now() - timedelta(minutes=3)
    )
    out = io.StringIO()

    unlocked(lambda: call_command("task_workers", stdout=out))

    lines = out.getvalue().splitlines()
    (visible,) = [line for line in lines if line.startswith("visible ")]
    (crashed,) = [line for line in lines if line.startswith("crashed ")]
    assert visible.endswith("alive")
    assert "GONE: no heartbeat for 180 s" in crashed
    assert f"running hold ({result.id})" in out.getvalue()


def test_lease_settings_come_from_the_environment_and_flags_win():
    environ = {"TASK_HEARTBEAT_SECONDS": "0.5", "TASK_LEASE_SECONDS": "3", "TASK_MAX_CLAIMS": "2"}
    assert LeaseSettings.from_environment(environ) == LeaseSettings(heartbeat=0.5, lease=3, max_claims=2)
    assert LeaseSettings.from_environment(environ, lease=4).lease == 4
    assert LeaseSettings.from_environment({}) == LeaseSettings(heartbeat=1, lease=5, max_claims=5, db_retry=1)


def test_a_lease_shorter_than_two_heartbeats_is_refused():
    with pytest.raises(CommandError, match="at least two heartbeats"):
        call_command("db_worker", "--batch", "--no-reload", "--heartbeat=1", "--lease=1.5", verbosity=0)
