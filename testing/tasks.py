"""Tasks for the task worker's tests: each notes its runs; ``hold`` waits until the test lets it go.

The worker runs in a thread of the test process, so the notes are plain lists
the test reads. ``reset()`` before each test.
"""

import threading

from django.db import OperationalError
from django.tasks import task

RUNS: list[str] = []
_started: dict[str, threading.Event] = {}
_released: dict[str, threading.Event] = {}
_failures_left: dict[str, int] = {}


def reset():
    RUNS.clear()
    _failures_left.clear()
    for event in _released.values():
        event.set()  # nothing left waiting from an earlier test
    _started.clear()
    _released.clear()


def started(label: str) -> threading.Event:
    return _started.setdefault(label, threading.Event())


def release(label: str) -> None:
    _released.setdefault(label, threading.Event()).set()


def lose_the_database(label: str, times: int = 1) -> None:
    """Make the next ``times`` runs of ``flaky(label)`` fail as on a lost connection."""
    _failures_left[label] = times


@task
def note(label: str) -> str:
    RUNS.append(label)
    return label


@task
def hold(label: str, timeout: float = 20) -> str:
    """Runs until ``release(label)`` (or ``timeout`` seconds)."""
    RUNS.append(label)
    started(label).set()
    _released.setdefault(label, threading.Event()).wait(timeout)
    return label


@task
def flaky(label: str) -> str:
    RUNS.append(label)
    if _failures_left.get(label, 0) > 0:
        _failures_left[label] -= 1
        raise OperationalError("server closed the connection unexpectedly")
    return label
