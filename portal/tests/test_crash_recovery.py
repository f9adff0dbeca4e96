"""A server killed with SIGKILL in the middle of a load loses no acknowledged comment.

The load of test_concurrent_comments (gunicorn's workers on a database of
their own, client processes posting comments with unique markers); once some
comments have been acknowledged, the master and every worker get SIGKILL at
once (the process group), mid-request. Then the server starts again on the
same database and takes new comments, and the database must hold every
comment any client was told was saved, exactly once, and pass its integrity
check (SQLite ``PRAGMA integrity_check``; PostgreSQL ``amcheck`` on every
B-tree index), with the post's comment count agreeing with its rows.
"""

import time

import pytest

from testing.live_server import Gunicorn, LiveDatabase, read_answers, start_clients, wait_clients

PROCESSES = 4
COMMENTS_EACH = 100  # more than get through before the kill
KILL_AFTER = 40  # acknowledged comments before the server is killed…
EACH_AT_LEAST = 3  # …with every client under way

pytestmark = pytest.mark.slow


@pytest.fixture
def database(tmp_path):
    with LiveDatabase(tmp_path, "crash") as database:
        yield database


def acknowledged(answers):
    return [marker for kind, marker, _rest in answers if kind == "ok"]


def under_way(outputs):
    saved = [len(acknowledged(read_answers([output]))) for output in outputs]
    return sum(saved) >= KILL_AFTER and min(saved) >= EACH_AT_LEAST


def test_acknowledged_comments_survive_a_sigkill_of_the_server(database, tmp_path):
    seeded = database.seed_discussion(members=PROCESSES)

    server = Gunicorn(database, name="before-crash").start()
    try:
        clients, outputs = start_clients(
            server,
            seeded,
            processes=PROCESSES,
            count=COMMENTS_EACH,
            directory=tmp_path,
            stop_on_error=True,
            tag="crash",
        )
        deadline = time.monotonic() + 180
        while not under_way(outputs):
            assert time.monotonic() < deadline, "the load did not get going:\n" + server.log_tail()
            assert any(client.poll() is None for client in clients), "the clients finished before the kill"
            time.sleep(0.05)
        server.kill()
    finally:
        server.stop()
    wait_clients(clients, timeout=120)

    before = read_answers(outputs)
    assert not [answer for answer in before if answer[2].startswith("5")], "server errors before the kill"
    assert not [answer for answer in before if answer[0] == "bad"], "refused comments before the kill"
    cut_off = [answer for answer in before if answer[0] == "err"]
    assert len(cut_off) == PROCESSES, "every client should have lost its connection to the killed server"
    saved_before = acknowledged(before)
    assert KILL_AFTER <= len(saved_before) < PROCESSES * COMMENTS_EACH

    # The server starts again on the same database and takes comments again.
    with Gunicorn(database, name="after-crash") as server:
        clients, after_outputs = start_clients(
            server, seeded, processes=2, count=5, directory=tmp_path, tag="after"
        )
        wait_clients(clients, timeout=120)
    after = read_answers(after_outputs)
    assert [kind for kind, _marker, _rest in after] == ["ok"] * 10, after

    stored = database.inspect_discussion(seeded["post_id"])
    assert stored["integrity"] == ["ok"]
    assert stored["foreign_key_problems"] == 0
    markers = stored["markers"]
    missing = [marker for marker in saved_before + acknowledged(after) if markers.get(marker) != 1]
    assert not missing, f"acknowledged but not stored exactly once: {missing[:10]}"
    assert all(count == 1 for count in markers.values()), "a comment was stored twice"
    # The requests cut off by the kill were either committed whole or not at all.
    unanswered = {marker for _kind, marker, _rest in cut_off}
    assert set(markers) <= set(saved_before) | set(acknowledged(after)) | unanswered
    assert stored["comment_count"] == stored["counted"] == stored["rows"]
