"""The dialogue core failing under a citizen's turn: killed, hung, its action server down, its database locked or
its disk full.

Each test breaks a real process (testkit/faults.py) in the middle of a turn and checks what the citizen gets:
the documented `dialogue_unavailable` error with the spoken apology (the turn ends, the session goes on), the
next turn answered once the part is back, and nothing of the conversation lost. How long the apology took is
measured by `make bench-faults` (benchmarks/results/faults.json); here only a generous bound is asserted.
"""

from __future__ import annotations

import logging
import time

from testkit.dialogue import Conversation
from testkit.faults import await_apology, disk_full, hung, kill, kill_mid_turn, locked, wait_for, warm
from testkit.kiosk import Kiosk

NEWBORN = "my wife just had a baby, what do I need to do?"
# The bridge's per-attempt timeout: an apology later than this means the deadline did not work.
WATCHDOG_S = 10.0


def assert_apology(apology, language: str = "en") -> None:
    """The documented answer to a turn the dialogue core could not give (docs/security/faults.md)."""
    assert apology.error["code"] == "dialogue_unavailable"
    assert "sorry" in apology.bot["text"].lower()
    assert apology.bot["card"]["kind"] == "fallback"
    assert apology.heard_s is not None, "the apology is spoken, not only shown"
    assert apology.shown_s < WATCHDOG_S


def user_texts(tracker: dict) -> list[str]:
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def test_dialogue_core_hung_mid_turn(servers, deadline_bridge):
    """Rasa frozen (SIGSTOP): its socket still accepts, nothing answers; the deadline gives the apology."""
    with Kiosk(deadline_bridge.url) as kiosk:
        kiosk.hello()
        assert kiosk.turn("how do I apply for a passport?")["bot"]["card"]["service_id"] == "passport_travel_permit"
        with hung(servers.rasa_proc):
            sent = time.perf_counter()
            kiosk.send({"type": "text", "text": "what does it cost?"})
            apology = await_apology(kiosk, sent)
        assert_apology(apology)
        turn = kiosk.turn("what does it cost?")
        assert (turn["bot"]["card"]["service_id"], turn["bot"]["card"]["topic"]) == ("passport_travel_permit", "fee")


def fee_question_under_store_fault(kiosk, servers, caplog, fault, rasa_says: str, timeout: float):
    """The fee question asked while `fault` holds the tracker database, held until Rasa has logged `rasa_says`:
    the apology is given and the bridge logs the failed turn. Returns the session id and a reader of what Rasa
    logged since the question."""
    session = kiosk.hello()["session_id"]
    kiosk.turn("how do I apply for a passport?")
    log = servers.workdir / "rasa.log"
    logged = len(log.read_text()) if log.exists() else 0

    def since() -> str:
        return log.read_text()[logged:]

    with caplog.at_level(logging.ERROR, logger="avatar_bridge.rasa"), fault:
        sent = time.perf_counter()
        kiosk.send({"type": "text", "text": "what does it cost?"})
        apology = await_apology(kiosk, sent)
        wait_for(lambda: rasa_says in since(), timeout, f"Rasa logging {rasa_says!r}")
    assert_apology(apology)
    assert any("dialogue core unavailable" in r.getMessage() for r in caplog.records)
    return session, since


def assert_conversation_goes_on(kiosk, servers, session: str) -> None:
    """Nothing before the failed turn was lost: the service is still known and the question is answered."""
    assert Conversation(servers, sender=session).slot("service") == "passport_travel_permit"
    turn = kiosk.turn("what does it cost?")
    assert (turn["bot"]["card"]["service_id"], turn["bot"]["card"]["topic"]) == ("passport_travel_permit", "fee")


def test_tracker_database_locked(servers, deadline_bridge, caplog):
    """Another holder of the tracker database's lock: the turn fails cleanly (apology, both servers log the
    error), and once the lock is released the conversation goes on with nothing lost."""
    with Kiosk(deadline_bridge.url) as kiosk:
        # Rasa gives up on the lock after SQLite's busy timeout and logs it: held until then
        session, rasa_log = fee_question_under_store_fault(
            kiosk, servers, caplog, locked(servers.tracker_db), "database is locked", 120
        )
        # Rasa's fail-safe went on with a fresh conversation: it must not be saved over the stored one
        wait_for(lambda: "not saved" in rasa_log(), 60, "Rasa refusing to save a conversation not read")
        assert "what does it cost" not in rasa_log(), "the citizen's words in Rasa's log"
        assert_conversation_goes_on(kiosk, servers, session)


def test_tracker_disk_full(servers, deadline_bridge, caplog):
    """The tracker database's disk full (its own small filesystem, filled to the last byte): the turn fails
    cleanly (apology, Rasa logs SQLite's "database or disk is full", the bridge logs the failed turn), and once
    space is freed the conversation goes on with nothing lost."""
    with Kiosk(deadline_bridge.url) as kiosk:
        session, rasa_log = fee_question_under_store_fault(
            kiosk, servers, caplog, disk_full(servers.tracker_db.parent), "disk is full", 60
        )
        # Rasa's fail-safe would have answered and kept the turn in memory only: the turn fails instead
        wait_for(lambda: "not answered" in rasa_log(), 30, "Rasa logging the turn it did not answer")
        assert_conversation_goes_on(kiosk, servers, session)


def test_action_server_down(servers, deadline_bridge):
    """Rasa up, its action server gone: Rasa answers nothing (it logs the failed action); the citizen hears
    the apology rather than silence, and once the action server is back the conversation goes on."""
    with Kiosk(deadline_bridge.url) as kiosk:
        session = kiosk.hello()["session_id"]
        kiosk.turn("how do I apply for a passport?")
        kill(servers.actions_proc)
        sent = time.perf_counter()
        kiosk.send({"type": "text", "text": "what does it cost?"})
        apology = await_apology(kiosk, sent)
        assert_apology(apology)
        servers.start_actions()
        assert_conversation_goes_on(kiosk, servers, session)


# Last in the module: it restarts Rasa, the slowest step of these tests (a minute, more on a loaded box).
def test_dialogue_core_killed_mid_turn(servers, make_bridge):
    """Rasa dies while it is answering (waiting on an action): apology, and after a restart the same
    conversation goes on where it was, slot and history intact."""
    # Only the crash may end this turn early, not the deadline; and the citizen is still at the kiosk while Rasa
    # restarts (minutes on a loaded box), so the bridge's inactivity reset must not start a new conversation.
    bridge = make_bridge(rasa_deadline_s=30.0, inactivity_s=3600.0)
    with Kiosk(bridge.url) as kiosk:
        session = kiosk.hello()["session_id"]
        first = kiosk.turn(NEWBORN)
        assert first["bot"]["card"]["service_id"] == "newborn_bundle"
        apology = kill_mid_turn(kiosk, servers, "what do I need to bring?", timeout=60)
        assert_apology(apology)
        kiosk.send({"type": "ping", "id": "alive"})
        assert kiosk.wait("pong")["id"] == "alive"

        servers.start_rasa()
        warm(servers.rasa_url)
        tracker = Conversation(servers, sender=session).tracker()
        assert tracker["slots"]["service"] == "newborn_bundle"
        assert NEWBORN in user_texts(tracker)
        turn = kiosk.turn("what do I need to bring?")
        assert not [m for m in turn["all"] if m["type"] == "session"], "the same conversation, not a new one"
        assert (turn["bot"]["card"].get("service_id"), turn["bot"]["card"].get("topic")) == (
            "newborn_bundle",
            "materials",
        ), turn["bot"]
