"""The read-replica router: reads to "replica", writes, transactions and POSTs to "default"."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from blog.models import Post
from portal.db_router import PrimaryReadsMiddleware, PrimaryReplicaRouter, primary_reads

router = PrimaryReplicaRouter()


@pytest.fixture
def replica(monkeypatch):
    """A "replica" alias as settings add it when DATABASE_REPLICA_URL is set (never connected here)."""
    monkeypatch.setitem(connections.settings, "replica", {**connections.settings["default"]})


def test_without_a_replica_everything_reads_from_default():
    assert "replica" not in connections.settings
    assert router.db_for_read(Post) == "default"
    assert router.db_for_write(Post) == "default"


def test_reads_go_to_the_replica_and_writes_to_the_primary(replica):
    assert router.db_for_read(Post) == "replica"
    assert router.db_for_read(User) == "replica"
    assert router.db_for_write(Post) == "default"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # leaves the data migrations rows
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    """A service that locks rows and reads what it wrote must not read a lagging replica."""
    with transaction.atomic():
        assert router.db_for_read(Post) == "default"
    assert router.db_for_read(Post) == "replica"


def test_primary_reads_pins_a_block_and_nests(replica):
    with primary_reads():
        assert router.db_for_read(Post) == "default"
        with primary_reads():
            assert router.db_for_read(Post) == "default"
        assert router.db_for_read(Post) == "default"
    assert router.db_for_read(Post) == "replica"


@pytest.mark.parametrize(
    ("method", "expected"), [("get", "replica"), ("head", "replica"), ("post", "default")]
)
def test_unsafe_requests_read_from_the_primary(replica, method, expected):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Post))
        return HttpResponse("ok")

    response = PrimaryReadsMiddleware(view)(getattr(RequestFactory(), method)("/"))
    assert response.status_code == 200
    assert seen == [expected]
    assert router.db_for_read(Post) == "replica"  # the pin ends with the request


def test_pin_is_released_when_the_view_raises(replica):
    def view(request):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        PrimaryReadsMiddleware(view)(RequestFactory().post("/"))
    assert router.db_for_read(Post) == "replica"


def test_relations_are_allowed_and_migrations_run_on_the_primary_only():
    a, b = Post(), Post()
    a._state.db, b._state.db = "default", "replica"
    assert router.allow_relation(a, b) is True
    assert router.allow_migrate("default", "blog", "post") is True
    assert router.allow_migrate("replica", "blog", "post") is False


def test_settings_add_the_replica_and_the_router_only_when_the_url_is_set():
    base = Path(__file__).resolve().parents[2]
    script = (
        "import json; from portal import settings as s; "
        "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': getattr(s, 'DATABASE_ROUTERS', []), "
        "'replica': s.DATABASES.get('replica', {}).get('HOST'), "
        "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
        "'first_middleware': s.MIDDLEWARE[0]}))"
    )

    def settings_with(**extra):
        env = {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(DEBUG="1", **extra)
        done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", script], cwd=base, env=env, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    plain = settings_with()
    assert plain["aliases"] == ["default"]
    assert plain["routers"] == []

    configured = settings_with(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/portal")
    assert configured["aliases"] == ["default", "replica"]
    assert configured["routers"] == ["portal.db_router.PrimaryReplicaRouter"]
    assert configured["replica"] == "replica.internal"
    assert configured["mirror"] == "default"
    assert configured["first_middleware"] == "portal.db_router.PrimaryReadsMiddleware"
