"""Seed real databases for retention and erasure tests: Rasa's own tracker store writes the tracker file.

The tracker rows are written by nlu.masked_tracker_store running in Rasa's environment (a subprocess, as
Rasa runs in production), so the tests delete from exactly the tables and columns Rasa creates.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from testkit.dialogue import ROOT, VENVS

# Runs inside Rasa's Python: one conversation per (sender, unix time, user text, bot text, name) given as JSON.
_WRITE = """
import asyncio, json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from nlu.masked_tracker_store import MaskedSQLTrackerStore

async def main(db, conversations):
    store = MaskedSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=db)
    for sender, at, said, answered, name in conversations:
        events = [
            ActionExecuted("action_listen", timestamp=at),
            UserUttered(said, {"name": "inform", "confidence": 0.9}, timestamp=at + 1),
            SlotSet("appt_name", name, timestamp=at + 2),
            BotUttered(answered, timestamp=at + 3),
        ]
        await store.save(DialogueStateTracker.from_events(sender, events))

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
"""


def write_tracker(db: Path, conversations: list[tuple[str, float, str, str, str]]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    env["RASA_TELEMETRY_ENABLED"] = "false"
    subprocess.run(
        [str(VENVS / "rasa" / "bin" / "python"), "-c", _WRITE, str(db), json.dumps(conversations)],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )


def write_recording(folder: Path, day: str, session: str, turn: int = 1) -> Path:
    """A kept utterance laid out as avatar_bridge/recordings.py lays them out (day folder, wav + json)."""
    stem = folder / day / f"{session}-{turn:03d}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".wav").write_bytes(b"RIFF")
    stem.with_suffix(".json").write_text(json.dumps({"session_id": session, "transcript": "..."}))
    return stem.with_suffix(".wav")
