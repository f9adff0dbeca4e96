# ruff: noqa: S603, S607 - starts Debian's redis-server on a loopback port of its own
"""A Redis of the test's own, on a free loopback port, that a test may kill, hang and restart.

Never the shared Redis on 6379: the fault tests stop and kill this one. With
``persistent=True`` it keeps an append-only file in its folder, so a restart
comes back with its old data (the case where stale entries could return).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from testing.live_server import free_port


class RedisServer:
    def __init__(self, directory, *, persistent=False, port=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self.port = port or free_port()
        self.process = None
        self.stopped = False

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory),
        ]
        command += ["--save", "", "--appendonly", "yes" if self.persistent else "no"]
        if self.persistent:
            command += ["--appendfsync", "always"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def ping(self):
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return result.stdout.strip() == "PONG"

    def command(self, *args):
        """One redis-cli command against this server; its output."""
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    def kill(self):
        """SIGKILL: connections are refused until ``start`` (which keeps the data if persistent)."""
        self.resume()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def hang(self):
        """SIGSTOP: connections open, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.stopped = True

    def resume(self):
        if self.stopped:
            os.kill(self.process.pid, signal.SIGCONT)
            self.stopped = False

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
