"""Old conversations and what they made are deleted on schedule; one conversation is erased on request, by an admin.

Real databases: the tracker file written by the project's Rasa tracker store (in Rasa's environment), the
action store written by actions/store.py, recordings laid out as the bridge keeps them; the command line
run as an operator runs it (`python -m privacy ...`, a subprocess of the app environment).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys

import pytest

from actions.store import Store
from testkit.dialogue import ROOT
from tests.privacy.seed import write_recording, write_tracker
from trainer import auth
from trainer.state import State, conv_index, msg_index, reviewed

NOW = dt.datetime.now().replace(microsecond=0)
OLD = NOW - dt.timedelta(days=40)
RECENT = NOW - dt.timedelta(days=2)


def privacy_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "privacy", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def rows(db, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def tracker_template(tmp_path_factory):
    """Three conversations written by the masked tracker store: one 40 days old, one recent, one to erase."""
    db = tmp_path_factory.mktemp("tracker") / "tracker.db"
    write_tracker(
        db,
        [
            ("old-1", OLD.timestamp(), "my phone is 13812345678", "Booked under the name Wang Fang", "Wang Fang"),
            ("recent-1", RECENT.timestamp(), "where is window 3", "Floor 1.", "Li Na"),
            ("erase-me", RECENT.timestamp(), "I am Zhang Wei", "Booked under the name Zhang Wei", "Zhang Wei"),
        ],
    )
    return db.read_bytes()


@pytest.fixture
def places(tmp_path, tracker_template):
    tracker = tmp_path / "tracker.db"
    tracker.write_bytes(tracker_template)
    actions = tmp_path / "actions.db"
    store = Store(actions)
    for conversation, when in (("old-1", OLD), ("recent-1", RECENT), ("erase-me", RECENT)):
        store.issue_ticket(conversation, "passport_travel_permit", "B", "B", when)
        store.book(conversation, "passport_travel_permit", when.date(), "10:30", f"name of {conversation}", when)
        store.record_handoff(conversation, None, "entrance", "asked for a person", when)
        store.remember(conversation, "appt_name", f"name of {conversation}", when)
    # booked long ago for a day still to come: kept until that day is past the period too
    store.book("old-1", "passport_travel_permit", NOW.date() + dt.timedelta(days=3), "11:00", "future", OLD)
    store.engine.dispose()
    recordings = tmp_path / "recordings"
    write_recording(recordings, OLD.date().isoformat(), "old-1")
    write_recording(recordings, RECENT.date().isoformat(), "recent-1")
    write_recording(recordings, RECENT.date().isoformat(), "erase-me", 1)
    write_recording(recordings, RECENT.date().isoformat(), "erase-me", 2)
    trainer = tmp_path / "trainer"  # the trainer's inbox has indexed all three, and one is marked reviewed
    trainer.mkdir()
    state = State.open(f"sqlite:///{trainer / 'trainer.db'}")
    with state.engine.begin() as db:
        for n, (conversation, when) in enumerate((("old-1", OLD), ("recent-1", RECENT), ("erase-me", RECENT))):
            db.execute(conv_index.insert().values(sender_id=conversation, first_ts=when.timestamp(), turns=1))
            db.execute(msg_index.insert().values(event_id=n, sender_id=conversation, text="[phone]"))
            db.execute(reviewed.insert().values(sender_id=conversation, by="ann", at=when.timestamp()))
    state.engine.dispose()
    return {"tracker": tracker, "actions": actions, "recordings": recordings, "trainer": trainer}


def where(places) -> list[str]:
    return [
        f"--tracker-db={places['tracker']}",
        f"--actions-db={places['actions']}",
        f"--recordings={places['recordings']}",
        f"--state-dir={places['trainer']}",
    ]


def senders(places) -> set[str]:
    return {r[0] for r in rows(places["tracker"], "SELECT DISTINCT sender_id FROM events")}


def conversations_in(places, table: str) -> list[str]:
    return sorted(r[0] for r in rows(places["actions"], f"SELECT conversation_id FROM {table}"))


def in_trainer_index(places) -> dict[str, list[str]]:
    trainer_db = places["trainer"] / "trainer.db"
    return {
        t: sorted(r[0] for r in rows(trainer_db, f"SELECT sender_id FROM {t}"))
        for t in ("conv_index", "msg_index", "reviewed")
    }


def test_retention_deletes_what_is_older_than_the_period_and_keeps_the_rest(places):
    result = privacy_cli("retention", "--days", "30", *where(places))
    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversations, 4 events, 1 tickets, 1 appointments, 1 handoffs, 1 personal values" in (
        result.stdout
    ), result.stdout
    assert senders(places) == {"recent-1", "erase-me"}
    assert conversations_in(places, "tickets") == ["erase-me", "recent-1"]
    assert conversations_in(places, "handoffs") == ["erase-me", "recent-1"]
    assert conversations_in(places, "personal_values") == ["erase-me", "recent-1"]
    kept = rows(places["actions"], "SELECT conversation_id, name FROM appointments ORDER BY id")
    assert kept == [("recent-1", "name of recent-1"), ("erase-me", "name of erase-me"), ("old-1", "future")]
    assert sorted(p.name for p in places["recordings"].iterdir()) == [RECENT.date().isoformat()]
    assert in_trainer_index(places) == dict.fromkeys(("conv_index", "msg_index", "reviewed"), ["erase-me", "recent-1"])


def test_a_dry_run_counts_and_deletes_nothing(places):
    result = privacy_cli("retention", "--days", "30", "--dry-run", *where(places))
    assert result.returncode == 0, result.stderr
    assert "would delete 1 conversations, 4 events" in result.stdout and "1 recordings" in result.stdout
    assert senders(places) == {"old-1", "recent-1", "erase-me"}
    assert len(conversations_in(places, "tickets")) == 3
    assert in_trainer_index(places)["conv_index"] == ["erase-me", "old-1", "recent-1"]


def test_the_period_comes_from_LOBBY_RETENTION_DAYS_and_a_bad_one_is_refused(places):
    env = {**os.environ, "LOBBY_RETENTION_DAYS": "50"}
    kept_all = privacy_cli("retention", *where(places), env=env)
    assert kept_all.returncode == 0 and "deleted 0 conversations" in kept_all.stdout, kept_all.stdout
    refused = privacy_cli("retention", "--days", "0", *where(places))
    assert refused.returncode != 0 and "at least 1 day" in refused.stderr
    missing = privacy_cli("retention", "--days", "30", "--tracker-db", str(places["tracker"]) + ".nope")
    assert missing.returncode == 2 and "no database at" in missing.stderr
    assert senders(places) == {"old-1", "recent-1", "erase-me"}


@pytest.fixture
def trainer_state(places):
    folder = places["trainer"]
    state = State.open(f"sqlite:///{folder / 'trainer.db'}")
    auth.add_user(state, "alice", PASSWORD, "admin")
    auth.add_user(state, "bob", PASSWORD, "annotator")
    return folder, state


PASSWORD = "correct horse battery"


def signed_in(password: str = PASSWORD) -> dict:
    """The environment of an operator's script that gives the account's password (as the trainer CLI takes it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOBBY_TRAINER_USER", "LOBBY_TRAINER_API_TOKEN")}
    return {**env, "LOBBY_TRAINER_PASSWORD": password}


def test_an_admin_erases_one_conversation_everywhere_and_it_is_audited(places, trainer_state):
    _, state = trainer_state
    result = privacy_cli("erase", "erase-me", "--user", "alice", *where(places), env=signed_in())
    assert result.returncode == 0, result.stderr
    assert (
        "deleted 1 conversations, 4 events, 1 tickets, 1 appointments, 1 handoffs, 1 personal values, 2 recordings"
        in (result.stdout)
    )
    assert senders(places) == {"old-1", "recent-1"}
    for table in ("tickets", "appointments", "handoffs", "personal_values"):
        assert "erase-me" not in conversations_in(places, table), table
        assert "recent-1" in conversations_in(places, table), table
    left = [p.name for day in places["recordings"].iterdir() for p in day.iterdir()]
    assert not [name for name in left if name.startswith("erase-me")] and "recent-1-001.wav" in left
    (entry,) = [e for e in state.audit_entries() if e["action"] == "erase_conversation"]
    assert entry["user"] == "alice" and entry["details"]["sender_id"] == "erase-me"
    assert entry["details"]["events"] == 4 and entry["details"]["appointments"] == 1
    assert entry["details"]["recordings"] == 2 and entry["details"]["trainer_index"] == 1
    assert in_trainer_index(places)["conv_index"] == ["old-1", "recent-1"]
    assert "erase-me" not in in_trainer_index(places)["msg_index"] + in_trainer_index(places)["reviewed"]


def test_erasure_is_refused_to_anyone_but_an_admin_and_the_attempt_is_audited(places, trainer_state):
    folder, state = trainer_state
    attempts = {
        "an annotator": (["--user", "bob"], PASSWORD, "only an admin"),
        "an unknown name": (["--user", "mallory"], PASSWORD, "wrong user name or password"),
        "nobody named": ([], PASSWORD, "say who you are"),
        "the admin's name without her password": (["--user", "alice"], "guessing", "wrong user name or password"),
    }
    for what, (who, password, why) in attempts.items():
        result = privacy_cli("erase", "erase-me", *who, *where(places), env=signed_in(password))
        assert result.returncode == 2 and "refused" in result.stderr and why in result.stderr, (what, result.stderr)
    assert senders(places) == {"old-1", "recent-1", "erase-me"}
    refusals = [e for e in state.audit_entries() if e["action"] == "erase_refused"]
    assert len(refusals) == 4 and {e["details"]["sender_id"] for e in refusals} == {"erase-me"}


def test_an_erasure_dry_run_counts_without_deleting_or_auditing_a_deletion(places, trainer_state):
    _, state = trainer_state
    result = privacy_cli("erase", "erase-me", "--user", "alice", "--dry-run", *where(places), env=signed_in())
    assert result.returncode == 0 and "would delete 1 conversations, 4 events" in result.stdout, result.stdout
    assert "erase-me" in senders(places)
    assert not [e for e in state.audit_entries() if e["action"] == "erase_conversation"]


def runs_logged(proc: subprocess.Popen, wanted: int = 2) -> list[str]:
    """The job's per-run log lines, read until `wanted` have come (two prove it repeats); stops at any failure."""
    runs: list[str] = []
    for line in proc.stderr:
        assert "Traceback" not in line and "failed" not in line, line
        if "retention (30 days)" in line:
            runs.append(line)
        if len(runs) == wanted:
            break
    return runs


def test_the_scheduled_job_runs_at_once_and_again_and_a_database_not_created_yet_is_no_error(places, tmp_path):
    fresh = tmp_path / "not-created-yet.db"
    schedule = [sys.executable, "-m", "privacy", "schedule", "--days", "30", "--every-hours", "0.0003"]
    seeded = subprocess.Popen([*schedule, *where(places)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    empty = subprocess.Popen(
        [*schedule, "--tracker-db", str(fresh), "--actions-db", str(fresh)], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        seeded_runs, empty_runs = runs_logged(seeded), runs_logged(empty)
    finally:
        for proc in (seeded, empty):
            proc.terminate()
            proc.wait(10)
    assert len(seeded_runs) == 2 and len(empty_runs) == 2, (seeded_runs, empty_runs)
    assert "1 conversations, 4 events, 1 tickets" in seeded_runs[0] and "0 conversations" in seeded_runs[1]
    assert senders(places) == {"recent-1", "erase-me"}
    assert "0 conversations, 0 events" in empty_runs[0] and not fresh.exists()
