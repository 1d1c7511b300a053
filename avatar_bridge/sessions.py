"""Session ids the bridge can vouch for, so a kiosk or the web widget can resume its conversation.

A session id is also the dialogue core's sender id: whoever presents it continues
that conversation. `hello.resume` is therefore only honoured for an id issued to the
same kiosk_id: the id carries an HMAC of its random part and the kiosk_id under the
bridges' secret (`--session-secret` / LOBBY_BRIDGE_SESSION_SECRET, else a random
per-process one, so ids then stop resuming when the bridge restarts).
A guessed or altered id fails the check. A conversation that ended (reset,
goodbye, inactivity reset) or stayed idle past the inactivity timeout after its
connection dropped cannot be resumed either: the next citizen must not inherit it.

Which conversations ended or were left is kept in a registry: in this process by
default, in Redis (LOBBY_REDIS_URL) when several bridges share the kiosks, so a kiosk
whose bridge died resumes on another one (docs/ARCHITECTURE.md, "Scaling out").

Which connections hold which conversation on this bridge is kept in LiveConnections, so an
administrator can end a conversation and close its connection (avatar_bridge/admin_routes.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

_LOG = logging.getLogger(__name__)

RANDOM_HEX = 32  # 128 bits from the CSPRNG (OWASP ASVS 5.0 7.2.3)
ISSUED_HEX = 8  # when the id was issued (Unix seconds), signed with the rest: the absolute lifetime survives resumes
MAC_HEX = 16
ID_HEX = RANDOM_HEX + ISSUED_HEX + MAC_HEX
MAX_REMEMBERED = 10_000  # ended/left sessions kept in memory (oldest forgotten first)


class ResumeRefused(Exception):
    """`hello.resume` named a session that cannot be continued; the reason is for the client and the log."""


class SessionRegistry(Protocol):
    """Where ended and left conversations are remembered (wall-clock times, so processes can share them)."""

    def mark_ended(self, session_id: str) -> None: ...
    def is_ended(self, session_id: str) -> bool: ...
    def mark_left(self, session_id: str, at: float) -> None: ...
    def left_at(self, session_id: str) -> float | None: ...


@dataclass
class MemoryRegistry:
    """One bridge process: bounded, oldest forgotten first."""

    _ended: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _left: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def mark_ended(self, session_id: str) -> None:
        self._remember(self._ended, session_id, None)
        self._left.pop(session_id, None)

    def is_ended(self, session_id: str) -> bool:
        return session_id in self._ended

    def mark_left(self, session_id: str, at: float) -> None:
        if session_id not in self._ended:
            self._remember(self._left, session_id, at)

    def left_at(self, session_id: str) -> float | None:
        return self._left.get(session_id)

    @staticmethod
    def _remember(book: OrderedDict, key: str, value) -> None:
        book[key] = value
        book.move_to_end(key)
        while len(book) > MAX_REMEMBERED:
            book.popitem(last=False)


class RegistryUnavailable(Exception):
    """The shared registry did not answer: a resume is refused rather than guessed."""


class RedisRegistry:
    """Several bridges: keys expire on their own, so the registry never needs cleaning."""

    ENDED_TTL_S = 2 * 24 * 3600  # an ended id must not resume while any kiosk could still present it

    def __init__(self, url: str, inactivity_s: float, prefix: str = "lobby:session"):
        import redis  # only the cluster mode needs it

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._errors = redis.RedisError
        self.prefix = prefix
        self.left_ttl_s = max(60, int(inactivity_s * 2))

    def _call(self, what: str, fn, *args):
        try:
            return fn(*args)
        except self._errors as exc:
            _LOG.error("session registry (Redis) %s failed: %s", what, exc)
            raise RegistryUnavailable(str(exc)) from exc

    def mark_ended(self, session_id: str) -> None:
        pipe = self._redis.pipeline()
        pipe.set(f"{self.prefix}:ended:{session_id}", 1, ex=self.ENDED_TTL_S)
        pipe.delete(f"{self.prefix}:left:{session_id}")
        self._call("mark_ended", pipe.execute)

    def is_ended(self, session_id: str) -> bool:
        return bool(self._call("is_ended", self._redis.exists, f"{self.prefix}:ended:{session_id}"))

    def mark_left(self, session_id: str, at: float) -> None:
        if not self.is_ended(session_id):
            self._call("mark_left", lambda: self._redis.set(f"{self.prefix}:left:{session_id}", at, ex=self.left_ttl_s))

    def left_at(self, session_id: str) -> float | None:
        value = self._call("left_at", self._redis.get, f"{self.prefix}:left:{session_id}")
        return float(value) if value is not None else None

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors:
            return False


@dataclass
class SessionBook:
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    inactivity_s: float = 60.0
    registry: SessionRegistry = field(default_factory=MemoryRegistry)
    max_age_s: float = 0.0  # absolute lifetime of a conversation (0 = none): older ids do not resume

    @classmethod
    def from_secret(
        cls, secret: str | None, inactivity_s: float = 60.0, redis_url: str | None = None, max_age_s: float = 0.0
    ) -> SessionBook:
        registry: SessionRegistry = RedisRegistry(redis_url, inactivity_s) if redis_url else MemoryRegistry()
        if secret:
            return cls(secret.encode(), inactivity_s, registry, max_age_s)
        return cls(inactivity_s=inactivity_s, registry=registry, max_age_s=max_age_s)

    def _mac(self, body: str, kiosk_id: str | None) -> str:
        message = f"{body}|{kiosk_id or ''}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:MAC_HEX]

    def issue(self, kiosk_id: str | None) -> str:
        body = secrets.token_hex(RANDOM_HEX // 2) + f"{int(time.time()):0{ISSUED_HEX}x}"
        return body + self._mac(body, kiosk_id)

    def genuine(self, session_id: str, kiosk_id: str | None) -> bool:
        if len(session_id) != ID_HEX:
            return False
        body, mac = session_id[:-MAC_HEX], session_id[-MAC_HEX:]
        return hmac.compare_digest(mac, self._mac(body, kiosk_id))

    @staticmethod
    def issued_at(session_id: str) -> float | None:
        """When an id of this format was issued (Unix seconds); None for anything else."""
        if len(session_id) != ID_HEX:
            return None
        try:
            return float(int(session_id[RANDOM_HEX : RANDOM_HEX + ISSUED_HEX], 16))
        except ValueError:
            return None

    def check_resume(self, session_id: str, kiosk_id: str | None) -> None:
        """Raise ResumeRefused unless this kiosk may continue `session_id`."""
        if not self.genuine(session_id, kiosk_id):
            raise ResumeRefused("this bridge did not issue that session id to this kiosk")
        issued = self.issued_at(session_id) or 0.0
        if self.max_age_s and time.time() - issued >= self.max_age_s:
            raise ResumeRefused("that conversation reached its maximum lifetime")
        try:
            if self.registry.is_ended(session_id):
                raise ResumeRefused("that conversation has ended")
            left = self.registry.left_at(session_id)
        except RegistryUnavailable as exc:
            raise ResumeRefused("the session registry is not answering") from exc
        if left is not None and time.time() - left >= self.inactivity_s:
            raise ResumeRefused("that conversation expired (inactivity)")

    def ended(self, session_id: str) -> None:
        """The conversation was reset (new citizen): never resume it."""
        # A registry that does not answer has logged it; the id then resumes only until its inactivity timeout.
        with contextlib.suppress(RegistryUnavailable):
            self.registry.mark_ended(session_id)

    def left(self, session_id: str, last_activity: float) -> None:
        """Its connection closed (`last_activity` on the monotonic clock): it may be resumed until the
        inactivity timeout."""
        at = time.time() - (time.monotonic() - last_activity)
        with contextlib.suppress(RegistryUnavailable):
            self.registry.mark_left(session_id, at)


class HoldsConversation(Protocol):
    """What the connection list reads of a connection's SessionState (sessions.py cannot import state.py)."""

    session_id: str
    hello: bool


