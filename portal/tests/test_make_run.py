"""`make run` serves on HOST:PORT, and the links it prints and emails carry that address.

The server, the task worker (which sends the emails and has no request to take the
host from) and seed_demo (which prints the sign-in address) all get
PORTAL_BASE_URL=http://HOST:PORT from the Makefile; the settings' own default
(http://127.0.0.1:8000) stays for anything started otherwise. Read from a dry
run (``make -n``): nothing is installed, migrated or served.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

MAKE = shutil.which("make")
COMMANDS = ("manage.py seed_demo", "manage.py db_worker", "manage.py runserver")

pytestmark = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")


def dry_run(*arguments):
    """The shell lines `make -n` would run, with the environment's PORTAL_BASE_URL unset."""
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_BASE_URL"}
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [MAKE, "-n", "--no-print-directory", *arguments],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


def base_url_of(lines, command):
    """The PORTAL_BASE_URL given to the line that runs ``command``."""
    found = [line for line in lines if command in line]
    assert len(found) == 1, f"{command!r} in {len(found)} lines of the dry run:\n" + "\n".join(lines)
    match = re.search(rf"PORTAL_BASE_URL='([^']*)'[^&;]*{re.escape(command)}", found[0])
    assert match, f"{command!r} runs without PORTAL_BASE_URL: {found[0]}"
    return match.group(1)


def test_make_run_on_another_port_gives_that_address_to_the_server_the_worker_and_seed_demo():
    lines = dry_run("run", "PORT=8031")

    assert {command: base_url_of(lines, command) for command in COMMANDS} == dict.fromkeys(
        COMMANDS, "http://127.0.0.1:8031"
    )
    assert any("runserver 127.0.0.1:8031" in line for line in lines)


def test_host_and_an_explicit_address_are_honoured():
    lines = dry_run("run", "HOST=0.0.0.0", "PORT=9000")
    assert base_url_of(lines, "manage.py runserver") == "http://0.0.0.0:9000"

    lines = dry_run("run", "PORTAL_BASE_URL=https://learn.example.org")
    assert {base_url_of(lines, command) for command in COMMANDS} == {"https://learn.example.org"}


def test_the_default_stays_the_settings_default():
    lines = dry_run("seed")
    assert base_url_of(lines, "manage.py seed_demo") == "http://127.0.0.1:8000"
