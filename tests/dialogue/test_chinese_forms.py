"""A Mandarin-speaking citizen takes a ticket, books an appointment, checks in and says goodbye in Mandarin.

Over the real dialogue core (HTTP); the form is started with the button payloads the screen offers, so
these tests are about the forms' Chinese, not about recognising the request (tests/dialogue/test_chinese.py).
"""

from __future__ import annotations

import re
import sqlite3

from testkit.dialogue import buttons, cards

ZH_KIOSK = {"kiosk_id": "entrance", "language": "zh"}
ENGLISH_WORD = re.compile(r"\b(?!App\b)[A-Za-z]{4,}\b")
PASSPORT = '{"service":"passport_travel_permit"}'


def text_of(messages) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def chinese_only(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not ENGLISH_WORD.search(text)


def test_a_ticket_is_issued_in_mandarin(chat):
    c = chat(metadata=ZH_KIOSK)
    replies = c.say(f"/queue_ticket{PASSPORT}")
    said = text_of(replies)
    (ticket,) = [card for card in cards(replies) if card["kind"] == "ticket"]
    assert ticket["fields"]["issued"] is True
    assert f"您的号码是{ticket['fields']['number']}" in said and chinese_only(said), said
    assert [b["title"] for b in buttons(replies)] == ["怎么走"]


def test_an_appointment_is_booked_in_mandarin_and_checked_in_at_a_kiosk(chat, dialogue):
    c = chat(metadata=ZH_KIOSK)
    asked_date = text_of(c.say(f"/book_appointment{PASSPORT}"))
    assert "哪天" in asked_date and chinese_only(asked_date), asked_date
    asked_time = text_of(c.say("下周一"))  # the test clock's day is Monday 14 December: Monday 21st
    assert "几点" in asked_time, asked_time
    asked_name = text_of(c.say("上午十点半"))
    assert "名字" in asked_name, asked_name
    replies = c.say("我叫王小明")
    booked = text_of(replies)
    assert "预约成功" in booked and "12月21日（星期一）10:30" in booked and "王小明" in booked, booked
    assert chinese_only(booked.split("预约号")[0]), booked
    with sqlite3.connect(dialogue.actions_db) as db:
        stored = db.execute(
            "SELECT day, slot, name, reference FROM appointments WHERE conversation_id = ?", (c.sender,)
        ).fetchall()
    assert [row[:3] for row in stored] == [("2026-12-21", "10:30", "王小明")]

    early = text_of(chat(metadata=ZH_KIOSK).say(f"签到 {stored[0][3]}"))
    assert "请在当天来签到" in early and "12月21日" in early, early


def test_a_date_the_guide_cannot_read_is_asked_again_in_mandarin(chat):
    c = chat(metadata=ZH_KIOSK)
    c.say(f"/book_appointment{PASSPORT}")
    again = text_of(c.say("越快越好"))
    assert "没听清是哪一天" in again and chinese_only(again), again


def test_thanks_and_goodbye_in_mandarin_and_in_english(chat):
    zh = chat(metadata=ZH_KIOSK)
    assert "不客气" in text_of(zh.say("谢谢你"))
    farewell = zh.say("好的，再见")
    assert "再见" in text_of(farewell) and [c["kind"] for c in cards(farewell)] == ["farewell"]
    en = chat(metadata={"kiosk_id": "entrance"})
    assert "You're welcome" in text_of(en.say("thank you so much"))
    goodbye = en.say("ok bye then")
    assert "Goodbye" in text_of(goodbye) and [c["kind"] for c in cards(goodbye)] == ["farewell"]
