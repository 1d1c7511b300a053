"""Session ids the bridge can vouch for, so a kiosk or the web widget can resume its conversation.

A session id is also the dialogue core's sender id: whoever presents it continues
that conversation. `hello.resume` is therefore only honoured for an id this bridge
issued to the same kiosk_id: the id carries an HMAC of its random part and the
kiosk_id under the bridge's secret (`--session-secret` / LOBBY_BRIDGE_SESSION_SECRET,
else a random per-process one, so ids then stop resuming when the bridge restarts).
A guessed or altered id fails the check. A conversation that ended (reset,
goodbye, inactivity reset) or stayed idle past the inactivity timeout after its
connection dropped cannot be resumed either: the next citizen must not inherit it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

RANDOM_HEX = 16
MAC_HEX = 16
MAX_REMEMBERED = 10_000  # ended/left sessions kept in memory (oldest forgotten first)


class ResumeRefused(Exception):
    """`hello.resume` named a session that cannot be continued; the reason is for the client and the log."""


@dataclass
class SessionBook:
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    inactivity_s: float = 60.0
    _ended: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False)
    _left: OrderedDict[str, float] = field(default_factory=OrderedDict, init=False)  # id -> last activity

    @classmethod
    def from_secret(cls, secret: str | None, inactivity_s: float = 60.0) -> SessionBook:
        if secret:
            return cls(secret.encode(), inactivity_s)
        return cls(inactivity_s=inactivity_s)

    def _mac(self, random_part: str, kiosk_id: str | None) -> str:
        message = f"{random_part}|{kiosk_id or ''}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:MAC_HEX]

    def issue(self, kiosk_id: str | None) -> str:
        random_part = secrets.token_hex(RANDOM_HEX // 2)
        return random_part + self._mac(random_part, kiosk_id)

    def genuine(self, session_id: str, kiosk_id: str | None) -> bool:
        if len(session_id) != RANDOM_HEX + MAC_HEX:
            return False
        random_part, mac = session_id[:RANDOM_HEX], session_id[RANDOM_HEX:]
        return hmac.compare_digest(mac, self._mac(random_part, kiosk_id))

    def check_resume(self, session_id: str, kiosk_id: str | None) -> None:
        """Raise ResumeRefused unless this kiosk may continue `session_id`."""
        if not self.genuine(session_id, kiosk_id):
            raise ResumeRefused("this bridge did not issue that session id to this kiosk")
        if session_id in self._ended:
            raise ResumeRefused("that conversation has ended")
        left = self._left.get(session_id)
        if left is not None and time.monotonic() - left >= self.inactivity_s:
            raise ResumeRefused("that conversation expired (inactivity)")

    def ended(self, session_id: str) -> None:
        """The conversation was reset (new citizen): never resume it."""
        self._remember(self._ended, session_id, None)
        self._left.pop(session_id, None)

    def left(self, session_id: str, last_activity: float) -> None:
        """Its connection closed: it may be resumed until the inactivity timeout."""
        if session_id not in self._ended:
            self._remember(self._left, session_id, last_activity)

    @staticmethod
    def _remember(book: OrderedDict, key: str, value) -> None:
        book[key] = value
        book.move_to_end(key)
        while len(book) > MAX_REMEMBERED:
            book.popitem(last=False)
