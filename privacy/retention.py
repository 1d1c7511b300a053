"""Retention: conversations, tickets, appointments, handoffs and recordings older than N days are deleted.

What the privacy notice promises is enforced by a job, not by good intentions: `python -m privacy
retention --days N` once, `python -m privacy schedule` once a day (scripts/run.sh starts it).

- A conversation goes when its *last* event is older than the cutoff: all of it, never half (Rasa
  counts stored events to know which are new, and a trainer reads whole conversations).
- Tickets and handoffs by the time they were made; appointments only when both made and due before the
  cutoff, so a booking for next week is never lost; the values forms keep (personal_values) by age.
- Recordings: whole day folders before the cutoff day (the bridge purges its own by its own period too).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from privacy.stores import Stores, forget_in_trainer, tables

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deleted:
    """How many of each kind went (or would go, in a dry run). Counts only: never what they held."""

    conversations: int = 0
    events: int = 0
    tickets: int = 0
    appointments: int = 0
    handoffs: int = 0
    personal_values: int = 0
    recordings: int = 0
    trainer_index: int = 0  # conversations the trainer's inbox listed

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in self.as_dict().items())


def _old_conversations(db: sa.Connection, cutoff: float) -> list[str]:
    rows = db.execute(
        sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"), {"cutoff": cutoff}
    )
    return [r[0] for r in rows]


def _tracker(engine: Engine, cutoff: dt.datetime, dry_run: bool) -> tuple[list[str], int]:
    if "events" not in tables(engine):
        return [], 0
    with engine.begin() as db:
        senders = _old_conversations(db, cutoff.timestamp())
        events = 0
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            where = sa.text("sender_id IN :senders").bindparams(sa.bindparam("senders", expanding=True))
            count = sa.select(sa.func.count()).select_from(sa.table("events")).where(where)
            events += db.execute(count, {"senders": chunk}).scalar_one()
            if not dry_run:
                db.execute(sa.delete(sa.table("events")).where(where), {"senders": chunk})
    return senders, events


# table -> the condition that makes a row old (ISO strings compare in time order)
_ACTION_RULES = {
    "tickets": "issued_at < :cutoff",
    "appointments": "created_at < :cutoff AND day < :cutoff_day",
    "handoffs": "created_at < :cutoff",
    "personal_values": "created_at < :cutoff",
    "ticket_counters": "day < :cutoff_day",
}


def _actions(engine: Engine, cutoff: dt.datetime, dry_run: bool) -> dict[str, int]:
    present = tables(engine)
    params = {"cutoff": cutoff.isoformat(timespec="seconds"), "cutoff_day": cutoff.date().isoformat()}
    counts = {}
    with engine.begin() as db:
        for table, condition in _ACTION_RULES.items():
            if table not in present:
                continue
            counts[table] = db.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE {condition}"), params).scalar_one()
            if not dry_run:
                db.execute(sa.text(f"DELETE FROM {table} WHERE {condition}"), params)
    return counts


def _recordings(folder: Path | None, cutoff: dt.date, dry_run: bool) -> int:
    if folder is None or not folder.is_dir():
        return 0
    removed = 0
    for day in folder.iterdir():
        try:
            date = dt.date.fromisoformat(day.name)
        except ValueError:
            continue
        if day.is_dir() and date < cutoff:
            removed += sum(1 for f in day.iterdir() if f.suffix == ".wav")
            if not dry_run:
                shutil.rmtree(day)
    return removed


def apply_retention(stores: Stores, days: int, now: dt.datetime | None = None, dry_run: bool = False) -> Deleted:
    """Delete everything older than `days` (local time, as the action server stamps its rows); returns counts."""
    if days < 1:
        raise ValueError("the retention period must be at least 1 day")
    cutoff = (now or dt.datetime.now()) - dt.timedelta(days=days)
    senders: list[str] = []
    events = 0
    if (tracker := stores.tracker_engine()) is not None:
        senders, events = _tracker(tracker, cutoff, dry_run)
        tracker.dispose()
    counts: dict[str, int] = {}
    if (actions := stores.actions_engine()) is not None:
        counts = _actions(actions, cutoff, dry_run)
        actions.dispose()
    deleted = Deleted(
        conversations=len(senders),
        events=events,
        tickets=counts.get("tickets", 0),
        appointments=counts.get("appointments", 0),
        handoffs=counts.get("handoffs", 0),
        personal_values=counts.get("personal_values", 0),
        recordings=_recordings(stores.recordings, cutoff.date(), dry_run),
        trainer_index=forget_in_trainer(stores, senders, dry_run),
    )
    _LOG.info("retention (%d days%s): %s", days, ", dry run" if dry_run else "", deleted.summary())
    return deleted
