"""Erasure of one conversation by its session (sender) id: a citizen's right, an admin's audited act.

Deletes the conversation's tracker events, the tickets, appointments and handoffs it made, the values
its forms kept, and its recordings. Who may do it is decided in privacy/admin.py; every erasure (and
every refused attempt) is written to the trainer's audit log with who, when, which id and the counts.
"""

from __future__ import annotations

import sqlalchemy as sa

from privacy.retention import Deleted
from privacy.stores import Stores, forget_in_trainer, recording_files, tables

_BY_CONVERSATION = ("tickets", "appointments", "handoffs", "personal_values")


def _delete(db: sa.Connection, table: str, column: str, value: str, dry_run: bool) -> int:
    count = db.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :v"), {"v": value}).scalar_one()
    if count and not dry_run:
        db.execute(sa.text(f"DELETE FROM {table} WHERE {column} = :v"), {"v": value})
    return int(count)


def erase_conversation(stores: Stores, sender_id: str, dry_run: bool = False) -> Deleted:
    """Delete everything kept about one conversation; returns how many of each kind went."""
    if not sender_id or not sender_id.strip():
        raise ValueError("say which conversation: a session (sender) id")
    events = 0
    if (tracker := stores.tracker_engine()) is not None:
        if "events" in tables(tracker):
            with tracker.begin() as db:
                events = _delete(db, "events", "sender_id", sender_id, dry_run)
        tracker.dispose()
    counts: dict[str, int] = {}
    if (actions := stores.actions_engine()) is not None:
        present = tables(actions)
        with actions.begin() as db:
            for table in _BY_CONVERSATION:
                if table in present:
                    counts[table] = _delete(db, table, "conversation_id", sender_id, dry_run)
        actions.dispose()
    files = recording_files(stores.recordings, sender_id)
    if not dry_run:
        for file in files:
            file.unlink(missing_ok=True)
    return Deleted(
        conversations=1 if events else 0,
        events=events,
        tickets=counts.get("tickets", 0),
        appointments=counts.get("appointments", 0),
        handoffs=counts.get("handoffs", 0),
        personal_values=counts.get("personal_values", 0),
        recordings=sum(1 for f in files if f.suffix == ".wav"),
        trainer_index=forget_in_trainer(stores, [sender_id], dry_run),
    )
