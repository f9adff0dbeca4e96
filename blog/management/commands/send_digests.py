"""Queue the weekly digest emails: run it daily (cron or a systemd timer: docs/operations.md)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from blog.tasks import members_due_a_digest, send_digest


class Command(BaseCommand):
    help = (
        "Queue a weekly digest email for every active member who chose the weekly digest and had "
        "none in the last 7 days. The task worker (db_worker) sends them; members with nothing new "
        "from what they follow get nothing and are looked at again on the next run."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        member_ids = list(members_due_a_digest(now).order_by("pk").values_list("pk", flat=True))
        for member_id in member_ids:
            # as_of: the time the task claims the digest with, and what names its email (blog/tasks.py).
            send_digest.enqueue(member_id, as_of=now.isoformat())
        self.stdout.write(f"Queued {len(member_ids)} digest(s).")
