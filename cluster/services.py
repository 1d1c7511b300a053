"""Several instances of each Lobby Guide service on one machine, on PostgreSQL, Redis and HAProxy.

The topology is drawn in docs/ARCHITECTURE.md, "Scaling out".

Every bridge knows every Rasa instance and sends each conversation to the same one (rendezvous
hashing, avatar_bridge/rasa.py), so Rasa's lock store is a backstop rather than the only guard; a
conversation whose Rasa instance dies continues on the next from its tracker in PostgreSQL. Action
servers are interchangeable behind HAProxy (their state is in PostgreSQL). Bridges share signed session
ids and a registry in Redis, so a kiosk whose bridge died resumes through HAProxy on another.

Used by `make run-cluster` (cluster/__main__.py) and by tests/cluster.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cluster.engines import Backend, HAProxy, Postgres, Redis
from testkit.dialogue import _base_env as base_env
from testkit.servers import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
VENVS = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))
RASA_START_S = 600  # a bound on start-up under load, not a latency figure


@dataclass
class Instance:
    """One service process: its port, its log, and how to start it again on the same port."""

    name: str
    port: int
    cmd: list[str]
    env: dict[str, str]
    health: str
    log: Path
    timeout: float = 120
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            self.cmd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
            cwd=ROOT, env=self.env,
        )  # fmt: skip

    def wait(self) -> None:
        assert self.proc is not None
        wait_healthy(self.url + self.health, self.proc, self.log, self.timeout)

    def start(self) -> None:
        self.spawn()
        self.wait()

    def kill(self) -> None:
        """Die as a crashed process dies: SIGKILL, no clean shutdown."""
        if self.running:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        stop(self.proc)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    workdir: Path
    model: Path
    rasa_instances: int = 2
    action_servers: int = 2
    bridges: int = 2
    now: str | None = None  # the test clock (LOBBY_NOW) for tests and demos
    bridge_args: list[str] = field(default_factory=list)
    rasa_token: str = field(default_factory=lambda: secrets.token_hex(16))
    session_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    kiosk_port: int = field(default_factory=free_port)  # HAProxy: where kiosks connect
    # across all bridges; generous: a hall's kiosks may share one NAT address (deploy/haproxy-tls.cfg has the same)
    max_conn_per_address: int = 64
    actions_port: int = field(default_factory=free_port)  # HAProxy: where Rasa finds an action server
    postgres: Postgres | None = None
    redis: Redis | None = None
    haproxy: HAProxy | None = None
    rasa: list[Instance] = field(default_factory=list)
    actions: list[Instance] = field(default_factory=list)
    bridge: list[Instance] = field(default_factory=list)

    @property
    def kiosk_ws(self) -> str:
        return f"ws://127.0.0.1:{self.kiosk_port}/ws"

    @property
    def kiosk_http(self) -> str:
        return f"http://127.0.0.1:{self.kiosk_port}"

    @property
    def rasa_urls(self) -> list[str]:
        return [r.url for r in self.rasa]

    def _env(self) -> dict[str, str]:
        env = base_env(self.workdir)
        assert self.postgres is not None and self.redis is not None
        env.update(self.postgres.rasa_env())
        env.update(self.redis.rasa_env())
        env.update(
            {
                "LOBBY_ACTION_ENDPOINT": f"http://127.0.0.1:{self.actions_port}/webhook",
                "LOBBY_ACTIONS_DB_URL": self.postgres.url,
                "LOBBY_REDIS_URL": self.redis.url,
                "LOBBY_BRIDGE_SESSION_SECRET": self.session_secret,
                "LOBBY_RASA_TOKEN": self.rasa_token,
            }
        )
        if self.now:
            env["LOBBY_NOW"] = self.now
            env["LOBBY_ALLOW_TEST_CLOCK"] = "1"
        return env

    def _plan(self) -> None:
        env = self._env()
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for i in range(self.action_servers):
            port = free_port()
            self.actions.append(
                Instance(f"actions{i + 1}", port,
                         [str(VENVS / "actions" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
                          "--port", str(port)],
                         env, "/health", logs / f"actions{i + 1}.log", 120)
            )  # fmt: skip
        for i in range(self.rasa_instances):
            port = free_port()
            self.rasa.append(
                Instance(f"rasa{i + 1}", port,
                         [str(VENVS / "rasa" / "bin" / "python"), "-m", "nlu.rasa_cli", "run", "--model",
                          str(self.model), "--endpoints", "endpoints.postgres.yml", "--credentials",
                          "credentials.yml", "--enable-api", "--auth-token", self.rasa_token, "--interface",
                          "127.0.0.1", "--port", str(port)],
                         env, f"/status?token={self.rasa_token}", logs / f"rasa{i + 1}.log", RASA_START_S)
            )  # fmt: skip
        rasa_urls = ",".join(r.url for r in self.rasa)
        for i in range(self.bridges):
            port = free_port()
            self.bridge.append(
                Instance(f"bridge{i + 1}", port,
                         [str(VENVS / "app" / "bin" / "python"), "-m", "avatar_bridge", "--host", "127.0.0.1",
                          "--port", str(port), "--rasa-url", rasa_urls, "--kiosk-config", "config/kiosks.yml",
                          *self.bridge_args],
                         env, "/health", logs / f"bridge{i + 1}.log", 300)
            )  # fmt: skip

    def start(self, say=print) -> Cluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            say("starting PostgreSQL and Redis")
            self.postgres = Postgres(free_port()).start()
            self.redis = Redis(free_port()).start()
            self._plan()
            say(f"starting {len(self.actions)} action servers, {len(self.rasa)} Rasa instances, {len(self.bridge)} "
                "bridges (loading models takes a minute or two)")  # fmt: skip
            every = [*self.actions, *self.rasa, *self.bridge]
            for instance in every:
                instance.spawn()
            self.haproxy = HAProxy(
                [
                    Backend(
                        "kiosks",
                        self.kiosk_port,
                        [b.port for b in self.bridge],
                        max_conn_per_address=self.max_conn_per_address,
                    ),
                    Backend("actions", self.actions_port, [a.port for a in self.actions], balance="roundrobin"),
                ]
            ).start()
            with ThreadPoolExecutor(len(every)) as pool:
                list(pool.map(Instance.wait, every))
        except BaseException:
            self.stop()
            raise
        return self

    def env(self) -> dict[str, str]:
        """The environment a tool (the trainer, the chat) needs to work on this cluster."""
        env = self._env()
        env["LOBBY_RASA_URL"] = ",".join(self.rasa_urls)
        return env

    def stop(self) -> None:
        for instance in [*self.bridge, *self.rasa, *self.actions]:
            instance.stop()
        for engine in (self.haproxy, self.redis, self.postgres):
            if engine is not None:
                engine.stop()