@dataclass(eq=False)
class LiveConnection:
    """One open websocket on this bridge, as the admin routes see it: which conversation it holds now
    (`state.session_id` changes on reset), whether it is a kiosk or a web session (`kind()`), and how to send
    it a last error and close it (`close(code, error)`, the same one the hello deadline uses)."""

    state: HoldsConversation
    kind: Callable[[], str]
    close: Callable[[int, dict], Awaitable[None]]
    ended: bool = False  # an administrator ended its conversation: nothing to remember when it closes


@dataclass
class LiveConnections:
    """The connections open on this bridge, so an administrator can end one conversation or all of them
    (ASVS 5.0 7.4.5). Conversations whose connection closed here recently are remembered for the inactivity
    timeout too: they could still be resumed, so "end all" ends them as well."""

    inactivity_s: float = 60.0
    _open: set[LiveConnection] = field(default_factory=set)
    _recent: OrderedDict[str, tuple[str, float]] = field(default_factory=OrderedDict)  # id -> (kind, left)

    def add(self, connection: LiveConnection) -> None:
        self._open.add(connection)

    def remove(self, connection: LiveConnection) -> None:
        """Its websocket closed; a conversation it held stays resumable until the inactivity timeout."""
        self._open.discard(connection)
        if connection.state.hello and not connection.ended:
            self._recent[connection.state.session_id] = (connection.kind(), time.monotonic())
            self._recent.move_to_end(connection.state.session_id)
            self._forget_old()

    def holding(self, session_id: str) -> list[LiveConnection]:
        """The connections that hold this conversation now (several when a drop was not noticed yet)."""
        return [c for c in self._open if self._holds(c) and hmac.compare_digest(c.state.session_id, session_id)]

    def conversations(self, kind: str | None = None) -> tuple[list[LiveConnection], list[str]]:
        """Open connections holding a conversation, and recently left conversations, of this kind (None: all)."""
        self._forget_old()
        live = [c for c in self._open if self._holds(c) and kind in (None, c.kind())]
        held = {c.state.session_id for c in live}
        left = [sid for sid, (was, _) in self._recent.items() if kind in (None, was) and sid not in held]
        return live, left

    @staticmethod
    def _holds(connection: LiveConnection) -> bool:
        """It said hello (it has a conversation) and no administrator has closed it yet."""
        return connection.state.hello and not connection.ended

    def forget(self, session_ids: set[str]) -> None:
        """These conversations were ended: "end all" has nothing more to do for them."""
        for session_id in session_ids:
            self._recent.pop(session_id, None)

    def _forget_old(self) -> None:
        now = time.monotonic()
        while self._recent and now - next(iter(self._recent.values()))[1] >= self.inactivity_s:
            self._recent.popitem(last=False)
        while len(self._recent) > MAX_REMEMBERED:
            self._recent.popitem(last=False)
