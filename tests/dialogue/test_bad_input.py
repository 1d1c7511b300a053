"""Bad input gets a sensible answer and the servers stay up."""

from __future__ import annotations

import httpx
import pytest

from testkit.dialogue import cards


@pytest.mark.parametrize(
    "message",
    ["", "   ", "x" * 10_000, "🙂🙂🙂", "¿¡¢£¤¥¦§", "\u0000\u0001", "<script>alert(1)</script>", "DROP TABLE tickets;"],
    ids=["empty", "blank", "10k-chars", "emoji", "symbols", "control-chars", "markup", "sql"],
)
def test_odd_messages_get_an_answer(chat, message):
    c = chat()
    reply = c.say(message)
    said = [m["text"] for m in reply if m.get("text")]
    assert said and all(t.strip() for t in said), f"the citizen hears something, not silence: {reply}"
    assert "welcome" in c.text("hello").lower(), "the conversation still works afterwards"


def test_non_utf8_body_is_rejected_and_server_survives(dialogue, chat):
    body = b'{"sender": "bytes", "message": "\xff\xfe\xfa"}'
    r = httpx.post(f"{dialogue.rasa_url}/webhooks/rest/webhook", content=body,
                   headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code == 400 and "json" in r.text.lower()
    assert "welcome" in chat().text("hi").lower()


def test_malformed_json_is_rejected_and_server_survives(dialogue, chat):
    r = httpx.post(f"{dialogue.rasa_url}/webhooks/rest/webhook", content=b"{not json",
                   headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code >= 400
    assert "welcome" in chat().text("hi").lower()


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"hello"', b'{"sender": 42, "message": "hi"}', b'{"sender": "a", "message": ["hi"]}',
     b'{"sender": "a", "message": "hi", "metadata": "kiosk"}'],
    ids=["list", "string", "numeric-sender", "list-message", "string-metadata"],
)  # fmt: skip
def test_wrongly_shaped_bodies_get_a_400_that_says_why(dialogue, chat, body):
    r = httpx.post(f"{dialogue.rasa_url}/webhooks/rest/webhook", content=body,
                   headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code == 400, r.text
    assert "must be" in r.json()["message"]
    assert "welcome" in chat().text("hi").lower()


def test_unknown_service_is_not_invented(chat, kb):
    c = chat()
    reply = c.say("I need a permit for my pet dragon")
    assert c.slot("service") is None
    assert not [c for c in cards(reply) if c["kind"] == "service"], "no facts about a service that does not exist"
    assert any(m.get("text") for m in reply), "but an answer: a question back, a choice or the hotline"
