"""The bridge's administrator endpoints: end one citizen's conversation, or all of them (OWASP ASVS 5.0 7.4.5).

A conversation is ended for good: its id is marked ended in the session registry (this process, or Redis
shared by the bridges), so no bridge resumes it, and a connection on this bridge that holds it gets
`error ended_by_admin` and is closed with code 4002 (docs/protocol.md). The bundled clients then start a
fresh conversation, so the kiosk is ready for the next citizen.

  POST /admin/sessions/{session_id}/end     -> {"ended": true, "closed_here": bool}
  POST /admin/sessions/end-all[?kind=web|kiosk] -> {"sessions_ended": n, "connections_closed": n, "kind": ...}

The routes exist only when an admin token is configured (`--admin-token-file` / LOBBY_BRIDGE_ADMIN_TOKEN_FILE,
or LOBBY_BRIDGE_ADMIN_TOKEN); without one they answer 404, so a bridge nobody administers offers nothing to
guess at. The token is a bearer token (`Authorization: Bearer …`), compared in constant time; a missing or
wrong one is 401, logged with the client's address (never the token) and counted in /metrics. Every action
is logged at WARNING as an audit line. Whether an id was ever issued cannot be known across bridges, so any
well-formed id is "ended"; a malformed one is 422. `python -m avatar_bridge.admin` is the command line.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from avatar_bridge.config import BridgeConfig, ConfigError
from avatar_bridge.protocol import error
from avatar_bridge.sessions import ID_HEX, LiveConnection, LiveConnections, RegistryUnavailable, SessionBook
from avatar_bridge.watched_file import WatchedFile

_LOG = logging.getLogger(__name__)

ENDED_BY_ADMIN = "ended_by_admin"
ADMIN_CLOSE_CODE = 4002  # application close code (RFC 6455 4000-4999); 4001 is bad_token
MIN_TOKEN_CHARS = 16  # as the kiosk secrets: a short token could be guessed
SESSION_ID = re.compile(rf"[0-9a-f]{{{ID_HEX}}}")  # the format SessionBook.issue gives (not changed here)
KINDS = ("web", "kiosk")
WHO = "bridge admin token"  # the audit line's actor: there is one admin credential, not named accounts
ENDED_TEXT = "this conversation was ended by the service hall's staff"


class AdminTokenError(ConfigError):
    """The admin token cannot be read or is too weak: the bridge refuses to start rather than run open."""


def read_token_file(path: Path) -> str:
    """The token in `path` (one line; surrounding whitespace ignored). The bridge and the CLI read it alike."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminTokenError(f"cannot read admin token file {path}: {exc}") from None
    return check_token(token, str(path))


def check_token(token: str, source: str) -> str:
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise AdminTokenError(f"{source}: the admin token must be one word of at least {MIN_TOKEN_CHARS} characters")
    return token


