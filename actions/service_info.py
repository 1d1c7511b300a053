"""Answer questions about one service, using conversation context for follow-ups."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import kiosk_id, send
from actions.knowledge import knowledge_base
from actions.replies import choose_service_reply, service_reply, which_service_reply
from kb import KnowledgeBase

INTENT_TOPIC = {
    "ask_service": "summary",
    "ask_materials": "materials",
    "ask_steps": "steps",
    "find_window": "location",
    "ask_processing_time": "processing_time",
    "ask_fee": "fee",
    "ask_online": "online",
    "ask_eligibility": "eligibility",
    "ask_cross_province": "cross_province",
}


def resolve_service(kb: KnowledgeBase, tracker: Tracker) -> tuple[str | None, list[str]]:
    """The service a message is about, or the candidates to choose from.

    Order matters: an explicit mention beats context, and context beats a vague
    keyword only when the keyword fits the current service ("how long does the
    transfer take?" while discussing a provident fund transfer).
    """
    message = tracker.latest_message
    for entity in message.get("entities") or []:
        if entity.get("entity") == "service":
            found = kb.resolve(str(entity.get("value") or "")) or kb.resolve(str(entity.get("text") or ""))
            if found:
                return found, []
    text = message.get("text") or ""
    if not text.startswith("/"):
        mentioned = kb.find_in_text(text)
        if mentioned:
            return mentioned[0], []
    current = tracker.get_slot("service")
    current = current if current in kb.services else None
    candidates = kb.candidates_for_keywords(text) if not text.startswith("/") else []
    if current and (not candidates or current in candidates):
        return current, []
    if len(candidates) == 1:
        return candidates[0], []
    return None, candidates


class ActionServiceInfo(Action):
    def name(self) -> str:
        return "action_service_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kb = knowledge_base()
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "ask_service"
        topic = INTENT_TOPIC.get(intent, "summary")
        service_id, candidates = resolve_service(kb, tracker)
        if service_id is None:
            if candidates:
                send(
                    dispatcher,
                    choose_service_reply(kb, candidates, intent if intent in INTENT_TOPIC else "ask_service"),
                )
            else:
                send(dispatcher, which_service_reply(kb, intent if intent in INTENT_TOPIC else "ask_service"))
            return []
        send(dispatcher, service_reply(kb, kb.services[service_id], topic, kiosk_id(tracker)))
        return [SlotSet("service", service_id)]
