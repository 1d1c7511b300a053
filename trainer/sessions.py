"""Server-side sign-in sessions: what makes a browser "signed in" lives in the trainer's database,
so signing out, an admin's revocation, disabling a user or changing their password ends it at once.

The browser holds only a random session id (256 bits from `secrets`); the database holds its SHA-256.
A session ends when idle for `idle_minutes`, `absolute_hours` after sign-in whatever happens, when
revoked, or when the user signs in on more than `max_sessions` browsers (the oldest is signed out:
a trainer who forgot to sign out in the office can still sign in from home, and the forgotten
session is the one that goes).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from trainer.account_tables import sessions
from trainer.policy import AccountPolicy
from trainer.state import State

TOUCH_EVERY = 10.0  # seconds: last_seen is written at most this often (the job page polls every second)


@dataclass
class SessionInfo:
    id: int
    username: str
    created_at: float
    last_seen: float
    ip: str
    user_agent: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(state: State, username: str, policy: AccountPolicy, ip: str = "", user_agent: str = "") -> str:
    """A new session for `username`; returns the id to hand to the browser (never stored as is).

    Past the concurrent-session limit the user's oldest sessions are revoked (and audited).
    """
    token = secrets.token_urlsafe(32)
    now = time.time()
    with state.engine.begin() as conn:
        conn.execute(
            insert(sessions).values(
                token_hash=digest(token),
                username=username,
                created_at=now,
                last_seen=now,
                ip=ip[:64],
                user_agent=user_agent[:200],
            )
        )
        ids = conn.execute(
            select(sessions.c.id).where(sessions.c.username == username).order_by(sessions.c.id.desc())
        ).scalars()
        surplus = list(ids)[policy.max_sessions :]
        if surplus:
            conn.execute(delete(sessions).where(sessions.c.id.in_(surplus)))
    if surplus:
        state.log(username, "sessions_over_limit_revoked", sessions=surplus, limit=policy.max_sessions)
    return token


def lookup(state: State, token: str, policy: AccountPolicy) -> str | None:
    """The user name the session belongs to, or None if it is unknown, revoked or timed out.

    A timed-out session is deleted here, so it cannot come back if the clock is changed.
    """
    if not token:
        return None
    now = time.time()
    with state.engine.begin() as conn:
        row = conn.execute(select(sessions).where(sessions.c.token_hash == digest(token))).mappings().first()
        if row is None:
            return None
        if now - row["last_seen"] > policy.idle_seconds or now - row["created_at"] > policy.absolute_seconds:
            conn.execute(delete(sessions).where(sessions.c.id == row["id"]))
            return None
        if now - row["last_seen"] > TOUCH_EVERY:
            conn.execute(update(sessions).where(sessions.c.id == row["id"]).values(last_seen=now))
    return row["username"]


def end(state: State, token: str) -> None:
    """Sign-out: the session is deleted, so a copy of the cookie is worthless from now on."""
    with state.engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == digest(token)))


def revoke(state: State, session_id: int) -> str | None:
    """Revoke one session by its listed id; returns whose it was (None if there was none)."""
    with state.engine.begin() as conn:
        owner = conn.execute(select(sessions.c.username).where(sessions.c.id == session_id)).scalar()
        conn.execute(delete(sessions).where(sessions.c.id == session_id))
    return owner


def revoke_user(state: State, username: str) -> int:
    """Revoke every session of `username`; returns how many there were."""
    with state.engine.begin() as conn:
        return conn.execute(delete(sessions).where(sessions.c.username == username)).rowcount


def active(state: State, policy: AccountPolicy, username: str | None = None) -> list[SessionInfo]:
    """Sessions still valid now (expired ones are purged first), newest first."""
    now = time.time()
    with state.engine.begin() as conn:
        conn.execute(
            delete(sessions).where(
                (sessions.c.last_seen < now - policy.idle_seconds)
                | (sessions.c.created_at < now - policy.absolute_seconds)
            )
        )
        query = select(sessions).order_by(sessions.c.id.desc())
        if username:
            query = query.where(sessions.c.username == username)
        rows = conn.execute(query).mappings().all()
    return [
        SessionInfo(r["id"], r["username"], r["created_at"], r["last_seen"], r["ip"], r["user_agent"]) for r in rows
    ]


def revoke_others(state: State, username: str, keep_token: str) -> int:
    """Sign the user out everywhere but the browser holding `keep_token`; returns how many sessions ended."""
    with state.engine.begin() as conn:
        return conn.execute(
            delete(sessions).where((sessions.c.username == username) & (sessions.c.token_hash != digest(keep_token)))
        ).rowcount


def session_hash(state: State, session_id: int) -> str | None:
    """The stored digest of a listed session (to mark "this browser" in a list; never the id itself)."""
    with state.engine.connect() as conn:
        return conn.execute(select(sessions.c.token_hash).where(sessions.c.id == session_id)).scalar()
