"""What the dialogue core keeps of a conversation holds no ID-card number, phone number or name, yet the forms work.

Over the real Rasa and action servers (HTTP); the tracker database is read directly from its SQLite file,
every column of every row, as anyone with access to the disk could.
"""

from __future__ import annotations

import sqlite3

from testkit.dialogue import cards

ID_NUMBER = "11010519491231002X"
PHONE_NUMBER = "138 0013 8000"
PASSPORT = '{"service":"passport_travel_permit"}'


def text_of(messages) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def stored_rows(tracker_db, sender: str) -> list[str]:
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT * FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert rows, f"nothing stored for {sender}"
    return [" ".join(str(column) for column in row) for row in rows]


def appointments(actions_db, sender: str) -> list[tuple]:
    with sqlite3.connect(actions_db) as db:
        return db.execute("SELECT day, slot, name FROM appointments WHERE conversation_id = ?", (sender,)).fetchall()


def test_id_and_phone_numbers_and_the_name_are_masked_in_the_tracker_yet_the_appointment_is_booked(chat, dialogue):
    c = chat(metadata={"kiosk_id": "entrance"})
    c.say(f"my ID card number is {ID_NUMBER} and my phone is {PHONE_NUMBER}, can I renew my passport?")
    c.say(f"/book_appointment{PASSPORT}")
    c.say("next Monday")
    asked_name = text_of(c.say("10:30"))
    assert "name" in asked_name, asked_name
    again = text_of(c.say(f"call me on {PHONE_NUMBER}"))  # not a name: asked again
    assert "name" in again, again
    replies = c.say("Wang Fang")
    assert "under the name Wang Fang" in text_of(replies), text_of(replies)
    (card,) = [card for card in cards(replies) if card["kind"] == "appointment"]
    assert card["fields"]["name"] == "Wang Fang"  # the citizen sees their own name on the confirmation

    assert appointments(dialogue.actions_db, c.sender) == [("2026-12-21", "10:30", "Wang Fang")]
    stored = "\n".join(stored_rows(dialogue.tracker_db, c.sender))
    digits = stored.replace(" ", "")
    for raw in (ID_NUMBER, PHONE_NUMBER.replace(" ", ""), "Wang Fang", "Wang", "Fang"):
        assert raw not in stored and raw not in digits, f"{raw!r} was written to the tracker database"
    for placeholder in ("[id-card]", "[phone]", "[name]"):
        assert placeholder in stored, f"{placeholder} missing: what was said is kept, masked"
    assert "book_appointment" in stored and "passport_travel_permit" in stored  # intents and slots still readable


def test_the_conversation_goes_on_after_the_booking_with_the_slot_read_back_masked(chat, dialogue):
    c = chat(metadata={"kiosk_id": "entrance"})
    c.say(f"/book_appointment{PASSPORT}")
    c.say("next Monday")
    c.say("10:30")
    c.say("Li Na")
    assert c.slot("appt_name") is None  # the form is done and its slots are cleared
    assert "Li Na" not in "\n".join(stored_rows(dialogue.tracker_db, c.sender))
    again = chat(metadata={"kiosk_id": "entrance"}, sender=c.sender)
    assert text_of(again.say("thank you")), "the next turn is answered after re-reading the masked tracker"


def test_a_chinese_name_and_numbers_are_masked_too(chat, dialogue):
    c = chat(metadata={"kiosk_id": "entrance", "language": "zh"})
    c.say(f"我的身份证号是{ID_NUMBER}，手机号13800138000")
    c.say(f"/book_appointment{PASSPORT}")
    c.say("下周一")
    c.say("上午十点半")
    booked = text_of(c.say("我叫王小明"))
    assert "预约人王小明" in booked, booked
    assert appointments(dialogue.actions_db, c.sender) == [("2026-12-21", "10:30", "王小明")]
    stored = "\n".join(stored_rows(dialogue.tracker_db, c.sender))
    for raw in (ID_NUMBER, "13800138000", "王小明"):
        assert raw not in stored, f"{raw!r} was written to the tracker database"
