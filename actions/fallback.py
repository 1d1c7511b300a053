"""Two-stage fallback: guess, then ask to rephrase, then hand over honestly."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.context import send
from actions.knowledge import knowledge_base
from actions.replies import Reply
from cards import build

INTENT_MEANING = {
    "ask_service": "information about a service",
    "ask_materials": "what to bring",
    "ask_steps": "how to apply",
    "ask_processing_time": "how long it takes",
    "ask_fee": "what it costs",
    "ask_online": "doing it online",
    "ask_eligibility": "who can apply",
    "ask_cross_province": "doing it in another province",
    "hall_hours": "opening hours",
    "find_window": "where to go",
    "queue_ticket": "a queue ticket",
    "book_appointment": "booking an appointment",
    "check_progress": "checking an application",
    "facilities": "facilities in the hall",
    "accessibility_help": "accessibility help",
    "app_help": "help with the city app",
    "complaint": "making a complaint",
    "human_handoff": "talking to staff",
}


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        ranking = tracker.latest_message.get("intent_ranking") or []
        entities = {e["entity"]: e.get("value") for e in tracker.latest_message.get("entities") or [] if "entity" in e}
        guesses = [r["name"] for r in ranking if r.get("name") in INTENT_MEANING and r.get("confidence", 0) >= 0.2][:2]
        buttons = []
        for intent in guesses:
            suffix = json.dumps({k: v for k, v in entities.items() if v}) if entities else ""
            buttons.append({"title": INTENT_MEANING[intent].capitalize(), "payload": f"/{intent}{suffix}"})
        # Rasa 3 two-stage fallback reads `out_of_scope` as "none of these" and then asks to rephrase.
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        text = (
            f"Sorry, I'm not sure I understood. Did you mean {INTENT_MEANING[guesses[0]]}?"
            if guesses
            else "Sorry, I'm not sure I understood. Could you tell me which service it is about?"
        )
        send(
            dispatcher,
            Reply(text, build("fallback", "ask_affirmation", {"guesses": guesses}), buttons),
        )
        return []


class ActionDefaultAskRephrase(Action):
    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = "Sorry, I didn't quite get that. Could you say it in other words?"
        send(dispatcher, Reply(text, build("fallback", "ask_rephrase", {})))
        return []


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base()
        text = (
            "I'm sorry, I couldn't understand that. Staff at the help desk on floor "
            f"{kb.hall.help_desk.floor} can help, or call the hotline {kb.hall.hotline}."
        )
        send(
            dispatcher,
            Reply(
                text,
                build("fallback", "give_up", {"hotline": kb.hall.hotline}),
                [{"title": "Talk to staff", "payload": "/human_handoff"}],
            ),
        )
        return [UserUtteranceReverted()]
