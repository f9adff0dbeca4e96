"""Two app servers and two task workers on one PostgreSQL and one Redis (``portal/scale_check.py``).

The check starts real gunicorn and db_worker processes against a database of its
own (``portal_scale``, dropped and recreated) and a Redis database of its own
(``SCALE_REDIS_URL``, default 14), so it needs both services: it runs when
``DATABASE_URL`` is PostgreSQL and ``REDIS_URL`` is set, as in the PostgreSQL run of
``.ci/run``, and is skipped otherwise. About 20 seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
ON_POSTGRES_AND_REDIS = os.environ.get("DATABASE_URL", "").startswith(
    ("postgres://", "postgresql://")
) and bool(os.environ.get("REDIS_URL"))


@pytest.mark.skipif(
    not ON_POSTGRES_AND_REDIS,
    reason="the scale-out check needs PostgreSQL and Redis: set DATABASE_URL=postgres://… and REDIS_URL "
    "(or run `make scale-demo`)",
)
def test_two_app_servers_share_sessions_pages_and_the_task_queue():
    done = subprocess.run(
        [sys.executable, "-m", "portal.scale_check"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert output.count("PASS ") == 3, output
    assert "FAIL" not in output, output
