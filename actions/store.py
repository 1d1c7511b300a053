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

from actions.reference import new_reference
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
    created_at TEXT NOT NULL,
    checked_in_at TEXT,
    ticket_number TEXT
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
    checked_in_at: str | None = None
    ticket_number: str | None = None


_APPOINTMENT_COLUMNS = "reference, service_id, day, slot, name, checked_in_at, ticket_number"
# Columns added after the first release: an older database file gets them on start-up.
_ADDED_COLUMNS = {"appointments": (("checked_in_at", "TEXT"), ("ticket_number", "TEXT"))}


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
            for table, columns in _ADDED_COLUMNS.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column, kind in columns:
                    if column not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

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
        """Store an appointment under a fresh random reference (actions/reference.py), read aloud and checked in."""
        for _ in range(20):
            reference = new_reference()
            try:
                with self._connect() as db:
                    db.execute(
                        "INSERT INTO appointments (reference, conversation_id, service_id, day, slot, name, "
                        "created_at) VALUES (?,?,?,?,?,?,?)",
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
            except sqlite3.IntegrityError:  # that reference is taken: draw another
                continue
            return Appointment(reference, service_id, day.isoformat(), slot, name)
        raise RuntimeError("could not draw an unused appointment reference")

    def appointment(self, reference: str) -> Appointment | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE reference = ?", (reference,)
            ).fetchone()
        return Appointment(*row) if row else None

    def check_in(
        self, reference: str, conversation_id: str, zone: str, prefix: str, now: dt.datetime
    ) -> tuple[Appointment, Ticket] | None:
        """Turn an appointment into a queue ticket for its zone, once: a second check-in returns the same ticket.

        One transaction, so two kiosks scanning the same confirmation at once cannot issue two tickets.
        None if the reference is unknown.
        """
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE reference = ?", (reference,)
            ).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                return None
            appointment = Appointment(*row)
            if appointment.ticket_number:
                ticket_row = db.execute(
                    "SELECT number, service_id, zone, issued_at FROM tickets WHERE number = ? AND day = ? "
                    "ORDER BY id DESC LIMIT 1",
                    (appointment.ticket_number, appointment.day),
                ).fetchone()
                db.execute("COMMIT")
                if ticket_row:
                    return appointment, Ticket(*ticket_row)
                return appointment, Ticket(appointment.ticket_number, appointment.service_id, zone, "")
            day = now.date().isoformat()
            (count,) = db.execute("SELECT COUNT(*) FROM tickets WHERE zone = ? AND day = ?", (zone, day)).fetchone()
            number = f"{prefix}{count + 1:03d}"
            issued_at = now.isoformat(timespec="seconds")
            db.execute(
                "INSERT INTO tickets (conversation_id, service_id, zone, number, day, issued_at) VALUES (?,?,?,?,?,?)",
                (conversation_id, appointment.service_id, zone, number, day, issued_at),
            )
            db.execute(
                "UPDATE appointments SET checked_in_at = ?, ticket_number = ? WHERE reference = ?",
                (issued_at, number, reference),
            )
            db.execute("COMMIT")
        checked = Appointment(*row[:5], issued_at, number)  # type: ignore[misc]
        return checked, Ticket(number, appointment.service_id, zone, issued_at)

    def appointments_for(self, conversation_id: str) -> list[Appointment]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE conversation_id = ? ORDER BY id",
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
