"""Persistence for what the guide hands out: queue tickets, appointments, handoffs.

A plain SQLite file by default (LOBBY_ACTIONS_DB), so a ticket issued before a
restart is still reported afterwards. sqlite3 serialises writers itself; each
call opens its own connection so the store is safe from rasa-sdk's threads.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from actions.settings import settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    number TEXT NOT NULL,
    day TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_conversation ON tickets(conversation_id, day);
CREATE TABLE IF NOT EXISTS appointments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    service_id TEXT,
    kiosk_id TEXT,
    reason TEXT,
    created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Ticket:
    number: str
    service_id: str
    zone: str
    issued_at: str


@dataclass(frozen=True)
class Appointment:
    reference: str
    service_id: str
    day: str
    slot: str
    name: str


@lru_cache(maxsize=4)
def store(path: str | None = None) -> Store:
    """The store for a database file, created (and its schema checked) once per process."""
    return Store(path)


def default_path() -> Path:
    return settings().actions_db


class Store:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def issue_ticket(self, conversation_id: str, service_id: str, zone: str, prefix: str, now: dt.datetime) -> Ticket:
        day = now.date().isoformat()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            (count,) = db.execute("SELECT COUNT(*) FROM tickets WHERE zone = ? AND day = ?", (zone, day)).fetchone()
            number = f"{prefix}{count + 1:03d}"
            db.execute(
                "INSERT INTO tickets (conversation_id, service_id, zone, number, day, issued_at) VALUES (?,?,?,?,?,?)",
                (conversation_id, service_id, zone, number, day, now.isoformat(timespec="seconds")),
            )
            db.execute("COMMIT")
        return Ticket(number, service_id, zone, now.isoformat(timespec="seconds"))

    def ticket_for(self, conversation_id: str, service_id: str, day: dt.date) -> Ticket | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT number, service_id, zone, issued_at FROM tickets "
                "WHERE conversation_id = ? AND service_id = ? AND day = ? ORDER BY id DESC LIMIT 1",
                (conversation_id, service_id, day.isoformat()),
            ).fetchone()
        return Ticket(*row) if row else None

    def book(
        self, conversation_id: str, service_id: str, day: dt.date, slot: str, name: str, now: dt.datetime
    ) -> Appointment:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            (count,) = db.execute("SELECT COUNT(*) FROM appointments").fetchone()
            reference = f"AP{day.strftime('%m%d')}{count + 1:04d}"
            db.execute(
                "INSERT INTO appointments (reference, conversation_id, service_id, day, slot, name, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    reference,
                    conversation_id,
                    service_id,
                    day.isoformat(),
                    slot,
                    name,
                    now.isoformat(timespec="seconds"),
                ),
            )
            db.execute("COMMIT")
        return Appointment(reference, service_id, day.isoformat(), slot, name)

    def appointments_for(self, conversation_id: str) -> list[Appointment]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT reference, service_id, day, slot, name FROM appointments WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [Appointment(*r) for r in rows]

    def record_handoff(
        self, conversation_id: str, service_id: str | None, kiosk_id: str | None, reason: str, now: dt.datetime
    ) -> int:
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO handoffs (conversation_id, service_id, kiosk_id, reason, created_at) VALUES (?,?,?,?,?)",
                (conversation_id, service_id, kiosk_id, reason, now.isoformat(timespec="seconds")),
            )
            return int(cur.lastrowid or 0)

    def handoffs_for(self, conversation_id: str) -> list[tuple[str | None, str | None, str]]:
        with self._connect() as db:
            return db.execute(
                "SELECT service_id, kiosk_id, reason FROM handoffs WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
