"""The engines the cluster mode runs on, started from Debian's own packages as non-root, in a directory
of their own, on given loopback ports: PostgreSQL (conversations, tickets), Redis (Rasa's lock store,
the bridges' session registry) and HAProxy (one address for kiosks in front of several bridges and for
Rasa in front of several action servers).

Production runs the operators' own instances of these engines (deploy/); this module is what
`make run-cluster` and the cluster tests use on one machine.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "lobby"
PG_DB = "lobby"
# Each engine runs under the account its Debian package creates (never as root: PostgreSQL refuses to, and
# the others need not); as a non-root user, everything simply runs as that user.
PG_ACCOUNT, REDIS_ACCOUNT, HAPROXY_ACCOUNT = "postgres", "redis", "haproxy"


def _tool(name: str, *candidates: Path) -> str:
    for c in candidates:
        if c.exists():
            return str(c)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed: run `make setup` (scripts/apt-packages.txt lists it)")
    return found


def _as_account(account: str, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", account, "--", *cmd] if os.geteuid() == 0 else cmd


def _give(account: str, *paths: Path) -> None:
    """As root, hand the engine's own files to its account."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam(account)
        for p in paths:
            os.chown(p, entry.pw_uid, entry.pw_gid)


def _stop(proc: subprocess.Popen | None, sig: int = 15, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(5)


def _wait(ready, proc: subprocess.Popen, what: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during start-up; log {log}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s; log {log}:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


@dataclass
class Postgres:
    """A throw-away PostgreSQL cluster: trust authentication on loopback only, one database `lobby`."""

    port: int
    workdir: Path | None = None  # default: a private temporary directory (the service account must own it)
    durable: bool = False  # fsync off unless asked: test and demo data, not citizens' records
    proc: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{PG_DB}"

    def rasa_env(self) -> dict[str, str]:
        """What endpoints.postgres.yml reads."""
        return {
            "LOBBY_PG_HOST": "127.0.0.1",
            "LOBBY_PG_PORT": str(self.port),
            "LOBBY_PG_DB": PG_DB,
            "LOBBY_PG_USER": PG_USER,
            "LOBBY_PG_PASSWORD": "",
        }

    def start(self) -> Postgres:
        base = Path(tempfile.mkdtemp(prefix="lobby-pg-", dir=self.workdir))
        base.chmod(0o755)
        self.data = base / "data"
        self.log = base / "postgres.log"
        self.data.mkdir()
        self.log.touch()
        _give(PG_ACCOUNT, self.data, self.log)
        self.data.chmod(0o700)
        initdb = _tool("initdb", PG_BIN / "initdb")
        subprocess.run(
            _as_account(PG_ACCOUNT, [initdb, "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                                 "--no-locale", "--no-sync"]),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        cmd = [_tool("postgres", PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.data),
               "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]  # fmt: skip
        if not self.durable:
            cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.proc = subprocess.Popen(
            _as_account(PG_ACCOUNT, cmd), stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        _wait(self._accepts, self.proc, "PostgreSQL", self.log, 60)
        self._create_database()
        return self

    def _connect(self, db: str):
        import psycopg

        return psycopg.connect(f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{db}", connect_timeout=2)

    def _accepts(self) -> bool:
        try:
            with self._connect("postgres"):
                return True
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False

    def _create_database(self) -> None:
        with self._connect("postgres") as conn:
            conn.autocommit = True
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone():
                conn.execute(f'CREATE DATABASE "{PG_DB}"')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._connect(PG_DB) as conn:
            return conn.execute(sql, params).fetchall()

    def stop(self) -> None:
        _stop(self.proc, sig=2)  # SIGINT: PostgreSQL's fast shutdown
        if getattr(self, "data", None) is not None:
            shutil.rmtree(self.data.parent, ignore_errors=True)


@dataclass
class Redis:
    port: int
    workdir: Path | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def rasa_env(self) -> dict[str, str]:
        return {"LOBBY_REDIS_HOST": "127.0.0.1", "LOBBY_REDIS_PORT": str(self.port)}

    def start(self) -> Redis:
        self.dir = Path(tempfile.mkdtemp(prefix="lobby-redis-", dir=self.workdir))
        self.log = self.dir / "redis.log"
        cmd = [_tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no"]  # fmt: skip
        _give(REDIS_ACCOUNT, self.dir)
        self.proc = subprocess.Popen(
            _as_account(REDIS_ACCOUNT, cmd),
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(self._pong, self.proc, "Redis", self.log, 30)
        return self

    def _pong(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        _stop(self.proc)
        if getattr(self, "dir", None) is not None:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Backend:
    """One HAProxy frontend port in front of several servers, each checked on its health path."""

    name: str
    port: int
    servers: list[int]
    health: str = "/health"
    balance: str = "leastconn"  # websockets live long: new kiosks go to the least busy bridge
    tls_cert: Path | None = None  # PEM (certificate + key): the frontend speaks https/wss and the servers plain http
    # open connections one client address may hold across all the servers (None: no limit). Each bridge limits
    # web sessions per address itself, but only among its own connections; the proxy sees them all.
    max_conn_per_address: int | None = None


def haproxy_config(backends: list[Backend], cert_dir: Path | None = None) -> str:
    """HTTP mode (websocket upgrades pass through); a server failing two health checks gets no new connections and
    its open ones are cut, so their kiosks reconnect to a live one at once. The client's address goes to the
    servers in X-Forwarded-For (the bridges' per-address web limits); a TLS frontend (docs/security.md) also says
    so in X-Forwarded-Proto and Strict-Transport-Security. `cert_dir`: where start() put the certificates."""
    out = [
        "global",
        "    maxconn 4000",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout tunnel 1h",
        "    option redispatch",
        "    retries 2",
        "    option forwardfor",
    ]
    for b in backends:
        out.append(f"frontend {b.name}")
        if b.tls_cert is not None:
            cert = cert_dir / f"{b.name}.pem" if cert_dir else b.tls_cert
            out += [
                f"    bind 127.0.0.1:{b.port} ssl crt {cert} ssl-min-ver TLSv1.2 alpn http/1.1",
                "    http-request set-header X-Forwarded-Proto https",
                '    http-response set-header Strict-Transport-Security "max-age=31536000"',
            ]
        else:
            out.append(f"    bind 127.0.0.1:{b.port}")
        if b.max_conn_per_address is not None:
            out += [
                "    stick-table type ipv6 size 100k expire 10m store conn_cur",
                "    tcp-request connection track-sc0 src",
                f"    tcp-request connection reject if {{ sc0_conn_cur gt {b.max_conn_per_address} }}",
            ]
        out += [
            f"    default_backend {b.name}_servers",
            f"backend {b.name}_servers",
            f"    balance {b.balance}",
            f"    option httpchk GET {b.health}",
            "    http-check expect status 200",
            "    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions",
        ]
        out += [f"    server {b.name}{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(b.servers)]
    return "\n".join(out) + "\n"


@dataclass
class HAProxy:
    backends: list[Backend]
    workdir: Path | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> HAProxy:
        self.dir = Path(tempfile.mkdtemp(prefix="lobby-haproxy-", dir=self.workdir))
        self.config = self.dir / "haproxy.cfg"
        for b in self.backends:  # HAProxy's account must read the key; nobody else
            if b.tls_cert is not None:
                cert = self.dir / f"{b.name}.pem"
                shutil.copyfile(b.tls_cert, cert)
                cert.chmod(0o600)
                _give(HAPROXY_ACCOUNT, cert)
        self.config.write_text(haproxy_config(self.backends, self.dir))
        self.dir.chmod(0o755)
        self.config.chmod(0o644)
        self.log = self.dir / "haproxy.log"
        haproxy = _tool("haproxy", Path("/usr/sbin/haproxy"))
        check = subprocess.run([haproxy, "-c", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"HAProxy refuses {self.config}:\n{check.stdout}{check.stderr}")
        self.proc = subprocess.Popen(
            _as_account(HAPROXY_ACCOUNT, [haproxy, "-db", "-f", str(self.config)]),
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(self._listening, self.proc, "HAProxy", self.log, 30)
        return self

    def _listening(self) -> bool:
        import socket

        try:
            for b in self.backends:
                with socket.create_connection(("127.0.0.1", b.port), timeout=0.5):
                    pass
            return True
        except OSError:
            return False

    def stop(self) -> None:
        _stop(self.proc)
        if getattr(self, "dir", None) is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
