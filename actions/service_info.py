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


# Ranker acceptance: the best match must be clearly ahead of the next one.
# Calibrated on the training examples (data/nlu/nlu.yml), not on the test split.
RANK_ACCEPT = {"ask_service": (0.2, 1.4)}
RANK_ACCEPT_FOLLOW_UP = (0.3, 2.0)


def resolve_service(kb: KnowledgeBase, tracker: Tracker) -> tuple[str | None, list[str]]:
    """The service a message is about, or the candidates to choose from.

    Order matters: an explicit mention beats context; context beats guessing for
    follow-ups ("and how long does that take?"); for a new request, a vague
    keyword that fits several services ("I want to transfer something") gives
    a choice, and otherwise the knowledge-base ranker may recognise an indirect
    phrasing ("my identification card got stolen").
    """
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name") or "ask_service"
    for entity in message.get("entities") or []:
        if entity.get("entity") == "service":
            found = kb.resolve(str(entity.get("value") or "")) or kb.resolve(str(entity.get("text") or ""))
            if found:
                return found, []
    text = message.get("text") or ""
    if text.startswith("/"):  # a button payload carries its entities; nothing else to read
        text = ""
    mentioned = kb.find_in_text(text) if text else []
    if mentioned:
        return mentioned[0], []
    current = tracker.get_slot("service")
    current = current if current in kb.services else None
    if current and intent != "ask_service":
        return current, []
    if not text:
        return current, []
    candidates = kb.candidates_for_keywords(text)
    ranked = kb.rank(text, top=len(kb.services))
    order = {sid: i for i, (sid, _) in enumerate(ranked)}
    threshold, ratio = RANK_ACCEPT.get(intent, RANK_ACCEPT_FOLLOW_UP)
    if len(candidates) > 1:
        candidates.sort(key=lambda sid: order[sid])
        if current in candidates:
            return current, []
        scores = dict(ranked)
        best, runner_up = scores[candidates[0]], scores[candidates[1]]
        if best >= threshold and best >= ratio * max(runner_up, 1e-9):
            return candidates[0], []
        return None, candidates[:4]
    if len(candidates) == 1:
        return candidates[0], []
    (top, s1), (_, s2) = ranked[0], ranked[1]
    if s1 >= threshold and s1 >= ratio * max(s2, 1e-9):
        return top, []
    return current, []


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
