"""Start and stop the real dialogue servers (action server + Rasa) on free loopback ports.

Used by the test suite and the benchmarks. Each service runs from its own
environment, exactly as `make run` starts it, with its own SQLite files.
`knowledge_base` points both at another knowledge base directory (LOBBY_KB_DIR).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testkit.servers import free_port, start_process, stop
from trainer.config import dialogue_model_dir_from_env

ROOT = Path(__file__).resolve().parent.parent
VENVS = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))
# Loading the model takes about a minute on an idle 2-core machine; several minutes when other suites and
# trainings share it. A bound on start-up, not a latency assertion (start-up is measured in benchmarks).
RASA_START_S = 600
MODEL_DIR = Path(dialogue_model_dir_from_env() or ROOT / "models" / "dialogue")


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
    knowledge_base: Path | None = None
    db_dir: Path | None = None  # where the tracker database lives (default: workdir), e.g. a filesystem of its own

    @property
    def tracker_db(self) -> Path:
        return (self.db_dir or self.workdir) / "tracker.db"

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
            env["LOBBY_ALLOW_TEST_CLOCK"] = "1"  # the action server refuses a frozen clock unless told it is a test
        if self.knowledge_base:
            env["LOBBY_KB_DIR"] = str(self.knowledge_base)
        return env

    def start_actions(self) -> None:
        self.actions_port = self.actions_port or free_port()
        self.actions_proc, _ = start_process(
            [str(VENVS / "actions" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.actions_port)],
            f"http://127.0.0.1:{self.actions_port}/health", self.workdir / "actions.log", 60, cwd=ROOT, env=self.env(),
        )  # fmt: skip

    def start_rasa(self) -> None:
        # A restart keeps the port, as a real restart keeps its address: the bridges started for the
        # whole test session go on talking to the same URL.
        self.rasa_port = self.rasa_port or free_port()
        self.rasa_proc, self.rasa_startup_s = start_process(
            [str(VENVS / "rasa" / "bin" / "python"), "-m", "nlu.rasa_cli", "run", "--model", str(self.model),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--enable-api",
             "--auth-token", self.token, "--interface", "127.0.0.1", "--port", str(self.rasa_port)],
            f"{self.rasa_url}/status?token={self.token}", self.workdir / "rasa.log", RASA_START_S,
            cwd=ROOT, env=self.env(),
        )  # fmt: skip

    def start(self) -> DialogueServers:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_actions()
            self.start_rasa()
        except BaseException:  # a fixture that fails here never reaches its teardown: leave nothing running
            self.stop()
            raise
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
