"""A citizen at home is not standing in the hall (issue 16): web answers, online first, and check-in at a kiosk.

Where the citizen is comes from the channel metadata: a kiosk of data/hall.yml, or else the web (the widget's
`web`, the home page's `lobby`, the REST channel without a kiosk id). Only kiosks get directions from "here".
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from actions.replies import TOPICS, service_reply
from actions.store import Store
from booking_reference import ALPHABET, candidates, is_valid, new_reference, normalise, spoken
from kb import load_knowledge_base
from scoring.splits import CITIZEN_SPLIT, CITIZEN_SPLIT_2, CITIZEN_SPLIT_3, load_citizen_split, load_rasa_split
from testkit.dialogue import buttons, cards

KB = load_knowledge_base()
# What only makes sense standing at a kiosk (kb/directions.py's sentences and the pointing gestures).
KIOSK_RELATIVE = re.compile(
    r"on your (left|right)|straight ahead|behind you|from here|take the lift|as you come out", re.IGNORECASE
)
LOCATION_INTENTS = {"find_window", "facilities", "accessibility_help"}
WEB_METADATA = [None, {"kiosk_id": "web", "channel": "kiosk"}, {"kiosk_id": "lobby"}, {"location": "web"}]


# --- reply builders: pure functions ------------------------------------------------------------------------------
@pytest.mark.parametrize("service_id", sorted(KB.services))
def test_web_answers_about_a_service_never_give_directions_from_a_kiosk(service_id):
    s = KB.services[service_id]
    for topic in TOPICS:
        reply = service_reply(KB, s, topic, None)
        assert not KIOSK_RELATIVE.search(reply.text), (topic, reply.text)
        assert "directions" not in reply.card["fields"], topic
    where = service_reply(KB, s, "location", None)
    assert all(w in where.text for w in s.location.windows)
    assert f"zone {s.location.zone}" in where.text and f"floor {s.location.floor}" in where.text
    assert KB.hall.address in where.text and "09:00" in where.text, "the hall's address and opening hours"
    assert where.card["fields"]["visit"]["address"] == KB.hall.address
    at_kiosk = service_reply(KB, s, "location", "entrance")
    assert KIOSK_RELATIVE.search(at_kiosk.text) and at_kiosk.card["fields"]["directions"]["kiosk_id"] == "entrance"


@pytest.mark.parametrize("service_id", sorted(KB.services))
def test_web_answers_lead_with_the_online_path_or_offer_one_prepared_visit(service_id):
    s = KB.services[service_id]
    for topic in ("summary", "location", "online"):
        reply = service_reply(KB, s, topic, None)
        if s.online is None and topic == "online":
            continue
        if s.online is not None and s.online.fully_online:
            assert reply.text.startswith(("You don't need to come in", "Yes. You don't need")), reply.text
            assert reply.card["fields"]["online"]["fully_online"] is True
            assert "prepare" not in reply.card["fields"]
        else:
            assert "book you an appointment" in reply.text
            assert buttons([{"buttons": reply.buttons}])[0]["payload"] == f'/book_appointment{{"service":"{s.id}"}}'
            prepared = [m["name"] for m in reply.card["fields"]["prepare"]["materials"]]
            assert prepared == [m.name for m in s.materials or []]


# --- appointment references --------------------------------------------------------------------------------------
def test_references_are_short_unambiguous_and_found_again_in_speech_and_scans():
    refs = {new_reference() for _ in range(300)}
    assert len(refs) == 300
    for ref in refs:
        assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", ref) and is_valid(ref.replace("-", ""))
    assert not set("0O1IL2Z5S8B") & set(ALPHABET), "no look-alike characters"
    assert normalise("k7m4pa") == normalise("K7M 4PA") == "K7M-4PA"
    heard = [
        "check in K7M-4PA",
        "my reference is k 7 m 4 p a",
        "kilo seven mike four papa alpha",
        "K7M for PA please",
        "https://service.harbor.example.gov/checkin/K7M-4PA",
    ]
    for text in heard:
        assert "K7M-4PA" in candidates(text), text
    assert candidates("where is the passport window") == []
    assert spoken("K7M-4PA") == "K 7 M, 4 P A"


def test_check_in_turns_an_appointment_into_one_ticket_for_its_zone(tmp_path):
    store = Store(tmp_path / "actions.db")
    now = dt.datetime(2026, 12, 14, 10, 0)
    booked = store.book("home-1", "passport_travel_permit", now.date(), "10:30", "Li Na", now)
    appointment, ticket = store.check_in(booked.reference, "kiosk-1", "C", "C", now)
    assert ticket.number == "C001" and appointment.ticket_number == "C001" and appointment.checked_in_at
    again = store.check_in(booked.reference, "kiosk-2", "C", "C", now + dt.timedelta(minutes=5))
    assert again is not None and again[1].number == "C001", "a second scan repeats the same ticket"
    assert store.check_in("AAA-333", "kiosk-1", "C", "C", now) is None
    with sqlite3.connect(tmp_path / "actions.db") as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone() == (1,)


def test_an_older_database_gains_the_check_in_columns(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE appointments (id INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT NOT NULL UNIQUE, "
            "conversation_id TEXT NOT NULL, service_id TEXT NOT NULL, day TEXT NOT NULL, slot TEXT NOT NULL, "
            "name TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        db.execute("INSERT INTO appointments VALUES (1, 'AP12140001', 'c', 'id_card', '2026-12-14', '10:30', 'L', 'x')")
    store = Store(path)
    assert store.appointment("AP12140001").ticket_number is None


# --- through the real Rasa and action server ---------------------------------------------------------------------
def _location_questions() -> list[str]:
    """Every location-type question of the held-out splits (loaded, never read to write training data)."""
    questions = load_rasa_split()
    for path in (CITIZEN_SPLIT, CITIZEN_SPLIT_2, CITIZEN_SPLIT_3):
        if path.exists():
            questions += load_citizen_split(path)[0]
    return sorted({q.text for q in questions if q.intent in LOCATION_INTENTS})


def test_every_location_question_of_the_test_splits_gets_no_kiosk_directions_on_the_web(chat):
    questions = _location_questions()
    assert len(questions) >= 20
    located = 0
    for i, question in enumerate(questions):
        meta = WEB_METADATA[i % len(WEB_METADATA)]
        c = chat(metadata=meta) if meta else chat()
        messages = c.say(question)
        text = " ".join(m.get("text", "") for m in messages)
        assert not KIOSK_RELATIVE.search(text), (meta, question, text)
        for card in cards(messages):
            assert "directions" not in card.get("fields", {}), (question, card)
            if "visit" in card.get("fields", {}):
                located += 1
    assert located >= len(questions) // 2, f"only {located} of {len(questions)} answers said where the hall is"


def test_the_same_question_at_a_kiosk_gets_directions_from_it(chat):
    c = chat(metadata={"kiosk_id": "entrance", "channel": "kiosk"})
    messages = c.say("where do I go for the social security card?")
    card = next(x for x in cards(messages) if x.get("topic") == "location")
    assert card["fields"]["directions"]["kiosk_id"] == "entrance"
    assert KIOSK_RELATIVE.search(" ".join(m.get("text", "") for m in messages))


def _book_today(chat) -> str:
    home = chat()  # the REST channel without a kiosk id: at home
    home.text("I'd like to book an appointment for a passport")
    home.text("today")
    home.text("10:30")
    messages = home.say("Li Na")
    card = next(x for x in cards(messages) if x.get("topic") == "book_appointment")
    reference = card["fields"]["reference"]
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", reference)
    assert card["fields"]["checkin_code"].endswith(f"/checkin/{reference}")
    assert card["fields"]["visit"]["address"] == KB.hall.address
    return reference


def test_an_appointment_booked_from_home_is_checked_in_at_a_kiosk_by_its_reference(chat, dialogue):
    reference = _book_today(chat)
    assert "at any kiosk" in chat().text(f"check in {reference}"), "from home, check-in is explained, not done"
    kiosk = chat(metadata={"kiosk_id": "entrance", "channel": "kiosk"})
    messages = kiosk.say(f'/check_in{{"reference":"{reference}"}}')  # what the kiosk page sends for a scan
    card = next(x for x in cards(messages) if x.get("topic") == "check_in")
    number = card["fields"]["number"]
    assert card["fields"]["checked_in"] and number.startswith("C") and card["fields"]["zone"] == "C"
    with sqlite3.connect(dialogue.actions_db) as db:
        stored = db.execute(
            "SELECT number, service_id, zone FROM tickets WHERE conversation_id = ?", (kiosk.sender,)
        ).fetchall()
        booked = db.execute("SELECT ticket_number FROM appointments WHERE reference = ?", (reference,)).fetchone()
    assert stored == [(number, "passport_travel_permit", "C")] and booked == (number,)
    said = chat(metadata={"kiosk_id": "floor2"}).text(f"check in please, my reference is {spoken(reference)}")
    assert f"already checked in; your ticket number is {number}" in said


def test_a_wrong_or_expired_reference_gets_a_clear_answer(chat, dialogue):
    kiosk = chat(metadata={"kiosk_id": "entrance"})
    assert "can't find an appointment with the reference AAA-333" in kiosk.text('/check_in{"reference":"AAA-333"}')
    old = "HHH-444"
    with sqlite3.connect(dialogue.actions_db) as db:
        db.execute(
            "INSERT INTO appointments (reference, conversation_id, service_id, day, slot, name, created_at) "
            "VALUES (?, 'old', 'id_card', '2026-12-11', '09:30', 'Li Na', '2026-12-01T09:00:00')",
            (old,),
        )
    messages = kiosk.say(f'/check_in{{"reference":"{old}"}}')
    card = next(x for x in cards(messages) if x.get("topic") == "check_in")
    assert card["fields"] == {**card["fields"], "checked_in": False, "reason": "expired"}
    assert "expired" in " ".join(m.get("text", "") for m in messages)
    assert [b["title"] for b in buttons(messages)] == ["Take a queue ticket", "Book an appointment"]
