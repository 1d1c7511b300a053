"""API tokens for scripts: issued by an admin to one account, stored as SHA-256 digests, listed,
revocable, optionally expiring. A token acts with its account's role, and stops working when the
account is disabled. The token itself is shown once, when issued, and never stored or logged.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from trainer.account_tables import api_tokens
from trainer.sessions import digest
from trainer.state import State

PREFIX = "lgt_"  # recognisable in a leaked file or a secret scanner's rules


@dataclass
class TokenInfo:
    id: int
    username: str
    label: str
    created_at: float
    created_by: str
    expires_at: float | None
    last_used: float | None
    revoked_at: float | None

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > time.time())


def issue(state: State, username: str, by: str, label: str = "", days: float | None = None) -> tuple[int, str]:
    """A new token for `username`; returns (its id, the token), the only time the token is visible."""
    token = PREFIX + secrets.token_urlsafe(32)
    now = time.time()
    with state.engine.begin() as conn:
        token_id = conn.execute(
            insert(api_tokens).values(
                token_hash=digest(token),
                username=username,
                label=label[:100],
                created_at=now,
                created_by=by,
                expires_at=now + days * 86400 if days else None,
            )
        ).inserted_primary_key[0]
    return int(token_id), token


def owner(state: State, token: str) -> str | None:
    """The account a usable token belongs to (recording its use), or None."""
    token = token.strip()
    if not token.startswith(PREFIX):
        return None
    now = time.time()
    with state.engine.begin() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest(token))).mappings().first()
        if row is None or row["revoked_at"] is not None or (row["expires_at"] and row["expires_at"] <= now):
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == row["id"]).values(last_used=now))
    return row["username"]


def revoke(state: State, token_id: int) -> str | None:
    """Revoke a token by id; returns whose it was, None if there is no such usable token."""
    with state.engine.begin() as conn:
        row = conn.execute(select(api_tokens.c.username, api_tokens.c.revoked_at).where(api_tokens.c.id == token_id))
        found = row.first()
        if found is None or found[1] is not None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=time.time()))
    return found[0]


def listing(state: State, username: str | None = None) -> list[TokenInfo]:
    query = select(api_tokens).order_by(api_tokens.c.id.desc())
    if username:
        query = query.where(api_tokens.c.username == username)
    with state.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        TokenInfo(
            r["id"],
            r["username"],
            r["label"],
            r["created_at"],
            r["created_by"],
            r["expires_at"],
            r["last_used"],
            r["revoked_at"],
        )
        for r in rows
    ]
