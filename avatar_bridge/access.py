"""Who may open a session on the bridge, and how much an anonymous web citizen may use (docs/security.md).

The bridge faces two kinds of clients. Kiosks stand in the hall: each proves its
kiosk id with its own secret (a kiosk secrets file, re-read when it changes, so a
secret is rotated without a restart and the old one is refused at once). Web
citizens ("cloud lobby": the /lobby page and the chat widget on the city's site)
are anonymous: any kiosk id that has no secret opens a web session, which has its
own limits (sessions per address, sessions in all, turns per minute, seconds of
audio) so the internet cannot starve the hall's kiosks.

Browsers are kept from being used against the bridge (cross-site websocket
hijacking, ASVS 5.0 4.4.2) by the Origin check in the handshake: a page may open
a websocket only from the bridge's own origin or a configured one; anything else
gets HTTP 403 before the upgrade. A client without an Origin header is no
browser, so no citizen's browser can be abused through it; it still has to prove
a kiosk id or counts as web.

Without a kiosk secrets file the bridge runs as before issue 14 (every client is a
kiosk, the optional shared `--token`); it warns at start-up, since anyone can then
claim any kiosk id.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from avatar_bridge.protocol import INPUT_SAMPLE_RATE, ProtocolError
from avatar_bridge.watched_file import WatchedFile

_LOG = logging.getLogger(__name__)

# Refusals that end the connection, with their websocket close code (docs/protocol.md, "Errors").
FATAL_CODES = {"bad_token": 4001, "too_many_web_sessions": 1013, "too_many_from_address": 1013}  # nosec B105  # close codes, not a password
WEB_MODES = ("text", "voice")


class KioskSecretsError(ValueError):
    """The kiosk secrets file cannot be read: kiosks are refused rather than let in without a check."""


def normalise_origin(origin: str) -> str:
    """`https://City.Example.gov/` -> `https://city.example.gov` (an Origin has no path; case does not matter)."""
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class OriginPolicy:
    """Which web pages may open a websocket: the bridge's own origin, and the configured ones."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> OriginPolicy:
        return cls(frozenset(normalise_origin(o) for o in (text or "").split(",") if o.strip()))

    def refusal(self, origin: str | None, host: str | None) -> str | None:
        """Why a handshake with this Origin and Host is refused, or None to let it through."""
        if origin is None:
            return None  # not a browser: nobody's browser is being used; the kiosk check at hello still applies
        wanted = normalise_origin(origin)
        if wanted in self.allowed:
            return None
        if host and wanted != "null" and urlsplit(wanted).netloc == host.strip().lower():
            return None  # same origin: a page this bridge served (the kiosk page, /lobby, /chat), also via a proxy
        return f"origin {origin!r} is not allowed (allowed: the bridge's own pages, {sorted(self.allowed) or 'none'})"


