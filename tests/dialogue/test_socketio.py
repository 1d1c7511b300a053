"""The socket.io channel web chat widgets use: same guide, cards under `data`, origins checked."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import socketio

from testkit.dialogue import WEB_ORIGIN

ALLOWED = WEB_ORIGIN


async def converse(url: str, origin: str, messages: list[str], custom: dict | None = None) -> list[list[dict]]:
    client = socketio.AsyncClient(reconnection=False)
    received: asyncio.Queue = asyncio.Queue()
    session = uuid.uuid4().hex
    confirmed = asyncio.Event()

    @client.on("session_confirm")
    async def _confirmed(_data=None):
        confirmed.set()

    @client.on("bot_uttered")
    async def _bot(data):
        await received.put(data)

    await client.connect(url, headers={"Origin": origin}, transports=["websocket"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), 10)
        replies = []
        for text in messages:
            await client.emit("user_uttered", {"message": text, "session_id": session, "customData": custom or {}})
            batch = [await asyncio.wait_for(received.get(), 30)]
            while True:  # a turn may send several messages (text, then its card)
                try:
                    batch.append(await asyncio.wait_for(received.get(), 1.5))
                except TimeoutError:
                    break
            replies.append(batch)
        return replies
    finally:
        await client.disconnect()


async def test_web_chat_gets_text_buttons_and_cards(dialogue):
    (reply,) = await converse(dialogue.rasa_url, ALLOWED, ["my wife just had a baby, what do I need to do?"])
    texts = [m["text"] for m in reply if "text" in m]
    cards = [m for m in reply if m.get("kind") == "service"]
    assert texts and "newborn" in texts[0].lower()
    assert cards and cards[0]["service_id"] == "newborn_bundle", "custom JSON arrives under data"
    assert any(m.get("quick_replies") or m.get("buttons") for m in reply)


async def test_widget_metadata_in_custom_data_reaches_the_actions(dialogue):
    replies = await converse(dialogue.rasa_url, ALLOWED, ["where do I apply for a residence permit?", "where is that?"],
                             custom={"kiosk_id": "floor2"})  # fmt: skip
    directions = [m["fields"]["directions"] for m in replies[1] if m.get("topic") == "location"]
    assert directions and directions[0]["kiosk_id"] == "floor2" and directions[0]["floor_change"] == 0


async def test_other_origins_are_refused(dialogue):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await converse(dialogue.rasa_url, "http://evil.example", ["hello"])
