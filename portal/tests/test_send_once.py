"""The site's mailer sends a notification email once: a Message-ID the mail server accepted is not sent again.

``portal.mail.SendOnceBackend`` wraps the backend the settings choose. Django's
test runner replaces ``MAILERS`` with its in-memory backend, so these tests
configure the wrapper themselves: around the in-memory backend, and around
the SMTP backend talking to a real SMTP server (aiosmtpd) on a local port.
"""

import json
import os
import smtplib
import socket
import subprocess
import sys

import pytest
from django.core import mail
from django.core.mail import EmailMessage, mailers
from django.db import OperationalError, connection

from core.mail import set_message_id, stable_message_id
from portal import mail as portal_mail
from portal.models import SentEmail

pytestmark = pytest.mark.django_db

SEND_ONCE = "portal.mail.SendOnceBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def _nothing_kept_in_memory():
    portal_mail._unrecorded.clear()
    yield
    portal_mail._unrecorded.clear()


@pytest.fixture
def send_once(settings):
    settings.MAILERS = {"default": {"BACKEND": SEND_ONCE, "OPTIONS": {"backend": LOCMEM}}}


def notification(*parts, to="reader@example.org"):
    """An email as the notification tasks build it: with a Message-ID made from what identifies it."""
    message = EmailMessage("A new comment", "Someone replied.", to=[to])
    return set_message_id(message, *(parts or ("comment", 7, "published", 3)))


def test_an_email_with_a_known_message_id_is_sent_once(send_once):
    assert mailers.default.send_messages([notification()]) == 1
    # The same email again, as a task run again after its worker died builds it.
    assert mailers.default.send_messages([notification()]) == 0

    (sent,) = mail.outbox
    message_id = stable_message_id("comment", 7, "published", 3)
    assert sent.message()["Message-ID"] == message_id  # the header on the wire is the stable one
    assert list(SentEmail.objects.values_list("message_id", flat=True)) == [message_id]


def test_only_the_emails_already_sent_are_skipped_in_a_batch(send_once):
    mailers.default.send_messages([notification("a")])

    sent = mailers.default.send_messages([notification("a"), notification("b"), notification("c")])

    assert sent == 2
    assert len(mail.outbox) == 3
    assert SentEmail.objects.count() == 3


def test_emails_without_a_message_id_of_their_own_are_sent_each_time_and_not_recorded(send_once):
    """Sign-up confirmations, password resets: Django gives each sending a new Message-ID."""
    for _ in range(2):
        assert mailers.default.send_messages([EmailMessage("Confirm", "Click", to=["new@example.org"])]) == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[0].message()["Message-ID"] != mail.outbox[1].message()["Message-ID"]
    assert not SentEmail.objects.exists()


def test_message_ids_are_stable_distinct_and_on_the_sites_domain(settings):
    settings.PORTAL_BASE_URL = "https://learn.example.org"
    first = stable_message_id("comment", 7, "2026-01-01T10:00:00+00:00", "published", 3)
    assert first == stable_message_id("comment", 7, "2026-01-01T10:00:00+00:00", "published", 3)
    assert first != stable_message_id("comment", 7, "2026-01-01T10:00:00+00:00", "published", 4)
    assert first.startswith("<") and first.endswith("@learn.example.org>")


def test_a_sent_email_the_database_could_not_record_is_kept_and_recorded_later(send_once, caplog):
    def refuse_sent_email_rows(execute, sql, params, many, context):
        if sql.startswith("INSERT") and "portal_sentemail" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_sent_email_rows):
        assert mailers.default.send_messages([notification()]) == 1  # the server took it: it is sent
        assert not SentEmail.objects.exists()
        assert "was sent but could not be recorded" in caplog.text
        # This process does not send it again meanwhile.
        assert mailers.default.send_messages([notification()]) == 0
    assert len(mail.outbox) == 1

    mailers.default.send_messages([notification("another")])  # the database answers: written now

    assert set(SentEmail.objects.values_list("message_id", flat=True)) == {
        stable_message_id("comment", 7, "published", 3),
        stable_message_id("another"),
    }


def test_the_sites_settings_wrap_the_backend_email_backend_names(tmp_path):
    env = os.environ | {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "mail.example.org", "VAR_DIR": str(tmp_path)}
    code = "import json, portal.settings as s; print(json.dumps(s.MAILERS))"
    result = subprocess.run(  # noqa: S603 - this interpreter, reading the settings module as a server does
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    mailer = json.loads(result.stdout)["default"]
    assert mailer["BACKEND"] == SEND_ONCE
    assert mailer["OPTIONS"]["backend"] == SMTP
    assert mailer["OPTIONS"]["options"]["host"] == "mail.example.org"


# --- Through a real SMTP server ----------------------------------------------------------


class Server:
    """An SMTP server on a free local port that keeps what it accepts; it can refuse the next message."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received = []
        self.refuse_next = False
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next = False
            return "554 5.6.0 Refused for the test"
        self.received.append(envelope.content)
        return "250 2.0.0 Accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    pytest.importorskip("aiosmtpd")
    server = Server()
    server.controller.start()
    yield server
    server.controller.stop()


def through_smtp(settings, port):
    settings.MAILERS = {
        "default": {
            "BACKEND": SEND_ONCE,
            "OPTIONS": {"backend": SMTP, "options": {"host": "127.0.0.1", "port": port, "timeout": 5}},
        }
    }


def test_an_email_the_server_refused_is_not_recorded_and_goes_once_it_accepts(settings, smtp_server):
    through_smtp(settings, smtp_server.controller.port)
    smtp_server.refuse_next = True

    with pytest.raises(smtplib.SMTPDataError):
        mailers.default.send_messages([notification()])
    assert not SentEmail.objects.exists()

    assert mailers.default.send_messages([notification()]) == 1  # the retry
    assert mailers.default.send_messages([notification()]) == 0  # the task run again
    assert len(smtp_server.received) == 1
    assert stable_message_id("comment", 7, "published", 3).encode() in smtp_server.received[0]
    assert SentEmail.objects.count() == 1


def test_an_email_not_sent_because_the_server_is_down_is_not_recorded(settings):
    through_smtp(settings, free_port())  # nothing listens there

    with pytest.raises(OSError):
        mailers.default.send_messages([notification()])

    assert not SentEmail.objects.exists()


def test_one_smtp_session_carries_several_emails_through_the_wrapper(settings, smtp_server):
    """As comments.notifications sends them: open, one email per recipient, close."""
    through_smtp(settings, smtp_server.controller.port)
    mailer = mailers.default
    mailer.open()
    session = mailer.backend.connection
    try:
        assert mailer.send_messages([notification("x")]) == 1
        assert mailer.send_messages([notification("y")]) == 1
        assert mailer.backend.connection is session  # the same SMTP session for both
    finally:
        mailer.close()
    assert mailer.backend.connection is None
    assert len(smtp_server.received) == 2
