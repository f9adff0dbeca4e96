"""Email helpers shared by the apps."""

import email.policy

from django.core.mail import EmailMultiAlternatives


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
