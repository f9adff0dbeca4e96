"""The task worker (``manage.py db_worker``): django-tasks-db's, with a lease so that no task is lost.

The package's worker claims a task by marking it RUNNING with its worker id,
and a task whose worker died (SIGKILL, out of memory, a machine lost) stays
RUNNING for ever. This one keeps a lease instead:

* **Registration.** At its start a worker writes its ``TaskWorker`` row (id, host,
  pid) and deletes it when it stops gracefully. A row left by an earlier process
  with the same ``--worker-id`` is taken over once that process is gone (its pid
  no longer runs on this host, or its heartbeat lapsed), and the tasks it left
  RUNNING go back to the queue.
* **Heartbeat.** A thread with its own database connection sets the row's
  ``heartbeat_at`` to the database's clock every ``heartbeat`` seconds (1),
  whatever the worker is busy with.
* **Reclaim.** The same thread, after each heartbeat, looks at the RUNNING tasks:
  one whose worker (the last of its ``worker_ids``) has no heartbeat newer than
  ``lease`` seconds (5) goes back to the queue, by a conditional UPDATE that
  checks again, in the same statement, that the task is still RUNNING under the
  same claim and that its worker still has no fresh heartbeat; two workers
  reclaiming at once change it once. A live worker's task is never taken,
  however long it runs. After ``max_claims`` (5) claims whose workers all died,
  the task ends FAILED (``WorkerLost``) instead of killing workers for ever.
* **Trust.** A worker reclaims only after its own heartbeat has succeeded for a
  whole lease in a row: after a database outage every heartbeat is stale, and
  the live workers get one lease to beat again before anyone's task is taken.
* **Claims** stay the package's: ``SELECT … FOR UPDATE SKIP LOCKED``.
* **Outcomes** are recorded only if the task is still RUNNING under this
  worker's claim (if its lease lapsed meanwhile and another worker took it, the
  other's outcome counts).
* **Database outages.** Where the package's worker dies on an OperationalError,
  this one logs once, closes its connection, tries again every ``db_retry``
  seconds (1) and carries on when the database answers: the main loop, the
  recording of an outcome (the worker holds it until the database is back) and
  the heartbeat thread alike. A task that itself fails on a lost connection
  (OperationalError, InterfaceError) goes back to the queue after a short delay
  rather than ending FAILED, up to ``max_claims`` claims.

Figures (docs/operations.md): a SIGKILLed worker's task is back in the queue
``lease`` + up to ``heartbeat`` seconds after its last heartbeat (about 6 s),
and a worker started meanwhile reclaims after one lease of its own heartbeats.
All four figures come from flags of ``db_worker`` or from the environment
(``LeaseSettings.from_environment``).
"""

import logging
import os
import random
import socket
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from traceback import format_exception

from django.core.exceptions import SuspiciousOperation
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    router,
)
from django.db.models import Exists, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.json import normalize_json
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import TaskWorker

logger = logging.getLogger("portal.worker")

READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED
# The database went away (or, on SQLite, is locked for a moment): the worker waits, and a task
# that failed with one of these is run again rather than failed.
CONNECTION_ERRORS = (OperationalError, InterfaceError)
# Worker rows whose heartbeat stopped this long ago are deleted (an operator has seen them by then).
FORGET_WORKERS_AFTER = timedelta(days=1)


class WorkerLost(Exception):
    """The workers that claimed a task kept dying while running it: it is not run again."""


