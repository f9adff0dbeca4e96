"""Operational state the site layer keeps in the database, where it survives the parts that fail.

* ``CacheEpoch``: one row, bumped when a process finds the shared cache
  (Redis) unreachable. Cache keys carry the epoch, so whatever Redis still
  holds from before an outage is never read again (``portal/cache.py``).
* ``TaskWorker``: one row per running ``db_worker``, with a heartbeat; a task
  claimed by a worker whose heartbeat stopped goes back to the queue
  (``portal/worker.py``).
* ``SentEmail``: the Message-ID of every notification email the SMTP server
  accepted, so that a task run again does not send it twice (``portal/mail.py``).
"""

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CacheEpochQuerySet(models.QuerySet):
    def current(self) -> int:
        """The epoch now; 0 before the first outage."""
        return self.filter(pk=1).values_list("epoch", flat=True).first() or 0

    def bump(self) -> int:
        """Add one to the epoch (creating the row at the first outage); the new value."""
        if not self.filter(pk=1).update(epoch=F("epoch") + 1, changed_at=timezone.now()):
            try:
                with transaction.atomic():
                    self.create(pk=1, epoch=1)
            except IntegrityError:  # another process created it meanwhile
                self.filter(pk=1).update(epoch=F("epoch") + 1, changed_at=timezone.now())
        return self.current()


class CacheEpoch(models.Model):
    """The generation of the shared cache's keys: one row (pk 1), bumped after each outage."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    epoch = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    objects = CacheEpochQuerySet.as_manager()

    class Meta:
        verbose_name = _("cache epoch")

    def __str__(self):
        return str(self.epoch)


class TaskWorker(models.Model):
    """A running task worker; ``heartbeat_at`` is refreshed every second or so while it lives."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), db_index=True)

    class Meta:
        verbose_name = _("task worker")
        verbose_name_plural = _("task workers")

    def __str__(self):
        return f"{self.worker_id} ({self.host}, pid {self.pid})"


class SentEmail(models.Model):
    """An email the mail server accepted, by its Message-ID (recorded right after the SMTP reply).

    Only the Message-ID: no address or text, so there is nothing personal to
    export or erase. Rows older than a few weeks may be pruned.
    """

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sent email")
        verbose_name_plural = _("sent emails")

    def __str__(self):
        return self.message_id
