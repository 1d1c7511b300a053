"""The trainer's own database: accounts, audit log, review marks, jobs, activations and the inbox index.

It is kept apart from Rasa's tracker store (which the trainer only reads) in a SQLite file under
the state directory. The inbox index holds one row per conversation and per user message, already
masked, so the inbox stays fast with tens of thousands of conversations and never stores raw
personal data twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Engine

from trainer.audit import checked_details, current_origin

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("user", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("details", Text, nullable=False),
    Column("origin", String(128)),  # "web <address>", "cli <shell user>@<host>" (added by `_upgrade`)
)

reviewed = Table(
    "reviewed",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("by", String(64), nullable=False),
    Column("at", Float, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("user", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued, running, succeeded, failed
    Column("step", String(64), nullable=False, default=""),
    Column("progress", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("result", Text, nullable=False, default="{}"),
)

activations = Table(
    "activations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("user", String(64), nullable=False),
    Column("model", String(255), nullable=False),
    Column("previous", String(255)),
    Column("kind", String(16), nullable=False),  # activate, rollback
    Column("override_reason", Text),
)

conv_index = Table(
    "conv_index",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("first_ts", Float, index=True),
    Column("last_ts", Float, index=True),
    Column("channel", String(16), index=True),
    Column("kiosk_id", String(64), index=True),
    Column("turns", Integer, nullable=False, default=0),
    Column("min_conf", Float, index=True),
    Column("fallback", Boolean, nullable=False, default=False),
    Column("handoff", Boolean, nullable=False, default=False),
    Column("snippet", Text, nullable=False, default=""),
    Column("requested_slot", String(64)),
    # The languages its messages were in ("en", "zh" or "en zh"), and the one the client last asked for in
    # the metadata (what a payload or a bare "C03" is filed under; trainer/language.py).
    Column("languages", String(32), nullable=False, default=""),
    Column("session_language", String(8)),
)

msg_index = Table(
    "msg_index",
    metadata,
    Column("event_id", Integer, primary_key=True),
    Column("sender_id", String(255), index=True, nullable=False),
    Column("ts", Float),
    Column("text", Text, nullable=False),
    Column("intent", String(128), index=True),
    Column("confidence", Float),
    Column("language", String(8), index=True),
)

index_meta = Table(
    "index_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _drop_stale_index(engine: Engine) -> None:
    """Drop an inbox index written by an older trainer (without the language columns) so it is rebuilt.

    The index is derived from the tracker store, so rebuilding loses nothing; `create_all` alone would keep
    the old tables and every query naming a new column would fail.
    """
    tables = inspect(engine).get_table_names()
    if "msg_index" not in tables:
        return
    if "language" in {c["name"] for c in inspect(engine).get_columns("msg_index")}:
        return
    with engine.begin() as conn:
        for table in (msg_index, conv_index, index_meta):
            table.drop(conn, checkfirst=True)


_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


def _upgrade(engine: Engine) -> None:
    """Bring a database made by an older trainer up to date: columns added since, and the audit log's
    append-only triggers (SQLite refuses any UPDATE or DELETE of an audit row from then on)."""
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            have = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")')}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(engine.dialect)
                    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
        for statement in _APPEND_ONLY:
            conn.exec_driver_sql(statement)


@dataclass
class State:
    engine: Engine

    @classmethod
    def open(cls, url: str) -> State:
        engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        _drop_stale_index(engine)
        from trainer import account_tables  # noqa: F401  (registers the account-security tables)

        metadata.create_all(engine)
        if url.startswith("sqlite"):
            _upgrade(engine)
        return cls(engine)

    def log(self, user: str, action: str, **details: Any) -> None:
        """Append to the audit log: who did what, when, and from where (never a password or token)."""
        row = {"at": time.time(), "user": user, "action": action, "details": json.dumps(checked_details(details))}
        with self.engine.begin() as conn:
            conn.execute(insert(audit).values(**row, origin=current_origin()))

    def audit_entries(self, limit: int = 200) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings().all()
        return [{**r, "details": json.loads(r["details"])} for r in rows]
