"""The site's mailer: the backend ``EMAIL_BACKEND`` names, sending each notification email once.

Tasks are delivered at least once: a task whose worker died runs again
(``portal/worker.py``), and so does a retry of a failed send. The notification
emails carry a Message-ID made from what identifies them (``core.mail.stable_message_id``),
the same in every run. ``SendOnceBackend`` wraps the real backend and

* sends a message whose Message-ID is recorded in ``SentEmail`` no more: it is
  skipped (and not counted as sent);
* records the Message-ID right after the backend sent the message (for SMTP:
  after the server's reply to the end of DATA, which is when the server has
  taken the message; a worker killed before that reply sends it again);
* leaves alone a message without a Message-ID of its own (Django gives every
  message a new one when it is sent): allauth's emails, error reports.

A duplicate remains possible if the worker dies between the server's reply and
the commit of the ``SentEmail`` row, or if two runs of one email send at the same
moment; docs/operations.md says so. If the database cannot take the row, the
message stays sent: the Message-ID is kept in this process and written once the
database answers again, and this process does not send it again meanwhile.

Configured in ``settings.MAILERS``::

    {"default": {"BACKEND": "portal.mail.SendOnceBackend",
                 "OPTIONS": {"backend": EMAIL_BACKEND, "options": {...its options...}}}}
"""

import logging

from django.core.mail.backends.base import _NOT_PROVIDED, BaseEmailBackend
from django.db import DatabaseError, transaction
from django.utils.module_loading import import_string

from .models import SentEmail

logger = logging.getLogger(__name__)

# Message-IDs the server accepted that could not be recorded yet (the database did not answer).
_unrecorded: set[str] = set()


def message_id_of(message) -> str | None:
    """The Message-ID the message was given by its sender, if any (header names ignore case)."""
    for name, value in message.extra_headers.items():
        if name.lower() == "message-id":
            return str(value).strip() or None
    return None


def already_sent(message_id: str) -> bool:
    if message_id in _unrecorded:
        return True
    _record_pending()
    return SentEmail.objects.filter(message_id=message_id).exists()


def record_sent(message_id: str) -> None:
    """Record that the server accepted ``message_id``; kept in memory while the database does not answer."""
    try:
        SentEmail.objects.get_or_create(message_id=message_id)
    except DatabaseError:
        _unrecorded.add(message_id)
        logger.exception(
            "Email %s was sent but could not be recorded; it is kept in memory until the database answers.",
            message_id,
        )


def _record_pending() -> None:
    if not _unrecorded:
        return
    pending = sorted(_unrecorded)
    try:
        with transaction.atomic():  # a savepoint, if the caller is in a transaction
            SentEmail.objects.bulk_create(
                [SentEmail(message_id=mid) for mid in pending], ignore_conflicts=True
            )
    except DatabaseError:
        logger.debug("The sent emails kept in memory could not be recorded yet.", exc_info=True)
        return
    _unrecorded.difference_update(pending)
    logger.info("Recorded %d sent email(s) kept in memory while the database was away.", len(pending))


class SendOnceBackend(BaseEmailBackend):
    """Sends through ``backend`` (a dotted path) with its ``options``; a recorded Message-ID is not sent."""

    def __init__(self, fail_silently=_NOT_PROVIDED, *, backend, options=None, alias=None, **kwargs):
        super().__init__(alias=alias)
        # Anything else (the deprecated fail_silently and get_connection() overrides) is the
        # sending backend's, which takes or refuses it as it would unwrapped.
        inner = dict(options or {}, **kwargs)
        if fail_silently is not _NOT_PROVIDED:
            inner["fail_silently"] = fail_silently
        self.backend = import_string(backend)(alias=alias, **inner)

    def open(self):
        return self.backend.open()

    def close(self):
        return self.backend.close()

    def send_messages(self, email_messages):
        messages = list(email_messages)
        if not any(message_id_of(message) for message in messages):
            return self.backend.send_messages(messages)
        sent = 0
        for message in messages:
            message_id = message_id_of(message)
            if message_id is None:
                sent += self.backend.send_messages([message]) or 0
                continue
            if already_sent(message_id):
                logger.info("Email %s was sent before: not sending it again.", message_id)
                continue
            count = self.backend.send_messages([message]) or 0
            if count:
                record_sent(message_id)
            sent += count
        return sent
