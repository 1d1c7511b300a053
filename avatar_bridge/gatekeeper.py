"""The bridge's door: the settings of avatar_bridge/access.py put together for one process.

It answers the websocket handshake (Origin allowlist, refused with HTTP 403 before
the upgrade), hands each accepted connection its SessionAccess (kiosk secrets,
shared web quota) and says how full the web is on `/health` and `/metrics`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from starlette.websockets import WebSocket

from avatar_bridge.access import KioskSecrets, KioskSecretsError, OriginPolicy, SessionAccess, WebLimits, WebQuota
from avatar_bridge.config import BridgeConfig, ConfigError

_LOG = logging.getLogger(__name__)


@dataclass
class Gatekeeper:
    origins: OriginPolicy
    quota: WebQuota
    secrets: KioskSecrets | None = None
    token: str | None = None
    kiosk_ids: frozenset[str] = frozenset()
    origin_refusals: int = 0

    @classmethod
    def from_config(cls, config: BridgeConfig) -> Gatekeeper:
        """Checks the kiosk secrets file once now, so a broken one stops the start rather than every kiosk."""
        secrets = None
        if config.kiosk_secrets_file:
            secrets = KioskSecrets(Path(config.kiosk_secrets_file))
            try:
                known = secrets.current()
            except KioskSecretsError as exc:
                raise ConfigError(str(exc)) from None
            missing = sorted(set(config.kiosks) - set(known))
            if missing:
                _LOG.warning("kiosks without a secret in %s are refused: %s", secrets.path, ", ".join(missing))
        else:
            _LOG.warning(
                "no kiosk secrets file (--kiosk-secrets): every client is treated as a kiosk and may claim any "
                "kiosk id%s; fine on a closed LAN, not on the internet (docs/security.md)",
                "" if config.token else " without a token",
            )
        limits = WebLimits(
            max_sessions=config.web_max_sessions,
            per_address=config.web_sessions_per_address,
            turns_per_minute=config.web_turns_per_minute,
            audio_s=config.web_audio_s,
            mode=config.web_mode,
        )
        return cls(
            OriginPolicy.parse(config.allowed_origins),
            WebQuota(limits),
            secrets,
            config.token,
            frozenset(config.kiosks),
        )

    def handshake(self, websocket: WebSocket) -> bool:
        """False (and logged) when the page that opens this websocket is from an origin that may not."""
        why = self.origins.refusal(websocket.headers.get("origin"), websocket.headers.get("host"))
        if why is None:
            return True
        self.origin_refusals += 1
        _LOG.warning("websocket from %s refused (403): %s", _address(websocket), why)
        return False

    def connection(self, websocket: WebSocket) -> SessionAccess:
        return SessionAccess(_address(websocket), self.quota, self.secrets, self.token, self.kiosk_ids)

    def health(self) -> dict:
        limits = self.quota.limits
        return {
            "web_sessions": self.quota.in_use,
            "web_max_sessions": limits.max_sessions,
            "web_mode": limits.mode,
            "kiosk_credentials": self.secrets is not None,
        }

    def metrics(self) -> str:
        """Prometheus lines added to BridgeMetrics' (same text format)."""
        lines = [
            "# TYPE lobby_bridge_web_sessions gauge",
            f"lobby_bridge_web_sessions {self.quota.in_use}",
            "# TYPE lobby_bridge_web_sessions_limit gauge",
            f"lobby_bridge_web_sessions_limit {self.quota.limits.max_sessions}",
            "# TYPE lobby_bridge_web_refused_total counter",
        ]
        lines += [f'lobby_bridge_web_refused_total{{code="{c}"}} {n}' for c, n in sorted(self.quota.refused.items())]
        lines += [
            "# TYPE lobby_bridge_origin_refused_total counter",
            f"lobby_bridge_origin_refused_total {self.origin_refusals}",
        ]
        return "\n".join(lines) + "\n"


def _address(websocket: WebSocket) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return websocket.client.host if websocket.client else "unknown"