@dataclass
class KioskSecrets:
    """kiosk_id -> secret, from a YAML file re-read whenever it changes (rotation without a restart).

    File format (`python -m avatar_bridge.kiosk_secrets` writes it)::

        kiosks:
          entrance: 9f2c...            # the secret itself
          floor2: env:FLOOR2_SECRET    # or taken from that environment variable
    """

    path: Path
    _file: WatchedFile[dict[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self._file = WatchedFile(self.path, self._load, "kiosk secrets file", KioskSecretsError)

    def _load(self, path: Path) -> dict[str, str]:
        secrets = load_secrets(path)
        _LOG.info("kiosk secrets loaded from %s (%d kiosks)", path, len(secrets))
        return secrets

    def current(self) -> dict[str, str]:
        return self._file.current()

    def secret(self, kiosk_id: str) -> str | None:
        return self.current().get(kiosk_id)


def load_secrets(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KioskSecretsError(f"cannot read kiosk secrets file {path}: {exc}") from None
    entries = data.get("kiosks") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise KioskSecretsError(f"{path}: expected `kiosks:` mapping kiosk ids to secrets")
    out: dict[str, str] = {}
    for kiosk_id, value in entries.items():
        value = str(value or "")
        if value.startswith("env:"):
            value = os.environ.get(value[4:], "")
        if len(value) < 16:
            raise KioskSecretsError(f"{path}: kiosk {kiosk_id!r}: secret missing or shorter than 16 characters")
        out[str(kiosk_id)] = value
    return out


@dataclass(frozen=True)
class WebLimits:
    """What one anonymous web session may use; `mode` text = no microphone and no synthesised speech."""

    max_sessions: int = 4
    per_address: int = 2
    turns_per_minute: int = 12
    audio_s: float = 120.0
    mode: str = "voice"


@dataclass
class WebQuota:
    """Web sessions in use, in all and per client address (one per bridge process)."""

    limits: WebLimits = field(default_factory=WebLimits)
    in_use: int = 0
    by_address: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # error code -> refusals

    def claim(self, address: str) -> None:
        """Take a slot or raise the documented refusal (no await between check and take: one event loop)."""
        if self.in_use >= self.limits.max_sessions:
            self.refused["too_many_web_sessions"] += 1
            raise ProtocolError(
                "too_many_web_sessions", f"the web guide serves {self.limits.max_sessions} citizens at once; try later"
            )
        if self.by_address[address] >= self.limits.per_address:
            self.refused["too_many_from_address"] += 1
            raise ProtocolError(
                "too_many_from_address", f"at most {self.limits.per_address} web sessions from one address"
            )
        self.in_use += 1
        self.by_address[address] += 1

    def release(self, address: str) -> None:
        self.in_use -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


@dataclass
class SessionAccess:
    """One connection's standing: pending until hello, then a kiosk or a web session, and what it has used.

    The serializer asks it about every hello, control message and audio frame; a
    refusal is a ProtocolError with a documented code (the fatal ones close the
    connection, the others drop the message and the session goes on).
    """

    address: str
    quota: WebQuota
    secrets: KioskSecrets | None = None
    token: str | None = None  # without kiosk secrets: the shared token of every kiosk (None = none needed)
    kiosk_ids: frozenset[str] = frozenset()  # kiosks of the kiosk file: never web sessions
    kind: str = "pending"  # kiosk | web
    _proof: tuple[str, str] | None = None  # (kiosk_id, secret) this kiosk connection proved itself with
    _turns: deque[float] = field(default_factory=deque)
    _audio_bytes: int = 0
    _muted: bool = False  # a refused audio_start: drop its audio silently until audio_end
    _reported: dict[str, float] = field(default_factory=dict)

    @property
    def web(self) -> bool:
        return self.kind == "web"

    def hello(self, message: dict) -> None:
        """Decide what this connection is; may rewrite the hello to the web's mode (text: no audio out)."""
        kiosk_id = message["kiosk_id"]
        offered = message.get("token") or ""
        self._proof = None  # a second hello decides afresh
        if self.secrets is None:
            if self.token and not hmac.compare_digest(offered.encode(), self.token.encode()):
                raise ProtocolError("bad_token", "hello token rejected")
            self._become("kiosk")
            return
        try:
            secret = self.secrets.secret(kiosk_id)
        except KioskSecretsError as exc:
            _LOG.error("%s", exc)
            if kiosk_id in self.kiosk_ids:
                raise ProtocolError("bad_token", "kiosk credentials cannot be checked now") from None
            secret = None
        if secret is not None:
            if not hmac.compare_digest(offered.encode(), secret.encode()):
                _LOG.warning("kiosk %s: wrong secret from %s", kiosk_id, self.address)
                raise ProtocolError("bad_token", f"kiosk {kiosk_id!r} did not prove its identity")
            self._become("kiosk")
            self._proof = (kiosk_id, secret)
            return
        if kiosk_id in self.kiosk_ids:
            _LOG.error("kiosk %s is in the kiosk file but has no secret: refused", kiosk_id)
            raise ProtocolError("bad_token", f"kiosk {kiosk_id!r} has no credential on this bridge")
        self._become("web")
        if self.quota.limits.mode == "text":
            message["capabilities"] = {**message.get("capabilities", {}), "audio_in": False, "audio_out": False}
            message["mode"] = "push_to_talk"

    def _become(self, kind: str) -> None:
        if kind == "web" and not self.web:
            self.quota.claim(self.address)
        elif kind != "web" and self.web:
            self.quota.release(self.address)
        self.kind = kind

    def release(self) -> None:
        """The connection closed: its web slot (if any) is free again."""
        if self.web:
            self.quota.release(self.address)
        self.kind = "pending"

    def control(self, kind: str, message: dict) -> bool:
        """A control message after hello: True to pass it on, False to drop it silently; raises a refusal."""
        if self._proof is not None:
            self._check_rotation()
        if not self.web:
            return True
        if kind == "audio_end" and self._muted:
            self._muted = False
            return False
        voice = kind == "audio_start" or (kind == "settings" and message.get("mode") == "hands_free")
        if voice and self.quota.limits.mode == "text":
            self._muted = kind == "audio_start"
            raise ProtocolError("voice_not_allowed", "the web guide is text-only here; please type")
        if kind in ("text", "button", "audio_start"):
            now = time.monotonic()
            while self._turns and now - self._turns[0] >= 60.0:
                self._turns.popleft()
            if len(self._turns) >= self.quota.limits.turns_per_minute:
                self._muted = kind == "audio_start"
                raise ProtocolError(
                    "turn_limit", f"at most {self.quota.limits.turns_per_minute} questions a minute; please wait"
                )
            self._turns.append(now)
        return True

    def _check_rotation(self) -> None:
        """A kiosk whose secret was rotated (or removed) since its hello is cut at its next message (ASVS 7.4.2);
        a secrets file that cannot be read just now does not cut connections that proved themselves."""
        if self.secrets is None or self._proof is None:
            return
        kiosk_id, secret = self._proof
        try:
            current = self.secrets.secret(kiosk_id)
        except KioskSecretsError as exc:
            _LOG.error("%s", exc)
            return
        if current is None or not hmac.compare_digest(current.encode(), secret.encode()):
            self._proof = None
            _LOG.warning("kiosk %s: its secret was rotated; closing its connection", kiosk_id)
            raise ProtocolError("bad_token", f"kiosk {kiosk_id!r}: its secret was rotated; start it with the new one")

    def audio(self, nbytes: int) -> bool:
        """An audio frame: True to take it; False to drop it; raises (at most once a second) when refused."""
        if not self.web:
            return True
        if self._muted:
            return False
        if self.quota.limits.mode == "text":
            return self._refuse("voice_not_allowed", "the web guide is text-only here; please type")
        limit = int(self.quota.limits.audio_s * INPUT_SAMPLE_RATE * 2)
        if self._audio_bytes + nbytes > limit:
            return self._refuse(
                "audio_limit", f"this web session has used its {self.quota.limits.audio_s:g} s of audio; please type"
            )
        self._audio_bytes += nbytes
        return True

    def _refuse(self, code: str, text: str) -> bool:
        now = time.monotonic()
        if now - self._reported.get(code, -10.0) >= 1.0:
            self._reported[code] = now
            raise ProtocolError(code, text)
        return False
