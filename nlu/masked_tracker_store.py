"""Rasa's SQL tracker store, writing conversations with citizens' personal data masked.

Rasa 3.6's SQLTrackerStore writes every event as JSON: user texts, parse data (entities), slot events
and bot texts, so a phone number typed at a kiosk would sit in `var/tracker.db` (or PostgreSQL) for as
long as the conversation is kept. This store writes the same rows, one per event, with ID-card numbers,
phone numbers and names replaced by placeholders (privacy/rules.py, the rules the trainer masks with).

Names are known from the tracker being saved: the values of the name slots (`appt_name`; the text the
citizen answered the name question with and the cleaned name the form kept) and of PERSON-type entities.
They are still raw in memory during the turn they were given in, so every event of that save is masked
with them; the in-memory events themselves are not changed (the reply already sent is the citizen's own).

Rasa re-reads the tracker from this store at each turn, so a masked slot comes back as a placeholder:
the forms keep the real value in the action server's own store (actions/personal.py) and read it from there.
The event broker (none is configured) would still receive raw events: configure one only with masking too.

A read or write that fails is recorded (nlu/store_failures.py), so the turn fails visibly instead of Rasa's
fail-safe answering from a fresh or an in-memory conversation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from nlu.store_failures import FAILURES, ConversationNotRead
from privacy.rules import NAME_SLOTS, PERSON_ENTITIES, mask_value

logger = logging.getLogger(__name__)

# Identifiers, not content: left as they are so stories, intents and actions read back unchanged
# (at the top of an event, and in a user message's parse data).
_KEEP = frozenset({"event", "name", "timestamp", "policy", "confidence", "input_channel", "message_id"})
_KEEP_PARSED = frozenset({"intent", "intent_ranking", "response_selector"})


def names_in(events: Iterable[Event]) -> set[str]:
    """Every name the conversation's events carry: name-slot values and PERSON-type entity values."""
    names: set[str] = set()
    for event in events:
        if isinstance(event, SlotSet) and event.key in NAME_SLOTS and isinstance(event.value, str):
            names.add(event.value)
        elif isinstance(event, UserUttered):
            for entity in event.entities or []:
                if entity.get("entity") in PERSON_ENTITIES and isinstance(entity.get("value"), str):
                    names.add(entity["value"])
    return names


def masked_event(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """An event's JSON with personal data masked in every text, entity, slot value and bot message."""
    masked = mask_value(data, names, keep=_KEEP)
    if isinstance(data.get("parse_data"), dict):
        masked["parse_data"] = mask_value(data["parse_data"], names, keep=_KEEP_PARSED)
    return masked


class MaskedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose `save` masks what it writes; everything else (reading, sessions) is Rasa's."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            tracker = await super().retrieve(sender_id)
        except Exception as exc:
            FAILURES.record(sender_id, "read", exc)
            raise
        FAILURES.read_ok(sender_id)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if FAILURES.read_failed(tracker.sender_id):
            # Rasa's fail-safe went on with a fresh tracker: writing it would graft a new history onto the old one
            raise ConversationNotRead(f"conversation {tracker.sender_id} was not read this turn; not saved")
        try:
            await self._save_masked(tracker)
        except Exception as exc:
            FAILURES.record(tracker.sender_id, "write", exc)
            raise

    async def _save_masked(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        names = names_in(tracker.events)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = masked_event(event.as_dict(), names)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        logger.debug("tracker of %s stored (masked)", tracker.sender_id)
