"""The trainer database's tables for account security: server-side sessions, API tokens, sign-in
failures and account status.

Kept out of `trainer.state` (which other work changes often) and registered on its metadata, so
`State.open` creates them with the rest. Secrets (session ids, API tokens) are stored only as
SHA-256 digests: they are 256-bit random values, so a fast digest cannot be brute-forced, and a
copy of the database does not let anyone sign in.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Integer, String, Table

from trainer.state import metadata

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # what admins see and revoke by
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("ip", String(64), nullable=False, default=""),
    Column("user_agent", String(200), nullable=False, default=""),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("username", String(64), nullable=False, index=True),
    Column("label", String(100), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("expires_at", Float),
    Column("last_used", Float),
    Column("revoked_at", Float),
)

# One row per throttled key ("user:<name>" or "ip:<address>"), known account or not, so a lock never
# tells whether a name exists.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_failure", Float, nullable=False),
    Column("locked_until", Float, nullable=False, default=0.0),
)

account_status = Table(
    "account_status",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("changed_at", Float, nullable=False),
    Column("password_changed_at", Float),
)
