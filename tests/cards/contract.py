"""Checking cards against the card contract's published JSON Schema (used by tests/conftest.py and tests/cards)."""

from __future__ import annotations

from pathlib import Path


def contract_breaches(sent: list[dict]) -> list[str]:
    """What is wrong with cards against the card contract's JSON Schema (avatar_bridge/schemas/card.json)."""
    from avatar_bridge.protocol import validator

    return [f"{card.get('topic')!r}: {error.message}" for card in sent for error in validator("card").iter_errors(card)]


def cards_in_tracker(tracker_db: Path) -> list[dict]:
    """Every card the dialogue core sent in the conversations stored in its tracker database."""
    import json
    import sqlite3

    if not tracker_db.exists():
        return []
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'bot'").fetchall()
    found = []
    for (data,) in rows:
        custom = (json.loads(data).get("data") or {}).get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            found.append(custom["data"])
    return found