@dataclass
class AdminToken:
    """The administrators' bearer token: given as is, or in a file re-read when it changes (rotation without a
    restart, as the kiosk secrets)."""

    value: str | None = None
    path: Path | None = None
    _file: WatchedFile[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            self._file = WatchedFile(self.path, read_token_file, "admin token file", AdminTokenError)

    @classmethod
    def from_config(cls, config: BridgeConfig) -> AdminToken | None:
        """None when no token is configured (then the admin routes do not exist); checked now, so a broken
        token file stops the start."""
        if config.admin_token_file and config.admin_token:
            raise AdminTokenError("give the admin token once: --admin-token-file or LOBBY_BRIDGE_ADMIN_TOKEN, not both")
        if config.admin_token_file:
            token = cls(path=Path(config.admin_token_file))
            token.current()
            return token
        if config.admin_token:
            return cls(value=check_token(config.admin_token, "LOBBY_BRIDGE_ADMIN_TOKEN"))
        return None

    def current(self) -> str:
        return self._file.current() if self._file is not None else self.value or ""

    def matches(self, authorization: str | None) -> bool:
        """Whether `Authorization: Bearer <token>` carries the token (constant-time comparison)."""
        scheme, _, offered = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(offered.strip().encode(), self.current().encode())


@dataclass
class AdminDesk:
    """The admin actions on this bridge's conversations, with their audit lines and counters."""

    token: AdminToken
    connections: LiveConnections
    book: SessionBook
    error: Callable[[str, str], dict] = error  # makes (and counts) the `error` message, frames.Errors.message
    refused: int = 0
    actions: Counter[str] = field(default_factory=Counter)

    def refusal(self, request: Request) -> JSONResponse | None:
        """401 (logged with the address, counted) unless the request carries the admin token."""
        try:
            if self.token.matches(request.headers.get("authorization")):
                return None
        except AdminTokenError as exc:  # the file went missing or bad after start-up: nobody gets in
            _LOG.error("%s", exc)
            return JSONResponse({"detail": "the admin token cannot be read on this bridge"}, status_code=503)
        self.refused += 1
        why = "wrong token" if request.headers.get("authorization") else "no token"
        _LOG.warning(
            "admin request %s %s from %s refused (401): %s", request.method, request.url.path, _address(request), why
        )
        return JSONResponse(
            {"detail": "a valid admin bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _mark_ended(self, session_id: str) -> bool:
        try:
            self.book.registry.mark_ended(session_id)
        except RegistryUnavailable:
            return False  # logged by the registry
        return True

    async def _close(self, connections: list[LiveConnection]) -> None:
        """All at once: a client that reads slowly (its send may wait up to --send-timeout) delays no other."""
        for connection in connections:
            connection.ended = True
        await asyncio.gather(*(c.close(ADMIN_CLOSE_CODE, self.error(ENDED_BY_ADMIN, ENDED_TEXT)) for c in connections))

    async def end(self, session_id: str, address: str) -> JSONResponse:
        if not SESSION_ID.fullmatch(session_id):
            return JSONResponse({"detail": f"not a session id ({ID_HEX} lowercase hex digits)"}, status_code=422)
        held = self.connections.holding(session_id)
        marked = self._mark_ended(session_id)  # first: a client reconnecting after the close cannot resume it
        await self._close(held)
        self.actions["end"] += 1
        _LOG.warning(
            "admin audit: who=%r from=%s action=end session=%s connections_closed=%d registry=%s",
            WHO,
            address,
            session_id,
            len(held),
            "ok" if marked else "unavailable",
        )
        body = {"ended": marked, "closed_here": bool(held)}
        if not marked:
            body["detail"] = "the session registry is not answering; the conversation may still be resumed"
        return JSONResponse(body, status_code=200 if marked else 503)

    async def end_all(self, kind: str | None, address: str) -> JSONResponse:
        if kind is not None and kind not in KINDS:
            return JSONResponse({"detail": f"kind must be one of {', '.join(KINDS)}"}, status_code=422)
        live, left = self.connections.conversations(kind)
        ids = {c.state.session_id for c in live} | set(left)
        failed = sum(not self._mark_ended(session_id) for session_id in ids)
        self.connections.forget(ids)
        await self._close(live)
        self.actions["end_all"] += 1
        _LOG.warning(
            "admin audit: who=%r from=%s action=end-all kind=%s sessions_ended=%d connections_closed=%d "
            "registry_failures=%d",
            WHO,
            address,
            kind or "all",
            len(ids) - failed,
            len(live),
            failed,
        )
        body = {"sessions_ended": len(ids) - failed, "connections_closed": len(live), "kind": kind}
        if failed:
            body["detail"] = f"the session registry did not record {failed} of them; they may still be resumed"
        return JSONResponse(body, status_code=503 if failed else 200)

    def metrics(self) -> str:
        """Prometheus lines added to the bridge's /metrics (same text format)."""
        lines = [
            "# TYPE lobby_bridge_admin_refused_total counter",
            f"lobby_bridge_admin_refused_total {self.refused}",
            "# TYPE lobby_bridge_admin_actions_total counter",
        ]
        lines += [f'lobby_bridge_admin_actions_total{{action="{a}"}} {self.actions[a]}' for a in ("end", "end_all")]
        return "\n".join(lines) + "\n"


def mount_admin(
    app: FastAPI,
    config: BridgeConfig,
    connections: LiveConnections,
    book: SessionBook,
    error: Callable[[str, str], dict] = error,
) -> AdminDesk | None:
    """Add the admin routes when an admin token is configured; None (and no routes: 404) otherwise."""
    token = AdminToken.from_config(config)
    if token is None:
        return None
    desk = AdminDesk(token, connections, book, error)

    @app.post("/admin/sessions/end-all", include_in_schema=False)
    async def end_all(request: Request, kind: str | None = None):
        return desk.refusal(request) or await desk.end_all(kind, _address(request))

    @app.post("/admin/sessions/{session_id}/end", include_in_schema=False)
    async def end(request: Request, session_id: str):
        return desk.refusal(request) or await desk.end(session_id, _address(request))

    _LOG.info("admin routes enabled (/admin/sessions/...; docs/security.md)")
    return desk


def _address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else "unknown"
