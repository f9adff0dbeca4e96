"""The emails a test sent (Django's in-memory outbox)."""

from django.core import mail


def inbox(to):
    """The messages sent to ``to``: an address, or a member (to their address)."""
    address = getattr(to, "email", to)
    return [message for message in mail.outbox if message.to == [address]]


def html_of(message):
    """The HTML part of a message (exactly one)."""
    (alternative,) = message.alternatives
    assert alternative.mimetype == "text/html"
    return alternative.content
