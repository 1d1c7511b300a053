"""What an action needs to know about the turn besides NLU: who and where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import Reply
from actions.settings import settings


def metadata(tracker: Tracker) -> dict[str, Any]:
    meta = tracker.latest_message.get("metadata") or {}
    if not meta:
        for event in reversed(tracker.events):
            if event.get("event") == "session_started" or event.get("name") == "session_started_metadata":
                break
            if event.get("event") == "user" and event.get("metadata"):
                meta = event["metadata"]
                break
    return meta if isinstance(meta, dict) else {}


def kiosk_id(tracker: Tracker) -> str | None:
    meta = metadata(tracker)
    value = meta.get("kiosk_id") or (meta.get("customData") or {}).get("kiosk_id") if isinstance(meta, dict) else None
    return str(value) if value else None


def now() -> dt.datetime:
    """Local time of the hall; the test clock (LOBBY_NOW, see actions.settings) pins it for tests and demos."""
    return settings().now or dt.datetime.now()


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    payload = reply.payload()
    if payload is not None:
        dispatcher.utter_message(json_message=payload)
