"""The shared cache (Redis) as a cache: when it fails, pages cost a database trip, never an error.

``ResilientRedisCache`` is Django's ``RedisCache`` with four additions
(docs/operations.md, "When Redis fails", has the figures and the reasons):

* **Bounded waits.** Connect and read timeouts of a fraction of a second
  (``REDIS_TIMEOUT``) and no retries inside redis-py: a refused, reset or hanging
  Redis costs one short wait.
* **A circuit breaker per process.** The first failure opens it: for
  ``RETRY_SECONDS`` every operation answers at once as a miss (reads) or a
  no-op (writes), then one operation tries Redis again. The outage is logged
  when it starts, at most once a minute while it lasts, and when it ends.
* **Rate limits keep counting.** Keys under ``LOCAL_PREFIXES`` (django-allauth's
  and the portal's rate-limit counters) go to a per-process memory cache while
  Redis is away: a limit stays a limit (per process, so N workers allow N times
  as much), and an outage neither refuses every request nor answers 500.
* **Nothing stale comes back.** Every key carries the *cache epoch*, a number
  kept in the database (``portal.models.CacheEpoch``). A process that finds
  Redis unreachable bumps it, so whatever Redis holds from before the outage
  (pages, sessions that ended meanwhile, counters) is never read again when
  Redis returns with its old data. A normal cache hit runs no query: a process
  reads the epoch from the database when it starts, when it opens a new
  connection to Redis (after a restart every connection is new), and when the
  copy of the epoch kept in Redis (read with every ``get``, in the same round
  trip) is higher than its own, which is how a process that saw no outage
  learns of one that others saw while Redis hung (the process that finds Redis
  hanging leaves that copy in a socket for Redis to run first when it resumes).
"""

import logging
import socket
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

logger = logging.getLogger("portal.cache")

EPOCH_KEY = "cache-epoch"
DEFAULT_TIMEOUT_SECONDS = 0.25
DEFAULT_RETRY_SECONDS = 2.0
DEFAULT_LOG_SECONDS = 60.0
DEFAULT_LOCAL_PREFIXES = ("allauth:rl:", "portal:rl:")


class _Outage(Exception):
    """The cache cannot be used now (breaker open, or the epoch cannot be read)."""


class _State:
    """What every thread of a process knows about one Redis location."""

    def __init__(self):
        self.lock = threading.Lock()
        self.epoch = None  # None: read it from the database before the next operation
        self.open_until = 0.0  # the breaker is open until then (monotonic seconds)
        self.down_since = None
        self.last_logged = 0.0
        self.failures = 0
        self.pending_bump = False
        self.connects = 0  # new connections to Redis so far
        self.queued = []  # sockets holding an epoch marker for a hanging Redis to read when it resumes
        self.local = LocMemCache("portal-cache-outage", {"OPTIONS": {"MAX_ENTRIES": 10000}})


_states: dict[str, _State] = {}
_states_lock = threading.Lock()


