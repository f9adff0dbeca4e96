"""Test clients signed in as a given member, in a given language, and the messages they get."""

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client


def client_for(user=None, *, language=None, **client_kwargs):
    """A ``django.test.Client`` signed in as ``user`` (``None``: a visitor), with ``force_login``.

    ``language`` sets the language cookie ("es"); other keyword arguments go to the Client
    (``enforce_csrf_checks=True``, ``raise_request_exception=False``, ``HTTP_USER_AGENT=...``).
    """
    client = Client(**client_kwargs)
    if user is not None:
        client.force_login(user)
    if language is not None:
        client.cookies.load({settings.LANGUAGE_COOKIE_NAME: language})
    return client


def messages_of(response):
    """The texts of the messages (``django.contrib.messages``) the response's request added."""
    return [str(message) for message in get_messages(response.wsgi_request)]
