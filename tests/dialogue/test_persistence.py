"""Conversations live in the SQL tracker store and survive a restart of the Rasa server."""

from __future__ import annotations

import sqlite3


def test_conversation_survives_a_server_restart(dialogue, chat, kb):
    c = chat()
    c.say("how do I apply for a passport?")
    assert c.slot("service") == "passport_travel_permit"
    with sqlite3.connect(dialogue.tracker_db) as db:
        (n,) = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (c.sender,)).fetchone()
    assert n > 0, "events are written to the SQLite tracker store"

    dialogue.restart_rasa()

    assert c.slot("service") == "passport_travel_permit"
    answer = c.text("and what does it cost?")
    assert f"{kb.services['passport_travel_permit'].fee.amount:g}" in answer