@dataclass(frozen=True)
class LeaseSettings:
    heartbeat: float = 1.0  # seconds between heartbeats (and reclaim passes)
    lease: float = 5.0  # a worker without a heartbeat for this long is gone
    max_claims: int = 5  # claims of a task by workers that died before it ends FAILED
    db_retry: float = 1.0  # seconds between attempts while the database does not answer

    ENVIRONMENT = {
        "heartbeat": "TASK_HEARTBEAT_SECONDS",
        "lease": "TASK_LEASE_SECONDS",
        "max_claims": "TASK_MAX_CLAIMS",
        "db_retry": "TASK_DB_RETRY_SECONDS",
    }

    def __post_init__(self):
        if self.heartbeat <= 0 or self.db_retry <= 0:
            raise ValueError("The heartbeat and the database retry interval must be more than 0 seconds.")
        if self.lease < 2 * self.heartbeat:
            raise ValueError(
                f"The lease ({self.lease}s) must be at least two heartbeats ({self.heartbeat}s each)."
            )
        if self.max_claims < 1:
            raise ValueError("A task must be claimed at least once.")

    @classmethod
    def from_environment(cls, environ=None, **overrides):
        """The defaults, then ``TASK_HEARTBEAT_SECONDS``, ``TASK_LEASE_SECONDS``, ``TASK_MAX_CLAIMS``,
        ``TASK_DB_RETRY_SECONDS``, then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values = {}
        for field, variable in cls.ENVIRONMENT.items():
            raw = environ.get(variable, "").strip()
            if raw:
                values[field] = int(raw) if field == "max_claims" else float(raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


class LeasedWorker(Worker):
    """django-tasks-db's worker with a heartbeat lease and patience with the database (see above)."""

    def __init__(self, *, lease: LeaseSettings | None = None, **kwargs):
        super().__init__(**kwargs)
        self.lease = lease or LeaseSettings.from_environment()
        self.db = router.db_for_write(DBTaskResult)
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self._stopping = threading.Event()
        self._heartbeat_thread = None
        self._beating_since = None  # monotonic time since which every heartbeat succeeded
        self._last_beat = None  # monotonic time of the last successful heartbeat
        self._db_down_since = None  # monotonic time the main loop lost the database
        self._next_prune = 0.0  # monotonic time to forget long-dead workers' rows again

    # --- The main loop ---------------------------------------------------------------

    def run(self) -> None:
        self.pid = os.getpid()  # with --reload, run() is in the reloader's child
        logger.info(
            "Starting worker %s on %s (pid %s), queues %s: heartbeat every %ss, lease %ss.",
            self.worker_id,
            self.host,
            self.pid,
            ",".join(self.queue_names),
            self.lease.heartbeat,
            self.lease.lease,
        )
        try:
            self._register()
            self._heartbeat_thread = threading.Thread(
                target=self._heartbeat_loop, name=f"heartbeat {self.worker_id}", daemon=True
            )
            self._heartbeat_thread.start()
            self._work()
        finally:
            self._stop_heartbeat()
            self._unregister()

    def stop(self) -> None:
        """Stop after the current task, as SIGTERM does (for a worker run in a thread, in tests)."""
        self.running = False

    def _work(self) -> None:
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # a small delay, against a thundering herd
        while self.running:
            retrieved = False
            task_result = None
            try:
                close_old_connections()
                task_result = self._claim()
                retrieved = True
            except CONNECTION_ERRORS as error:
                if not _locked(error):
                    self._database_down(error)
                    continue
            else:
                self._database_up()
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and retrieved and task_result is None:
                logger.info("No more tasks to run for worker %s: exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d tasks, the most for worker %s: exiting.", self._run_tasks, self.worker_id)
                return
            if self.running and task_result is None:
                time.sleep(self.interval)

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.using(self.db).ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(self.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # RUNNING, this worker's id appended
        return task_result

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run the task and record its outcome, waiting for the database if it is away."""
        self.running_task = True
        try:
            outcome, value = self._execute(db_task_result)
            self._record(db_task_result, outcome, value)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _execute(self, db_task_result):
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            task_started.send(sender=type(task.get_backend()), task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            return SUCCESSFUL, normalize_json(value)
        except (KeyboardInterrupt, SystemExit):
            raise  # a forced stop: the task goes back to the queue when the worker unregisters
        except CONNECTION_ERRORS as error:
            if len(db_task_result.worker_ids) < self.lease.max_claims:
                return READY, error
            return FAILED, error
        except Exception as error:
            return FAILED, error

    def _record(self, db_task_result, outcome, value) -> None:
        now = timezone.now()
        if outcome == SUCCESSFUL:
            fields = {
                "status": SUCCESSFUL,
                "finished_at": now,
                "return_value": value,
                "exception_class_path": "",
                "traceback": "",
            }
        elif outcome == FAILED:
            fields = _failed(value)
        else:
            claims = len(db_task_result.worker_ids)
            fields = {
                "status": READY,
                "started_at": None,
                # Not at once: the database may still be settling (db_retry, doubled each claim).
                "run_after": now + timedelta(seconds=min(60, self.lease.db_retry * 2 ** (claims - 1))),
            }
        mine = DBTaskResult.objects.using(self.db).filter(
            id=db_task_result.id, status=RUNNING, started_at=db_task_result.started_at
        )
        while True:
            try:
                recorded = mine.update(**fields)
                break
            except CONNECTION_ERRORS as error:
                if _locked(error):
                    time.sleep(0.05)
                else:
                    self._database_down(error)
            except DatabaseError as error:
                if outcome == FAILED:
                    raise
                # The outcome itself was refused (a return value the database cannot store): a failure.
                outcome, value, fields = FAILED, error, _failed(error)
        self._database_up()
        if not recorded:
            logger.warning(
                "Task %s was taken back from worker %s while it ran (its heartbeat had stopped for longer "
                "than the lease): its outcome here (%s) is not recorded.",
                db_task_result.id,
                self.worker_id,
                outcome,
            )
            return
        for name, field_value in fields.items():
            setattr(db_task_result, name, field_value)
        if outcome == READY:
            logger.warning(
                "Task %s (%s) lost the database (%s: %s): back in the queue (claim %d of %d).",
                db_task_result.id,
                db_task_result.task_path,
                type(value).__name__,
                value,
                len(db_task_result.worker_ids),
                self.lease.max_claims,
            )
            return
        if outcome == FAILED:
            logger.error(
                "Task %s (%s) failed.",
                db_task_result.id,
                db_task_result.task_path,
                exc_info=(type(value), value, value.__traceback__),
            )
        try:
            backend = type(db_task_result.task.get_backend())
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        except (ImportError, SuspiciousOperation):
            logger.exception("Task %s: its task could not be loaded.", db_task_result.id)

    # --- The database going away ---------------------------------------------------

    def _database_down(self, error) -> None:
        if self._db_down_since is None:
            self._db_down_since = time.monotonic()
            logger.warning(
                "Worker %s: the database did not answer (%s: %s); trying again every %ss.",
                self.worker_id,
                type(error).__name__,
                str(error).strip(),
                self.lease.db_retry,
            )
        else:
            logger.debug("Worker %s: the database is still away (%s).", self.worker_id, error)
        _close_connection(self.db)
        time.sleep(self.lease.db_retry)

    def _database_up(self) -> None:
        if self._db_down_since is not None:
            logger.warning(
                "Worker %s: the database answers again after %.1fs.",
                self.worker_id,
                time.monotonic() - self._db_down_since,
            )
            self._db_down_since = None

    # --- Registration ------------------------------------------------------------------

    def _register(self) -> None:
        while True:
            try:
                self._take_over_id()
                self._database_up()
                return
            except CONNECTION_ERRORS as error:
                if _locked(error):
                    time.sleep(0.05)
                else:
                    self._database_down(error)

    def _take_over_id(self) -> None:
        """Write this worker's row; an earlier process with this id must be gone: its tasks are requeued."""
        rows = TaskWorker.objects.using(self.db)
        waited_since = None
        while True:
            previous = rows.filter(pk=self.worker_id).first()
            if previous is None or (previous.host, previous.pid) == (self.host, self.pid):
                break
            if previous.host == self.host and not _pid_runs(previous.pid):
                break  # the earlier process with this id is gone from this machine
            if not rows.filter(pk=self.worker_id, heartbeat_at__gte=self._fresh_since()).exists():
                break  # its heartbeat lapsed
            waited_since = waited_since or time.monotonic()
            if time.monotonic() - waited_since > 3 * self.lease.lease:
                raise RuntimeError(
                    f"Another worker with the id {self.worker_id!r} is running (pid {previous.pid} on "
                    f"{previous.host}): every worker needs an id of its own."
                )
            logger.warning(
                "Worker id %s was in use by pid %s on %s, whose heartbeat is fresh: waiting for its lease.",
                self.worker_id,
                previous.pid,
                previous.host,
            )
            time.sleep(self.lease.heartbeat)
        updated = rows.filter(pk=self.worker_id).update(
            host=self.host, pid=self.pid, started_at=timezone.now(), heartbeat_at=Now()
        )
        if not updated:
            rows.create(worker_id=self.worker_id, host=self.host, pid=self.pid, heartbeat_at=Now())
        self._requeue_own("which stopped and was started again")

    def _unregister(self) -> None:
        try:
            for attempt in range(100):
                try:
                    self._requeue_own("which stopped before finishing it")
                    rows = TaskWorker.objects.using(self.db)
                    rows.filter(pk=self.worker_id, host=self.host, pid=self.pid).delete()
                    logger.info("Worker %s stopped.", self.worker_id)
                    return
                except CONNECTION_ERRORS as error:
                    if not _locked(error) or attempt == 99:
                        raise
                    time.sleep(0.02)
        except CONNECTION_ERRORS as error:
            logger.warning(
                "Worker %s stopped without removing its row (%s); its lease lapses in %ss.",
                self.worker_id,
                error,
                self.lease.lease,
            )
        finally:
            connections.close_all()

    def _requeue_own(self, reason: str) -> int:
        running = DBTaskResult.objects.using(self.db).filter(status=RUNNING, backend_name=self.backend_name)
        requeued = 0
        for task_id, worker_ids, started_at, task_path in running.values_list(
            "id", "worker_ids", "started_at", "task_path"
        ):
            if worker_ids and worker_ids[-1] == self.worker_id:
                requeued += self._give_back(task_id, worker_ids, started_at, task_path, reason, lease=False)
        return requeued

    # --- Heartbeat and reclaim -----------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        failing = False
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    self._beat()
                    now = time.monotonic()
                    if self._last_beat is not None and now - self._last_beat > self.lease.lease:
                        logger.warning(
                            "Worker %s had no heartbeat for %.1fs, longer than its lease: another worker "
                            "may have taken its task.",
                            self.worker_id,
                            now - self._last_beat,
                        )
                    if failing:
                        logger.warning("Worker %s: heartbeat back.", self.worker_id)
                        failing = False
                    if self._beating_since is None:
                        self._beating_since = now
                    self._last_beat = now
                    if now - self._beating_since >= self.lease.lease:
                        self.reclaim()
                except CONNECTION_ERRORS as error:
                    if _locked(error):
                        logger.debug("Worker %s: heartbeat waits for a lock.", self.worker_id)
                    else:
                        if not failing:
                            logger.warning(
                                "Worker %s: heartbeat failed (%s: %s); trying again every %ss. No task is "
                                "reclaimed until the database has answered for %ss.",
                                self.worker_id,
                                type(error).__name__,
                                str(error).strip(),
                                self.lease.heartbeat,
                                self.lease.lease,
                            )
                        failing = True
                        self._beating_since = None
                        _close_connection(self.db)
                except Exception:
                    logger.exception(
                        "Worker %s: the heartbeat thread hit an error; it carries on.", self.worker_id
                    )
                    self._beating_since = None
                self._stopping.wait(max(0.0, self.lease.heartbeat - (time.monotonic() - started)))
        finally:
            connections.close_all()  # this thread's own

    def _stop_heartbeat(self) -> None:
        self._stopping.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout=self.lease.heartbeat + 10)

    def _beat(self) -> None:
        rows = TaskWorker.objects.using(self.db)
        if not rows.filter(pk=self.worker_id).update(heartbeat_at=Now()):
            logger.warning("Worker %s: its row was gone; registering again.", self.worker_id)
            rows.create(worker_id=self.worker_id, host=self.host, pid=self.pid, heartbeat_at=Now())

    def _fresh_since(self):
        """The oldest heartbeat that still holds a lease, on the database's clock (one clock for all)."""
        return Now() - timedelta(seconds=self.lease.lease)

    def reclaim(self) -> int:
        """Requeue the RUNNING tasks whose worker has no fresh heartbeat; returns how many were changed.

        The tasks are read before the live workers: a worker registers before it
        claims, so a task seen RUNNING has its worker's row visible by then.
        """
        running = list(
            DBTaskResult.objects.using(self.db)
            .filter(status=RUNNING, backend_name=self.backend_name)
            .values_list("id", "worker_ids", "started_at", "task_path")
        )
        changed = 0
        if running:
            live = set(
                TaskWorker.objects.using(self.db)
                .filter(heartbeat_at__gte=self._fresh_since())
                .values_list("worker_id", flat=True)
            )
            for task_id, worker_ids, started_at, task_path in running:
                if worker_ids and worker_ids[-1] in live:
                    continue
                changed += self._give_back(
                    task_id, worker_ids, started_at, task_path, "whose heartbeat stopped", lease=True
                )
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + 60
            TaskWorker.objects.using(self.db).filter(heartbeat_at__lt=Now() - FORGET_WORKERS_AFTER).delete()
        return changed

    def _give_back(self, task_id, worker_ids, started_at, task_path, reason, *, lease) -> int:
        """Requeue one task (or fail it, after ``max_claims`` claims): only if still RUNNING under that claim,
        and (``lease``) only if its worker still has no fresh heartbeat, checked in the UPDATE itself."""
        owner = worker_ids[-1] if worker_ids else None
        still = Q(id=task_id, status=RUNNING, started_at=started_at)
        if lease:
            still &= ~Exists(
                TaskWorker.objects.filter(worker_id=owner, heartbeat_at__gte=self._fresh_since())
            )
        claims = len(worker_ids)
        if claims >= self.lease.max_claims:
            message = (
                f"The task was claimed {claims} times and each worker stopped while running it "
                f"(the last, {owner}, {reason}); it is not run again."
            )
            fields = {
                "status": FAILED,
                "finished_at": timezone.now(),
                "return_value": None,
                "exception_class_path": f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                "traceback": f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: {message}\n",
            }
        else:
            fields = {"status": READY, "started_at": None}
        if not DBTaskResult.objects.using(self.db).filter(still).update(**fields):
            return 0
        if fields["status"] == FAILED:
            logger.error("Task %s (%s) FAILED: %s", task_id, task_path, fields["traceback"].strip())
        else:
            logger.warning(
                "Task %s (%s) was RUNNING on worker %s, %s: back in the queue (claim %d of %d).",
                task_id,
                task_path,
                owner,
                reason,
                claims,
                self.lease.max_claims,
            )
        return 1


def _failed(error) -> dict:
    """The fields of a task result that failed with ``error``, its traceback included."""
    return {
        "status": FAILED,
        "finished_at": timezone.now(),
        "return_value": None,
        "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
        "traceback": "".join(format_exception(error)),
    }


def _locked(error) -> bool:
    """SQLite's "database is locked": the database answers, another connection writes."""
    return isinstance(error, OperationalError) and is_locked_database_exception(error)


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _close_connection(alias: str) -> None:
    """Drop this thread's connection, broken or not: the next query opens a new one."""
    with suppress(Exception):  # a broken connection may fail to close; it is dropped all the same
        connections[alias].close()
