"""Persistence for what the guide hands out: queue tickets, appointments, handoffs.

One SQLAlchemy Core store for two engines. By default a SQLite file (LOBBY_ACTIONS_DB), so a ticket
issued before a restart is still reported afterwards; with LOBBY_ACTIONS_DB_URL naming PostgreSQL,
several action servers share one database (docs/ARCHITECTURE.md, "Scaling out").

Ticket numbers are unique and gap-free per zone and day even when several action servers issue them
at once: the next number comes from an atomic upsert on a per-(zone, day) counter row, in the same
transaction as the ticket itself (a row lock in PostgreSQL, the database lock in SQLite), never from a
read-then-write count.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from actions.settings import settings
from booking_reference import new_reference

_LOG = logging.getLogger(__name__)

_META = sa.MetaData()
TICKETS = sa.Table(
    "tickets",
    _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.Text, nullable=False),
    sa.Column("service_id", sa.Text, nullable=False),
    sa.Column("zone", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("day", sa.Text, nullable=False),
    sa.Column("issued_at", sa.Text, nullable=False),
    sa.Index("tickets_conversation", "conversation_id", "day"),
)
# The last number issued per zone and day: the one row writers contend for, so numbering is serialised
# exactly where it must be and nowhere else.
COUNTERS = sa.Table(
    "ticket_counters",
    _META,
    sa.Column("zone", sa.Text, primary_key=True),
    sa.Column("day", sa.Text, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)
APPOINTMENTS = sa.Table(
    "appointments",
    _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.Text, nullable=False, unique=True),
    sa.Column("conversation_id", sa.Text, nullable=False),
    sa.Column("service_id", sa.Text, nullable=False),
    sa.Column("day", sa.Text, nullable=False),
    sa.Column("slot", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("checked_in_at", sa.Text),
    sa.Column("ticket_number", sa.Text),
)
HANDOFFS = sa.Table(
    "handoffs",
    _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.Text, nullable=False),
    sa.Column("service_id", sa.Text),
    sa.Column("kiosk_id", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
)
# Personal values a form needs later (the appointment name): the tracker store writes them masked
# (nlu/masked_tracker_store.py), so the real value is kept here, per conversation and slot, and deleted
# with the conversation (privacy/erasure.py) or when it is older than the retention period.
PERSONAL = sa.Table(
    "personal_values",
    _META,
    sa.Column("conversation_id", sa.Text, primary_key=True),
    sa.Column("slot", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
# Columns added after the first release: an older database gets them on start-up.
_ADDED_COLUMNS = {"appointments": (("checked_in_at", "TEXT"), ("ticket_number", "TEXT"))}


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


_APPOINTMENT_COLUMNS = (
    APPOINTMENTS.c.reference,
    APPOINTMENTS.c.service_id,
    APPOINTMENTS.c.day,
    APPOINTMENTS.c.slot,
    APPOINTMENTS.c.name,
    APPOINTMENTS.c.checked_in_at,
    APPOINTMENTS.c.ticket_number,
)
_TICKET_COLUMNS = (TICKETS.c.number, TICKETS.c.service_id, TICKETS.c.zone, TICKETS.c.issued_at)


@lru_cache(maxsize=4)
def store(where: str | None = None) -> Store:
    """The store for a database (file path or URL), created (and its schema checked) once per process."""
    return Store(where)


def default_location() -> str | Path:
    s = settings()
    return s.actions_db_url or s.actions_db


def _engine(where: str | Path) -> Engine:
    """SQLite for a path, anything SQLAlchemy knows for a URL (postgresql+psycopg://...)."""
    if isinstance(where, str) and "://" in where:
        url = sa.make_url(where)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 10})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        # The driver's own transaction handling off, so "begin" below can take the write lock up front:
        # a transaction that reads and then writes (check-in) must not fail on a lock upgrade.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:  # pragma: no cover - driver hook
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    def __init__(self, where: str | Path | None = None):
        self.where = where if where is not None else default_location()
        self.engine = _engine(self.where)
        self.dialect = self.engine.dialect.name
        with self.engine.begin() as db:
            if self.dialect == "postgresql":  # several action servers starting at once: one creates the schema
                db.exec_driver_sql("SELECT pg_advisory_xact_lock(7412)")
            _META.create_all(db)
            inspector = sa.inspect(db)
            for table, columns in _ADDED_COLUMNS.items():
                have = {c["name"] for c in inspector.get_columns(table)}
                for column, kind in columns:
                    if column not in have:
                        db.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        _LOG.info("actions store on %s (%s)", self.dialect, self.engine.url.render_as_string(hide_password=True))

    def _next_number(self, db: Connection, zone: str, day: str) -> int:
        """Take the next ticket number of a zone's day inside the caller's transaction.

        A database that already has tickets of the day from before the counter existed starts after them.
        """
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        already = (
            sa.select(sa.func.count()).select_from(TICKETS).where(TICKETS.c.zone == zone, TICKETS.c.day == day)
        ).scalar_subquery()
        statement = (
            insert(COUNTERS)
            .values(zone=zone, day=day, last=already + 1)
            .on_conflict_do_update(index_elements=[COUNTERS.c.zone, COUNTERS.c.day], set_={"last": COUNTERS.c.last + 1})
            .returning(COUNTERS.c.last)
        )
        return int(db.execute(statement).scalar_one())

    def _insert_ticket(
        self, db: Connection, conversation_id: str, service_id: str, zone: str, prefix: str, now: dt.datetime
    ) -> Ticket:
        day = now.date().isoformat()
        number = f"{prefix}{self._next_number(db, zone, day):03d}"
        issued_at = now.isoformat(timespec="seconds")
        db.execute(
            TICKETS.insert().values(
                conversation_id=conversation_id,
                service_id=service_id,
                zone=zone,
                number=number,
                day=day,
                issued_at=issued_at,
            )
        )
        return Ticket(number, service_id, zone, issued_at)

    def issue_ticket(self, conversation_id: str, service_id: str, zone: str, prefix: str, now: dt.datetime) -> Ticket:
        with self.engine.begin() as db:
            return self._insert_ticket(db, conversation_id, service_id, zone, prefix, now)

    def ticket_for(self, conversation_id: str, service_id: str, day: dt.date) -> Ticket | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(*_TICKET_COLUMNS)
                .where(
                    TICKETS.c.conversation_id == conversation_id,
                    TICKETS.c.service_id == service_id,
                    TICKETS.c.day == day.isoformat(),
                )
                .order_by(TICKETS.c.id.desc())
                .limit(1)
            ).first()
        return Ticket(*row) if row else None

    def book(
        self, conversation_id: str, service_id: str, day: dt.date, slot: str, name: str, now: dt.datetime
    ) -> Appointment:
        """Store an appointment under a fresh random reference (booking_reference/), read aloud and checked in."""
        for _ in range(20):
            reference = new_reference()
            try:
                with self.engine.begin() as db:
                    db.execute(
                        APPOINTMENTS.insert().values(
                            reference=reference,
                            conversation_id=conversation_id,
                            service_id=service_id,
                            day=day.isoformat(),
                            slot=slot,
                            name=name,
                            created_at=now.isoformat(timespec="seconds"),
                        )
                    )
            except sa.exc.IntegrityError:  # that reference is taken: draw another
                continue
            return Appointment(reference, service_id, day.isoformat(), slot, name)
        raise RuntimeError("could not draw an unused appointment reference")

    def appointment(self, reference: str) -> Appointment | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(*_APPOINTMENT_COLUMNS).where(APPOINTMENTS.c.reference == reference)).first()
        return Appointment(*row) if row else None

    def check_in(
        self, reference: str, conversation_id: str, zone: str, prefix: str, now: dt.datetime
    ) -> tuple[Appointment, Ticket] | None:
        """Turn an appointment into a queue ticket for its zone, once: a second check-in returns the same ticket.

        One transaction holding the appointment's row (FOR UPDATE in PostgreSQL, the write lock in SQLite), so
        two kiosks scanning the same confirmation at once cannot issue two tickets. None if the reference is unknown.
        """
        with self.engine.begin() as db:
            row = db.execute(
                sa.select(*_APPOINTMENT_COLUMNS).where(APPOINTMENTS.c.reference == reference).with_for_update()
            ).first()
            if row is None:
                return None
            appointment = Appointment(*row)
            if appointment.ticket_number:
                ticket_row = db.execute(
                    sa.select(*_TICKET_COLUMNS)
                    .where(TICKETS.c.number == appointment.ticket_number, TICKETS.c.day == appointment.day)
                    .order_by(TICKETS.c.id.desc())
                    .limit(1)
                ).first()
                if ticket_row:
                    return appointment, Ticket(*ticket_row)
                return appointment, Ticket(appointment.ticket_number, appointment.service_id, zone, "")
            ticket = self._insert_ticket(db, conversation_id, appointment.service_id, zone, prefix, now)
            db.execute(
                APPOINTMENTS.update()
                .where(APPOINTMENTS.c.reference == reference)
                .values(checked_in_at=ticket.issued_at, ticket_number=ticket.number)
            )
        checked = Appointment(*tuple(row)[:5], ticket.issued_at, ticket.number)
        return checked, ticket

    def appointments_for(self, conversation_id: str) -> list[Appointment]:
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(*_APPOINTMENT_COLUMNS)
                .where(APPOINTMENTS.c.conversation_id == conversation_id)
                .order_by(APPOINTMENTS.c.id)
            ).all()
        return [Appointment(*r) for r in rows]

    def record_handoff(
        self, conversation_id: str, service_id: str | None, kiosk_id: str | None, reason: str, now: dt.datetime
    ) -> int:
        with self.engine.begin() as db:
            result = db.execute(
                HANDOFFS.insert()
                .values(
                    conversation_id=conversation_id,
                    service_id=service_id,
                    kiosk_id=kiosk_id,
                    reason=reason,
                    created_at=now.isoformat(timespec="seconds"),
                )
                .returning(HANDOFFS.c.id)
            )
            return int(result.scalar_one())

    def remember(self, conversation_id: str, slot: str, value: str, now: dt.datetime) -> None:
        """Keep the real value of a slot the tracker store masks; a later value replaces it."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        created_at = now.isoformat(timespec="seconds")
        with self.engine.begin() as db:
            db.execute(
                insert(PERSONAL)
                .values(conversation_id=conversation_id, slot=slot, value=value, created_at=created_at)
                .on_conflict_do_update(
                    index_elements=[PERSONAL.c.conversation_id, PERSONAL.c.slot],
                    set_={"value": value, "created_at": created_at},
                )
            )

    def recall(self, conversation_id: str, slot: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(
                sa.select(PERSONAL.c.value).where(
                    PERSONAL.c.conversation_id == conversation_id, PERSONAL.c.slot == slot
                )
            ).scalar()

    def handoffs_for(self, conversation_id: str) -> list[tuple[str | None, str | None, str]]:
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(HANDOFFS.c.service_id, HANDOFFS.c.kiosk_id, HANDOFFS.c.reason)
                .where(HANDOFFS.c.conversation_id == conversation_id)
                .order_by(HANDOFFS.c.id)
            ).all()
        return [tuple(r) for r in rows]
