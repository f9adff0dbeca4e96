"""Email helpers shared by the apps."""

import email.policy
import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


class _OneLineHeader(str):
    """A header value written on one line (RFC 5322 allows 998 characters).

    The email package folds headers at 78 columns and turns a long value with
    no space, such as an unsubscribe URL, into RFC 2047 encoded words that mail
    clients do not read in ``List-Unsubscribe``.
    """

    def __new__(cls, name, value):
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


class UnsubscribableEmail(EmailMultiAlternatives):
    """Text + HTML email whose ``List-Unsubscribe`` header stays readable by mail clients."""

    ONE_LINE_HEADERS = ("List-Unsubscribe",)

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        for name in self.ONE_LINE_HEADERS:
            if name in self.extra_headers:
                del msg[name]
                msg.set_raw(name, _OneLineHeader(name, self.extra_headers[name]))
        return msg


def stable_message_id(*parts) -> str:
    """A Message-ID made from what identifies one email, the same each time that email is built.

    ``parts`` name the email: what caused it (with a time, so that ids reused
    after a restore from backup make new ids), its kind and its recipient. A
    task run again after its worker died builds the same Message-ID, and the
    site's mailer (``portal.mail.SendOnceBackend``) does not send it twice.
    The parts are hashed: the header tells a reader nothing about the site's rows.
    """
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]
    domain = urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"
    return f"<{digest}@{domain}>"


def set_message_id(message, *parts):
    """Give ``message`` the stable Message-ID of ``parts`` (``stable_message_id``); returns the message."""
    message.extra_headers["Message-ID"] = stable_message_id(*parts)
    return message


def subject_line(text) -> str:
    """An email's subject as every email of the site has it: ``[<PORTAL_NAME>] text`` on one line.

    Whitespace runs (new lines from a template, from a name) become single spaces:
    a header holds no line break.
    """
    return f"[{settings.PORTAL_NAME}] {' '.join(str(text).split())}"


def templated_email(template: str, context: dict, *, to, message_class=EmailMultiAlternatives, **kwargs):
    """A text + HTML email from ``<template>_subject.txt``, ``<template>_message.txt`` and ``_message.html``.

    Rendered in the active language (wrap the call in ``core.i18n.in_language_of``);
    the subject gets the site's prefix (``subject_line``). The templates extend
    ``email/base_message.html`` and ``.txt``: greeting, body, footer, the page's ``lang``.
    """
    context = {"portal_name": settings.PORTAL_NAME, **context}
    message = message_class(
        subject=subject_line(render_to_string(f"{template}_subject.txt", context)),
        body=render_to_string(f"{template}_message.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        **kwargs,
    )
    message.attach_alternative(render_to_string(f"{template}_message.html", context), "text/html")
    return message