def _state_for(location: str) -> _State:
    with _states_lock:
        return _states.setdefault(location, _State())


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        self.log_seconds = float(options.pop("LOG_SECONDS", DEFAULT_LOG_SECONDS))
        self.timeout_seconds = float(options.get("TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        self.local_prefixes = tuple(options.pop("LOCAL_PREFIXES", DEFAULT_LOCAL_PREFIXES))
        timeout = float(options.pop("TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("socket_timeout", timeout)
        options["redis_connect_func"] = self._on_connect
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._retry = None
        self._state = _state_for(str(server))

    @property
    def _cache(self):
        client = self.__dict__.get("_client")
        if client is None:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries inside redis-py: one failure opens the breaker.
            self._options.setdefault("retry", Retry(NoBackoff(), 0))
            client = self.__dict__["_client"] = self._class(self._servers, **self._options)
        return client

    # --- keys -----------------------------------------------------------------

    def make_key(self, key, version=None):
        """``prefix:epoch:version:key``: a new epoch makes every older key unreachable."""
        if version is None:
            version = self.version
        epoch = self._state.epoch if self._state.epoch is not None else 0
        return self.key_func(key, f"{self.key_prefix}:{epoch}", version)

    def _epoch_key(self):
        return f"{self.key_prefix}:{EPOCH_KEY}"

    def _is_local(self, key):
        return isinstance(key, str) and key.startswith(self.local_prefixes)

    # --- the breaker and the epoch -----------------------------------------------

    def _on_connect(self, connection):
        connection.on_connect()
        with self._state.lock:
            self._state.connects += 1

    def _ready(self):
        """Raise ``_Outage`` unless Redis may be tried now; (re)load the epoch when due."""
        state = self._state
        now = time.monotonic()
        if state.open_until > now:
            raise _Outage
        if state.pending_bump:
            self._bump_epoch()
            if state.pending_bump:  # the outage is not on record yet: Redis's old keys are not safe
                state.open_until = now + self.retry_seconds
                raise _Outage
        if state.epoch is None:
            self._load_epoch()

    def _load_epoch(self):
        from portal.models import CacheEpoch

        try:
            epoch = CacheEpoch.objects.current()
        except Exception as error:  # DatabaseError, or no database at all (a test without one)
            # No epoch, no safe read: the cache sits this one out (the request itself needs the database too).
            logger.warning("The cache epoch could not be read (%s); not using the cache for now.", error)
            raise _Outage from error
        self._state.epoch = epoch
        return epoch

    def _bump_epoch(self):
        """Record an outage in the database; retried at the next try while the database refuses."""
        from portal.models import CacheEpoch

        state = self._state
        state.pending_bump = True
        try:
            with transaction.atomic():
                state.epoch = CacheEpoch.objects.bump()
        except Exception:  # DatabaseError, or no database at all
            logger.warning("The cache epoch could not be bumped; trying again later.", exc_info=True)
            return

        def recorded():
            state.pending_bump = False

        # Inside a transaction the bump commits with it; rolled back, it stays pending and is made again.
        transaction.on_commit(recorded)

    def _tripped(self, error):
        state = self._state
        now = time.monotonic()
        first = state.down_since is None
        state.open_until = now + self.retry_seconds
        state.failures += 1
        if first:
            state.down_since = now
            state.last_logged = now
            logger.error(
                "Redis (%s) is unreachable: %s. Serving without the cache; trying again every %.0f s.",
                self._servers[0],
                error,
                self.retry_seconds,
            )
            self._bump_epoch()
            if not state.pending_bump:
                self._queue_epoch_marker()
        elif now - state.last_logged >= self.log_seconds:
            state.last_logged = now
            logger.error(
                "Redis (%s) is still unreachable after %.0f s (%s failed tries): %s",
                self._servers[0],
                now - state.down_since,
                state.failures,
                error,
            )

    def _recovered(self):
        state = self._state
        if state.down_since is None:
            return
        logger.warning(
            "Redis (%s) answers again after %.1f s; cache epoch %s.",
            self._servers[0],
            time.monotonic() - state.down_since,
            state.epoch,
        )
        state.down_since = None
        state.failures = 0
        state.local.clear()
        for queued in state.queued:
            queued.close()
        state.queued.clear()
        self._publish_epoch()

    def _queue_epoch_marker(self):
        """Leave ``SET <epoch marker> <new epoch>`` on a new connection, without waiting for an answer.

        A hanging Redis (stopped, not dead) still accepts connections: the command
        waits in its socket and is the first thing it runs when it resumes, before
        the requests that follow, so a process that made no request during the
        hang reads the new epoch at its very next ``get``. A refused connection
        (Redis down) needs nothing: every process reconnects and reads the epoch.
        """
        from redis.connection import parse_url

        try:
            params = parse_url(self._servers[0])
            if params.get("connection_class") is not None:  # TLS: only through redis-py
                return
            commands = []
            if params.get("password"):
                commands.append(["AUTH", *filter(None, [params.get("username")]), params["password"]])
            if params.get("db"):
                commands.append(["SELECT", str(params["db"])])
            commands.append(["SET", self._epoch_key(), str(self._state.epoch)])
            sock = socket.create_connection(
                (params.get("host", "localhost"), params.get("port", 6379)), timeout=self.timeout_seconds
            )
            sock.sendall(b"".join(_resp(command) for command in commands))
            self._state.queued.append(sock)
        except (OSError, ValueError):
            pass

    def _publish_epoch(self):
        """Leave the epoch in Redis, where processes that saw no outage read it."""
        self._cache.get_client(write=True).set(self._epoch_key(), self._state.epoch)

    def _call(self, operation, fallback, *, read=False):
        """Run ``operation`` on Redis, or ``fallback`` while it is unreachable.

        A read whose answer came over a connection opened meanwhile, or with an
        epoch marker above this process's epoch, is checked against the
        database's epoch first and dropped (a miss) if the epoch moved.
        """
        import redis

        state = self._state
        try:
            self._ready()
            connects = state.connects
            was_down = state.down_since is not None
            result = operation()
        except _Outage:
            return fallback()
        except (redis.RedisError, OSError) as error:
            self._tripped(error)
            return fallback()
        if was_down:
            try:
                self._load_epoch()
                self._recovered()
            except (_Outage, redis.RedisError, OSError):
                return fallback()
            return fallback() if read else result
        if state.connects != connects:
            before = state.epoch
            try:
                self._load_epoch()
            except _Outage:
                return fallback()
            if read and before != state.epoch:
                return fallback()
        return result

    def _checked_mget(self, keys):
        """MGET the epoch marker with ``keys``; None when the marker says this process's epoch is old."""
        client = self._cache.get_client()
        marker, *values = client.mget([self._epoch_key(), *keys])
        marker = None if marker is None else int(marker)
        if marker is not None and marker > self._state.epoch:
            self._load_epoch()
            return None
        if marker is None or marker < self._state.epoch:
            self._publish_epoch()
        return values

    # --- the cache API --------------------------------------------------------------

    def get(self, key, default=None, version=None):
        def read():
            values = self._checked_mget([self.make_and_validate_key(key, version=version)])
            if values is None or values[0] is None:
                return default
            return self._cache._serializer.loads(values[0])

        return self._call(read, lambda: self._local_or(key, "get", default, default, version), read=True)

    def get_many(self, keys, version=None):
        keys = list(keys)
        if not keys:
            return {}

        def read():
            key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
            values = self._checked_mget(list(key_map))
            if values is None:
                return {}
            loads = self._cache._serializer.loads
            return {key_map[k]: loads(v) for k, v in zip(key_map, values, strict=True) if v is not None}

        return self._call(read, dict, read=True)

    def has_key(self, key, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).has_key(key, version), lambda: False, read=True
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # While Redis is away an ``add`` succeeds: callers use it to claim work
        # (schedule one digest, take a lock), and work done twice beats work never done.
        return self._call(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._local_or(key, "add", True, value, timeout, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._local_or(key, "set", None, value, timeout, version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version), lambda: False
        )

    def delete(self, key, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._local_or(key, "delete", False, version),
        )

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found.")

        def fallback():
            if self._is_local(key):
                return self._state.local.incr(key, delta, version)
            return missing()

        return self._call(lambda: super(ResilientRedisCache, self).incr(key, delta, version), fallback)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), lambda: list(data)
        )

    def delete_many(self, keys, version=None):
        self._call(lambda: super(ResilientRedisCache, self).delete_many(keys, version), lambda: None)

    def clear(self):
        self._state.local.clear()
        return self._call(lambda: super(ResilientRedisCache, self).clear(), lambda: False)

    # --- helpers ------------------------------------------------------------------

    def _local_or(self, key, method, otherwise, *args):
        """During an outage: rate-limit keys in this process's memory, anything else ``otherwise``."""
        if self._is_local(key):
            return getattr(self._state.local, method)(key, *args)
        return otherwise


def _resp(command) -> bytes:
    """One command in Redis's wire protocol (RESP)."""
    parts = [str(part).encode() for part in command]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)
