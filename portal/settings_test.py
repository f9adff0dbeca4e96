"""Test settings: fast hashing, mail kept in memory, media in a temporary folder."""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Tests assert what was enqueued and run the task functions themselves.
TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
MEDIA_ROOT = tempfile.mkdtemp(prefix="portal-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # CI points REDIS_URL at a database of its own: tests clear the cache. Under
    # pytest-xdist each worker takes the one below (gw1: 14 when given 15), as
    # clearing empties the whole Redis database.
    CACHES["default"]["KEY_PREFIX"] = "portal-test"
    _xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _xdist_worker:
        _url = urlsplit(REDIS_URL)  # noqa: F405
        _database = (int(_url.path.strip("/") or 0) - int(_xdist_worker.removeprefix("gw"))) % 16
        CACHES["default"]["LOCATION"] = urlunsplit(_url._replace(path=f"/{_database}"))
# Rate limits are off for the suite (many tests search, sign in or invite in a loop);
# portal/tests/test_rate_limits.py turns the production values on.
ACCOUNT_RATE_LIMITS = False
PORTAL_RATE_LIMITS = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Query budgets measure the views themselves: the page cache is off unless a
# test turns it on (portal/tests/test_page_cache.py, the leak crawl).
PAGE_CACHE_SECONDS = 0
MEMBER_PAGE_CACHE_SECONDS = 0
# Sessions from the database, not the cache: query budgets then count the
# session like a request on a cold cache does, whatever ran before.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The content version in the (per-test, cleared) cache; portal/tests/test_page_cache.py
# tests the file that production uses without Redis.
PAGE_CACHE_VERSION_FILE = None
