"""Redis is a cache: when it dies, hangs or comes back with old data, the site answers and stays right.

Each test runs the portal in-process against a Redis of its own (``testing.redis_server``)
configured the production way (``portal.cache.ResilientRedisCache``, sessions in
``cached_db``, the page caches on), then kills it (SIGKILL), hangs it (SIGSTOP) or
restarts it with its append-only file. portal/tests/faults/ does the same to gunicorn
processes.
"""

import logging
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from portal import cache as resilient
from portal.models import CacheEpoch
from testing.clients import client_for
from testing.comments import post_comment
from testing.factories import PostFactory, UserFactory
from testing.factories.accounts import PASSWORD
from testing.redis_server import RedisServer

RETRY_SECONDS = 0.4

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the categories too


def cache_settings(url):
    return {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"TIMEOUT_SECONDS": 0.2, "RETRY_SECONDS": RETRY_SECONDS},
        }
    }


@pytest.fixture
def redis_server(tmp_path, settings):
    resilient._states.clear()
    with RedisServer(tmp_path / "redis", persistent=True) as server:
        settings.CACHES = cache_settings(server.url)
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        settings.PAGE_CACHE_SECONDS = 600
        settings.MEMBER_PAGE_CACHE_SECONDS = 300
        settings.PAGE_CACHE_VERSION_FILE = None
        yield server
    resilient._states.clear()


@pytest.fixture
def post():
    return PostFactory(title="Double-loop learning in a small team")


def another_process(server):
    """The cache as a second process sees it: its own breaker, epoch and connections."""
    cache = resilient.ResilientRedisCache(server.url, cache_settings(server.url)["default"])
    cache._state = resilient._State()
    return cache


def wait_for_retry():
    """Past the breaker's pause: the next operation tries Redis again."""
    time.sleep(RETRY_SECONDS + 0.1)


def test_with_redis_killed_every_page_answers_and_a_members_comment_is_stored(redis_server, post):
    member = UserFactory(display_name="Rosa Outage")
    visitor, reader = Client(), client_for(member)
    for client in (visitor, reader):
        assert client.get("/").status_code == 200
        assert client.get(post.get_absolute_url()).status_code == 200

    redis_server.kill()

    assert visitor.get("/").status_code == 200
    assert visitor.get(post.get_absolute_url()).status_code == 200
    page = reader.get(post.get_absolute_url())
    assert page.status_code == 200
    assert page.context["user"] == member, "the member was signed out by the outage"
    response = post_comment(reader, post, "Kept while the cache was away.")
    assert response.status_code == 200
    assert Comment.objects.filter(post=post, author=member, body="Kept while the cache was away.").exists()


def test_signing_in_and_out_work_while_redis_is_down(redis_server, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    member = UserFactory()
    redis_server.kill()
    client = Client()

    response = client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").context["user"] == member
    client.post(reverse("account_logout"))
    assert not client.get("/").context["user"].is_authenticated


def test_a_hanging_redis_costs_one_short_wait_per_pause_and_one_log_line(redis_server, post, caplog):
    Client().get(post.get_absolute_url())
    redis_server.hang()
    try:
        with caplog.at_level(logging.WARNING, logger="portal.cache"):
            started = time.monotonic()
            answers = [Client().get(post.get_absolute_url()).status_code for _ in range(15)]
            elapsed = time.monotonic() - started
    finally:
        redis_server.resume()

    assert answers == [200] * 15
    outage_lines = [r for r in caplog.records if r.name == "portal.cache" and r.levelno == logging.ERROR]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert "unreachable" in outage_lines[0].getMessage()
    state = resilient._states[redis_server.url]
    assert state.failures <= 1 + int(elapsed / RETRY_SECONDS), "the breaker let requests wait on Redis"


def test_redis_back_with_old_data_serves_no_stale_page_and_no_ended_session(redis_server, post):
    member = UserFactory()
    member_client = client_for(member)
    member_client.get(post.get_absolute_url())  # the session is now in Redis too
    stolen = Client()  # the same session cookie, kept by someone after sign-out
    stolen.cookies = member_client.cookies.__class__(member_client.cookies)
    assert b"Double-loop learning" in Client().get("/").content  # the home page is cached

    redis_server.kill()
    post.title = "Single-loop learning, revised"
    post.save()
    member_client.post(reverse("account_logout"))
    assert not Session.objects.exists()

    redis_server.start()  # with the append-only file: every key from before is back
    assert int(redis_server.command("DBSIZE")) > 0
    wait_for_retry()

    home = Client().get("/")
    assert b"Single-loop learning, revised" in home.content
    assert b"Double-loop learning" not in home.content
    assert not stolen.get("/").context["user"].is_authenticated
    assert CacheEpoch.objects.current() >= 1


def test_a_process_that_made_no_request_during_a_hang_learns_of_it(redis_server):
    watcher, idle = caches["default"], another_process(redis_server)
    watcher.set("page", "before the change")
    assert idle.get("page") == "before the change"

    redis_server.hang()
    try:
        assert watcher.get("other") is None  # waits, times out: the breaker opens
        watcher.delete("page")  # a change whose invalidation is never sent
    finally:
        redis_server.resume()
    assert redis_server.command("DBSIZE") != "0"
    wait_for_retry()
    assert watcher.get("anything") is None  # the watcher tries again and leaves the new epoch in Redis

    assert [idle.get("page"), idle.get("page")] == [None, None]
    assert idle._state.epoch == watcher._state.epoch == CacheEpoch.objects.current()


def test_after_a_restart_every_process_reads_the_epoch_again(redis_server):
    watcher, idle = caches["default"], another_process(redis_server)
    watcher.set("page", "before the change")
    assert idle.get("page") == "before the change"

    redis_server.kill()
    watcher.delete("page")
    redis_server.start()
    assert redis_server.command("DBSIZE") != "0"

    assert [idle.get("page"), idle.get("page")] == [None, None], "an idle process read a key from before"


def test_rate_limits_keep_counting_in_each_process_while_redis_is_down(redis_server, post, settings):
    settings.PORTAL_RATE_LIMITS = {"search": (2, 60)}
    client = Client()
    redis_server.kill()

    answers = [client.get(reverse("search"), {"q": "learning"}).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_once_redis_returns_pages_are_cached_again(redis_server, post, django_assert_num_queries):
    redis_server.kill()
    assert Client().get(post.get_absolute_url()).status_code == 200
    redis_server.start()
    wait_for_retry()
    Client().get(post.get_absolute_url())  # recovers, then fills the cache
    Client().get(post.get_absolute_url())

    with django_assert_num_queries(0):
        assert Client().get(post.get_absolute_url()).status_code == 200
