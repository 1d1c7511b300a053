"""Start servers on free loopback ports, wait until they answer, stop them.

Waiting is on events, not on sleeps: a threaded uvicorn server signals when its sockets are bound;
a subprocess is polled on its health URL (the only signal another process gives), and its exit is
noticed at once with the tail of its log, so a crash reads as a crash rather than as a time-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SignallingServer(uvicorn.Server):
    """uvicorn.Server that sets an event once it listens, so the starter waits on that instead of sleeping."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        self.ready.set()


class ThreadedServer:
    """An ASGI app served by uvicorn in a daemon thread of this process (the bridge, the trainer).

    `health` is a path that must answer 200 once the app is up; it is checked once after uvicorn says it
    listens, so an app that starts but cannot serve fails here, not in the first test.
    """

    def __init__(self, app, port: int | None = None, health: str = "/health", **uvicorn_options):
        self.app = app
        self.port = port or free_port()
        self.health = health
        options = {"host": "127.0.0.1", "port": self.port, "log_level": "warning", **uvicorn_options}
        self.server = _SignallingServer(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    url = http

    def start(self, timeout: float = 30):
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.ready.wait(0.5):
            if not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} exited during start-up (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} not listening after {timeout:.0f} s")
        status = httpx.get(f"{self.http}{self.health}", timeout=10).status_code
        if status != 200:
            raise RuntimeError(f"{self.http}{self.health} answered {status} after start-up")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float, interval: float = 0.3) -> float:
    """Poll `url` until it answers 200; returns the seconds it took. Fails early if the process exits."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} during start-up; log {log}:\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):  # until the next poll, or at once if it dies
            proc.wait(interval)
    tail = log.read_text()[-3000:] if log.exists() else ""
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s; log {log}:\n{tail}")


def start_process(
    cmd: list[str], health_url: str, log: Path, timeout: float, **popen
) -> tuple[subprocess.Popen, float]:
    """Start `cmd` in its own process group (so stop() ends its children too), logging to `log`."""
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        return proc, wait_healthy(health_url, proc, log, timeout)
    except BaseException:
        stop(proc)
        raise


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
