"""``manage.py db_worker``: django-tasks-db's worker command, running the portal's leased worker.

Django gives a command name to the first app in ``INSTALLED_APPS`` that has it:
``portal`` comes before ``django_tasks_db`` there, so this command is the one
run. Its options are the package's, except that ``--reload`` is off unless
asked for (the package turns it on with DEBUG), and four of the lease
(``portal/worker.py``), each defaulting to an environment variable, else to the
figure shown:

  --heartbeat SECONDS   TASK_HEARTBEAT_SECONDS   1    between heartbeats (and reclaim passes)
  --lease SECONDS       TASK_LEASE_SECONDS       5    a worker without a heartbeat this long is gone
  --max-claims N        TASK_MAX_CLAIMS          5    claims by workers that died before a task FAILS
  --db-retry SECONDS    TASK_DB_RETRY_SECONDS    1    between attempts while the database is away
"""

import logging
import os
import signal
from argparse import ArgumentTypeError

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as PackageCommand

from portal.worker import LeasedWorker, LeaseSettings


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ArgumentTypeError("Must be a number of seconds") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ArgumentTypeError("Must be more than 0 seconds")
    return seconds


def positive_count(value: str) -> int:
    count = int(value)
    if count < 1:
        raise ArgumentTypeError("Must be 1 or more")
    return count


class Command(PackageCommand):
    help = (
        "Run a database background worker with a heartbeat lease: a task whose worker died goes back "
        "to the queue, and the worker waits out database outages."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest == "reload":
                # The package's default is DEBUG. A reloading worker is two processes: the task
                # runs in the child, and a SIGKILL of the process one sees leaves it running.
                action.default = False
                action.help = "Reload the worker on code changes, in a child process (default: off)."
        parser.add_argument(
            "--heartbeat",
            type=positive_seconds,
            default=None,
            help="Seconds between heartbeats (default: TASK_HEARTBEAT_SECONDS, else 1).",
        )
        parser.add_argument(
            "--lease",
            type=positive_seconds,
            default=None,
            help="Seconds without a heartbeat after which a worker's task is requeued "
            "(default: TASK_LEASE_SECONDS, else 5; at least two heartbeats).",
        )
        parser.add_argument(
            "--max-claims",
            type=positive_count,
            default=None,
            help="Claims of a task by workers that died before it ends FAILED "
            "(default: TASK_MAX_CLAIMS, else 5).",
        )
        parser.add_argument(
            "--db-retry",
            type=positive_seconds,
            default=None,
            help="Seconds between attempts while the database does not answer "
            "(default: TASK_DB_RETRY_SECONDS, else 1).",
        )

    def configure_logging(self, verbosity):
        super().configure_logging(verbosity)
        worker_logger = logging.getLogger("portal.worker")
        worker_logger.setLevel(
            logging.CRITICAL if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        )
        if not worker_logger.hasHandlers():
            worker_logger.addHandler(logging.StreamHandler(self.stdout))

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        heartbeat,
        lease,
        max_claims,
        db_retry,
        **options,
    ):
        self.configure_logging(verbosity)
        try:
            lease_settings = LeaseSettings.from_environment(
                heartbeat=heartbeat, lease=lease, max_claims=max_claims, db_retry=db_retry
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if reload and batch:
            logging.getLogger("django_tasks_db").warning(
                "Warning: --reload and --batch cannot be specified together. Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")

        worker = LeasedWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
            lease=lease_settings,
        )
        signals = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])
        previous = {signum: signal.getsignal(signum) for signum in signals}
        try:
            if reload:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()  # only the reloader's child runs the worker
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
