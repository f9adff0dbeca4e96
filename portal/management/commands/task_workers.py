"""``manage.py task_workers``: the task workers the database knows, alive or gone, and what each is running.

A worker writes its row when it starts, a heartbeat every second and deletes
the row when it stops gracefully (``portal/worker.py``). A row whose heartbeat
is older than the lease (``TASK_LEASE_SECONDS``, 5) is a worker that died: its
task went back to the queue, and the row stays a day for an operator to see.
"""

from django.core.management.base import BaseCommand
from django.db.models.functions import Now
from django_tasks_db.models import DBTaskResult

from portal.models import TaskWorker
from portal.worker import LeaseSettings


class Command(BaseCommand):
    help = "List the task workers: alive or gone (no heartbeat for longer than the lease), and their tasks."

    def handle(self, *args, **options):
        lease = LeaseSettings.from_environment().lease
        workers = list(TaskWorker.objects.annotate(now=Now()).order_by("started_at"))
        running = {}
        for task_id, task_path, worker_ids, started_at in DBTaskResult.objects.filter(
            status="RUNNING"
        ).values_list("id", "task_path", "worker_ids", "started_at"):
            owner = worker_ids[-1] if worker_ids else ""
            running.setdefault(owner, []).append((task_id, task_path.rsplit(".", 1)[-1], started_at))
        if not workers:
            self.stdout.write("No task worker is registered.")
        for worker in workers:
            silent = (worker.now - worker.heartbeat_at).total_seconds()
            state = "alive" if silent <= lease else f"GONE: no heartbeat for {silent:.0f} s"
            started = f"{worker.started_at:%Y-%m-%d %H:%M:%S}"
            self.stdout.write(
                f"{worker.worker_id}  {worker.host}  pid {worker.pid}  started {started}"
                f"  last heartbeat {silent:.1f} s ago  {state}"
            )
            for task_id, name, started_at in running.pop(worker.worker_id, []):
                self.stdout.write(f"    running {name} ({task_id}) since {started_at:%Y-%m-%d %H:%M:%S}")
        for owner, tasks in running.items():
            for task_id, name, _started_at in tasks:
                self.stdout.write(
                    f"RUNNING {name} ({task_id}) on unregistered worker {owner or '?'}: "
                    "a live worker puts it back in the queue within the lease."
                )
