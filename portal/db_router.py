"""Reads to a PostgreSQL read replica, writes to the primary (``DATABASE_REPLICA_URL``).

When ``DATABASE_REPLICA_URL`` is set, settings add a ``"replica"`` database and
list ``PrimaryReplicaRouter`` in ``DATABASE_ROUTERS`` (and ``PrimaryReadsMiddleware``
first in ``MIDDLEWARE``). Then:

* writes always go to ``default`` (the primary);
* reads go to ``replica``, except
  - inside a transaction on the primary (``transaction.atomic()``: services that
    lock rows with ``select_for_update()`` and read what they just wrote), and
  - during a request with an unsafe method (POST, PUT, PATCH, DELETE): the
    request that changes something reads what it changed, and a form that fails
    validation is re-rendered from the primary;
  - inside ``with primary_reads():`` (code that must not see replica lag);
* relations between objects of either alias are allowed (they are the same data);
* migrations run on ``default`` only (the replica receives them by replication).

A replica lags the primary by a fraction of a second. The page that follows a
POST (the redirect) may be read from the replica; the portal's own pages after
a change (a comment held or approved, a post saved) tolerate that lag, as the
data shown is confirmed by the POST's response messages. See docs/deploy.md.
Without ``DATABASE_REPLICA_URL`` nothing here is installed and every query goes
to ``default``.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_pinned = ContextVar("portal_primary_reads", default=False)


@contextmanager
def primary_reads():
    """Within the block, reads go to the primary (e.g. right after a write outside a transaction)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


class PrimaryReplicaRouter:
    """Route reads to ``replica`` and writes to ``default``; migrate only ``default``."""

    def db_for_read(self, model, **hints):
        if REPLICA not in connections.settings:
            return PRIMARY
        if _pinned.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class PrimaryReadsMiddleware:
    """Pin the reads of POST (and other unsafe) requests to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        with primary_reads():
            return self.get_response(request)
