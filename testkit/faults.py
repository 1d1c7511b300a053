"""Faults injected into real processes, for tests/faults and benchmarks/bench_faults.py.

Everything here acts on the real thing: a server process is killed (SIGKILL) or hung (SIGSTOP) through its
process group, the tracker's SQLite database is locked by a real `BEGIN EXCLUSIVE` transaction or its
filesystem filled up (a small tmpfs of its own, filled with a ballast file until the kernel says ENOSPC), and
memory and connections are read from /proc (no psutil in the app environment). Nothing is mocked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the process and its children, as a crash or the OOM killer would: no clean shutdown."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@contextlib.contextmanager
def hung(proc: subprocess.Popen) -> Iterator[None]:
    """The process (and its children) frozen with SIGSTOP: its sockets stay open and accept, nothing answers."""
    os.killpg(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGCONT)


@contextlib.contextmanager
def locked(db: Path) -> Iterator[None]:
    """The SQLite database held by an exclusive transaction (another writer, a backup, a stuck job)."""
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


class NoFilesystemOfItsOwn(RuntimeError):
    """Filling a disk needs a filesystem that holds nothing else; mounting one (tmpfs) needs root."""


def own_filesystem(path: Path, size_mb: int = 256) -> bool:
    """Mount a tmpfs of `size_mb` at `path` for a database whose disk a test will fill; False where the machine
    does not allow mounting (not root): `path` is then a plain directory and `disk_full` refuses to run there."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "lobby-test-db", str(path)],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def release_filesystem(path: Path) -> None:
    """Unmount what own_filesystem mounted (nothing happens for a plain directory)."""
    if os.path.ismount(path):
        subprocess.run(["umount", "--lazy", str(path)], capture_output=True)


@contextlib.contextmanager
def disk_full(directory: Path) -> Iterator[int]:
    """The filesystem holding `directory` filled to the last byte by a ballast file, as a disk fills up in a hall
    whose recordings nobody rotates; yields the bytes written. The ballast is removed afterwards."""
    if not os.path.ismount(directory):
        raise NoFilesystemOfItsOwn(
            f"{directory} is not a filesystem of its own (mounting a tmpfs needs root): filling it would fill "
            "the machine's disk"
        )
    ballast = directory / "ballast.fill"
    written = 0
    with open(ballast, "wb", buffering=0) as out:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = bytes(size)
            try:
                while True:
                    written += out.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    free = os.statvfs(directory).f_bavail
    assert free == 0, f"{free} blocks still free on {directory} after the ballast"
    try:
        yield written
    finally:
        ballast.unlink()


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB, from /proc."""
    for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (Rasa's CLI wrapper, uvicorn workers), in MB."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, RuntimeError):
            total += rss_mb(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
    return total


def established_to(port: int) -> int:
    """Established TCP connections on loopback to `port` (e.g. Rasa waiting on the action server)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    count += 1
    return count


def wait_for(condition, timeout: float, what: str, interval: float = 0.02) -> None:
    """Poll `condition` until true: for things another process does, which send no event."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:g} s")
        time.sleep(interval)


def warm(rasa_url: str, timeout: float = 600) -> None:
    """One throw-away turn, so a restarted Rasa's first-request warm-up is not a citizen's turn."""
    httpx.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "hello"}, timeout=timeout
    ).raise_for_status()


@dataclass
class Apology:
    """What a citizen got for a turn the dialogue core could not answer, with when (s after `t0`)."""

    error: dict
    bot: dict
    error_s: float
    shown_s: float  # the apology's text on screen (bot_message)
    heard_s: float | None  # its first audio (None: nothing was spoken)
    messages: list[dict] = field(default_factory=list)


def await_apology(kiosk, t0: float) -> Apology:
    """Read the kiosk's messages until the turn's `metrics` (the turn is over), timing the apology's parts."""
    start = len(kiosk.messages)
    error = bot = None
    error_s = shown_s = heard_s = None
    while True:
        message = kiosk.recv()
        now = time.perf_counter() - t0
        if message is None:  # audio: the first frame of the apology is when it is heard
            if bot is not None and heard_s is None and kiosk.audio.get(bot["utterance_id"]):
                heard_s = now
            continue
        if message["type"] == "error" and error is None:
            error, error_s = message, now
        elif message["type"] == "bot_message" and bot is None:
            bot, shown_s = message, now
        elif message["type"] == "metrics" and bot is not None and message["utterance_id"] == bot["utterance_id"]:
            break
    if error is None or bot is None:
        raise AssertionError(f"no error + reply for the failed turn: {kiosk.messages[start:]}")
    return Apology(error, bot, error_s, shown_s, heard_s, kiosk.messages[start:])


def kill_mid_turn(kiosk, servers, question: str, timeout: float = 120) -> Apology:
    """SIGKILL Rasa while it answers `question` (its call to the action server held by a frozen action server, so
    the turn is surely in progress), then resume the action server; the apology is timed from the kill."""
    with hung(servers.actions_proc):
        calls = established_to(servers.actions_port)
        kiosk.send({"type": "text", "text": question})
        wait_for(lambda: established_to(servers.actions_port) > calls, timeout, "Rasa calling its action server")
        killed = time.perf_counter()
        kill(servers.rasa_proc)
        return await_apology(kiosk, killed)


def slow_reader(url: str):
    """A kiosk (testkit.kiosk.Kiosk) whose page will stop reading: a tiny socket receive buffer and a client
    queue of one message, so once the test stops calling recv() the bridge's sends fill up and wait."""
    from websockets.sync.client import connect

    from testkit.kiosk import Kiosk

    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    kiosk = Kiosk(url)
    kiosk.ws = connect(url, sock=sock, max_queue=1, max_size=2**24, open_timeout=30, ping_interval=None)
    return kiosk


def shrink_send_buffers(server, size: int = 8192) -> int:
    """Give the bridge's open client sockets a small kernel send buffer (`server`: a testkit ThreadedServer).

    Why: the kernel buffers up to 4 MB per socket (tcp_wmem) before a sender feels a client that stopped
    reading, which at the pace of speech (~44 KB/s) is over a minute; with a small buffer the bridge meets
    the stopped reader within seconds, as it would on a slow link. Returns the number of sockets changed.
    """
    changed = 0
    for connection in list(server.server.server_state.connections):
        sock = connection.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
            changed += 1
    return changed
