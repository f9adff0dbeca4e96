"""Comments posted at once from several processes to gunicorn's workers are all stored, once each.

The real server (gunicorn, ``WORKERS`` sync workers, ``DEBUG=0``) on a database
of its own (a SQLite file, or a PostgreSQL database made for the test when the
suite runs on PostgreSQL); ``PROCESSES`` client processes, each a signed-in
member, post ``COMMENTS_EACH`` comments through the real form with a CSRF token.
Every comment carries a unique marker, so the database can be checked
afterwards against what each client was told.
"""

import os

import pytest

from testing.live_server import Gunicorn, LiveDatabase, read_answers, start_clients, wait_clients

PROCESSES = 4
# 4 × 50 keeps the test near a minute on two shared cores; PORTAL_LOAD_COMMENTS=100 gives the 4 × 100.
COMMENTS_EACH = int(os.environ.get("PORTAL_LOAD_COMMENTS", "50"))

pytestmark = pytest.mark.slow


@pytest.fixture
def database(tmp_path):
    with LiveDatabase(tmp_path, "concurrency") as database:
        yield database


def test_every_acknowledged_comment_is_stored_exactly_once(database, tmp_path):
    seeded = database.seed_discussion(members=PROCESSES)
    with Gunicorn(database) as server:
        clients, outputs = start_clients(
            server, seeded, processes=PROCESSES, count=COMMENTS_EACH, directory=tmp_path
        )
        wait_clients(clients, timeout=300)
        log = server.log_tail()
    answers = read_answers(outputs)
    assert len(answers) == PROCESSES * COMMENTS_EACH

    errors = [answer for answer in answers if answer[0] == "err"]
    assert not errors, f"requests without an answer: {errors[:5]}"
    server_errors = [answer for answer in answers if answer[2].startswith("5")]
    assert not server_errors, f"{len(server_errors)} server errors, e.g. {server_errors[:3]}\n{log}"
    refused = [answer for answer in answers if answer[0] == "bad"]
    assert not refused, f"{len(refused)} comments refused, e.g. {refused[:3]}"
    acknowledged = {marker for kind, marker, _rest in answers if kind == "ok"}
    assert len(acknowledged) == PROCESSES * COMMENTS_EACH

    stored = database.inspect_discussion(seeded["post_id"])
    assert stored["rows"] == PROCESSES * COMMENTS_EACH
    assert set(stored["markers"]) == acknowledged
    duplicates = {marker: n for marker, n in stored["markers"].items() if n != 1}
    assert not duplicates
    # Every comment was approved at once (no hold): the count on the post agrees with the rows.
    assert stored["counted"] == PROCESSES * COMMENTS_EACH
    assert stored["comment_count"] == stored["counted"]
    assert stored["integrity"] == ["ok"]
