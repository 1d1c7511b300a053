"""Start and stop the real dialogue servers (action server + Rasa) on free loopback ports.

Used by the test suite and the benchmarks. Each service runs from its own
environment, exactly as `make run` starts it, with its own SQLite files.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENVS = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))
MODEL_DIR = Path(os.environ.get("LOBBY_MODEL_DIR", ROOT / "models" / "dialogue"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The one web origin the test Rasa's socket.io channel accepts: a port free on this machine (not a fixed 8080
# that a developer's own server may hold); browser tests serve their third-party page from it.
WEB_ORIGIN_PORT = free_port()
WEB_ORIGIN = f"http://127.0.0.1:{WEB_ORIGIN_PORT}"


def current_model() -> Path:
    pointer = MODEL_DIR / "current"
    if not pointer.exists():
        raise RuntimeError(f"no trained model in {MODEL_DIR}: run `make test` or scripts/train.sh first")
    return MODEL_DIR / f"{pointer.read_text().strip()}.tar.gz"


def _base_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "LOG_LEVEL": "INFO",
            "LOG_LEVEL_LIBRARIES": "ERROR",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "KERAS_HOME": str(workdir / "keras"),
            "MPLCONFIGDIR": str(workdir / "matplotlib"),
            "SANIC_HOST": "127.0.0.1",
        }
    )
    return env


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            tail = log.read_text()[-3000:]
            raise RuntimeError(f"server exited with {proc.returncode} during start-up; log {log}:\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s; log {log}:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class DialogueServers:
    workdir: Path
    now: str | None = None
    model: Path = field(default_factory=current_model)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    rasa_port: int = 0
    actions_port: int = 0
    rasa_proc: subprocess.Popen | None = None
    actions_proc: subprocess.Popen | None = None
    rasa_startup_s: float = 0.0
    cors_origins: str = WEB_ORIGIN

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    @property
    def actions_db(self) -> Path:
        return self.workdir / "actions.db"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def env(self) -> dict[str, str]:
        env = _base_env(self.workdir)
        env.update(
            {
                "LOBBY_ACTION_ENDPOINT": f"http://127.0.0.1:{self.actions_port}/webhook",
                "LOBBY_TRACKER_DB": str(self.tracker_db),
                "LOBBY_ACTIONS_DB": str(self.actions_db),
                "LOBBY_CORS_ORIGINS": self.cors_origins,
            }
        )
        if self.now:
            env["LOBBY_NOW"] = self.now
        return env

    def start_actions(self) -> None:
        self.actions_port = self.actions_port or free_port()
        log = self.workdir / "actions.log"
        self.actions_proc = subprocess.Popen(
            [str(VENVS / "actions" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.actions_port)],
            cwd=ROOT, env=self.env(), stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _wait(f"http://127.0.0.1:{self.actions_port}/health", self.actions_proc, log, 60)

    def start_rasa(self) -> None:
        self.rasa_port = free_port()
        log = self.workdir / "rasa.log"
        self.rasa_proc = subprocess.Popen(
            [str(VENVS / "rasa" / "bin" / "python"), "-m", "nlu.rasa_cli", "run", "--model", str(self.model),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--enable-api",
             "--auth-token", self.token, "--interface", "127.0.0.1", "--port", str(self.rasa_port)],
            cwd=ROOT, env=self.env(), stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.rasa_startup_s = _wait(f"{self.rasa_url}/status?token={self.token}", self.rasa_proc, log, 240)

    def start(self) -> DialogueServers:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.start_actions()
        self.start_rasa()
        return self

    def restart_rasa(self) -> None:
        stop(self.rasa_proc)
        self.start_rasa()

    def stop(self) -> None:
        stop(self.rasa_proc)
        stop(self.actions_proc)


class Conversation:
    """One citizen talking to the guide over the REST channel."""

    def __init__(self, servers: DialogueServers, sender: str | None = None, metadata: dict | None = None):
        self.servers = servers
        self.sender = sender or f"test-{uuid.uuid4().hex[:12]}"
        self.metadata = metadata or {}
        self.client = httpx.Client(timeout=30)

    def say(self, text: str) -> list[dict]:
        r = self.client.post(
            f"{self.servers.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text, "metadata": self.metadata},
        )
        r.raise_for_status()
        return r.json()

    def text(self, text: str) -> str:
        """What the guide says back, all messages joined."""
        return " ".join(m["text"] for m in self.say(text) if m.get("text"))

    def tracker(self) -> dict:
        r = self.client.get(
            f"{self.servers.rasa_url}/conversations/{self.sender}/tracker", params={"token": self.servers.token}
        )
        r.raise_for_status()
        return r.json()

    def slot(self, name: str):
        return self.tracker()["slots"].get(name)


def cards(messages: list[dict]) -> list[dict]:
    return [m["custom"]["data"] for m in messages if isinstance(m.get("custom"), dict) and "data" in m["custom"]]


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons") or []]
