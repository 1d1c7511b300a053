"""What an action needs to know about the turn besides NLU: who and where."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from actions.replies import Reply
from actions.settings import settings

if TYPE_CHECKING:  # annotations only: actions.language (and its tests) run without rasa-sdk installed
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher


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


def _meta_value(meta: dict[str, Any], key: str) -> Any:
    custom = meta.get("customData")
    return meta.get(key) or (custom.get(key) if isinstance(custom, dict) else None)


def kiosk_id(tracker: Tracker) -> str | None:
    """The hall kiosk the citizen stands at, or None when they are not in the hall (docs/web.md, "Where").

    A session is at a kiosk only when the channel metadata names a kiosk of data/hall.yml (the bridge sends
    the kiosk's hall position) and does not say `location: web`. Everything else is the web: the chat
    widget (kiosk id `web`), the home page `/lobby` (no position), the REST channel without a kiosk id, a
    kiosk page opened at home without `?kiosk=`. Kiosk-relative directions and check-in need a kiosk.
    """
    meta = metadata(tracker)
    if str(_meta_value(meta, "location") or "").lower() == "web":
        return None
    value = _meta_value(meta, "kiosk_id")
    if not value:
        return None
    from actions.knowledge import knowledge_base

    known = {k.id for k in knowledge_base().hall.kiosks}
    return str(value) if str(value) in known else None


def location(tracker: Tracker) -> str:
    """`kiosk` or `web`: where the citizen is (see kiosk_id)."""
    return "kiosk" if kiosk_id(tracker) else "web"


def now() -> dt.datetime:
    """Local time of the hall; the test clock (LOBBY_NOW, see actions.settings) pins it for tests and demos."""
    return settings().now or dt.datetime.now()


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
    payload = reply.payload()
    if payload is not None:
        dispatcher.utter_message(json_message=payload)
