"""Two-stage fallback: guess, then ask to rephrase, then hand over honestly.

In the language the citizen just used (actions.language): Chinese texts from replies_zh for Chinese.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import replies_zh as zh
from actions.context import kiosk_id, send
from actions.knowledge import knowledge_base
from actions.language import CHINESE, language
from actions.replies import Reply
from actions.service_info import INTENT_TOPIC, offer_service_choice, replies_in
from actions.small_talk import ActionGoodbye
from cards import build
from kb import KnowledgeBase

# A farewell word, with the model's best guess a goodbye, ends the conversation even when the model is unsure.
FAREWELL = re.compile(r"\b(good\s*bye|bye|farewell|see you)\b|再见|拜拜|回见", re.IGNORECASE)

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
        lang = language(tracker)
        kb = knowledge_base(lang)
        picked = self._answer_to_offered_choice(tracker, kb)
        topic_intent, family = None, None
        if not picked:
            picked, topic_intent, family = self._clear_service_question(tracker, kb)
        if picked:
            # "withdrawal" right after "transfer or withdrawal?" is an answer, however unsure the
            # language model is about a one-word message: answer it rather than ask what it meant.
            topic = INTENT_TOPIC.get(topic_intent or "", None) or tracker.get_slot("topic") or "summary"
            send(dispatcher, replies_in(lang).service_reply(kb, kb.services[picked], topic, kiosk_id(tracker)))
            offered = tracker.get_slot("service_choices") or []
            # Leave the two-stage fallback loop now: it is answered, and the loop would otherwise
            # revert this turn (and the slots just set) when the next message is understood.
            return [
                SlotSet("service", picked),
                SlotSet("service_choices", None),
                SlotSet("service_candidates", list(offered)),
                ActiveLoop(None),
                FollowupAction("action_listen"),
            ]
        if family:
            # "pension", one unsure word that several services share: offer those services, as a clerk would,
            # rather than "did you mean information about a service?".
            return [
                *offer_service_choice(dispatcher, tracker, family, topic_intent or "ask_service"),
                ActiveLoop(None),
                FollowupAction("action_listen"),
            ]
        ranking = tracker.latest_message.get("intent_ranking") or []
        best = next((r.get("name") for r in ranking if r.get("name") != "nlu_fallback"), None)
        if best == "goodbye" and FAREWELL.search(tracker.latest_message.get("text") or ""):
            # "好的，再见": the "ok" pulls the model towards a yes, but a citizen who says goodbye is leaving;
            # asking "which service?" would keep them at the kiosk.
            send(dispatcher, ActionGoodbye().reply(lang))
            return [ActiveLoop(None), FollowupAction("action_listen")]
        entities = {e["entity"]: e.get("value") for e in tracker.latest_message.get("entities") or [] if "entity" in e}
        guesses = [r["name"] for r in ranking if r.get("name") in INTENT_MEANING and r.get("confidence", 0) >= 0.2][:2]
        chinese = lang == CHINESE
        meaning = zh.INTENT_MEANING if chinese else INTENT_MEANING
        buttons = []
        for intent in guesses:
            suffix = json.dumps({k: v for k, v in entities.items() if v}) if entities else ""
            buttons.append({"title": meaning[intent].capitalize(), "payload": f"/{intent}{suffix}"})
        # Rasa 3 two-stage fallback reads `out_of_scope` as "none of these" and then asks to rephrase.
        buttons.append({"title": zh.SOMETHING_ELSE if chinese else "Something else", "payload": "/out_of_scope"})
        if chinese:
            text = zh.ask_affirmation_text(meaning[guesses[0]] if guesses else None)
        else:
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

    @staticmethod
    def _clear_service_question(tracker: Tracker, kb: KnowledgeBase) -> tuple[str | None, str | None, list[str] | None]:
        """A question about a service the language model was unsure of, but the knowledge base is not.

        Only when the model's own best guess is a question about a service and the resolver answers
        one service outright (a name in the words, or a clear semantic lead): then asking "did you
        mean information about a service?" would only delay the answer. When the words are a keyword a
        few services share ("pension"), those services are returned as the choice to offer instead.
        """
        from actions.service_info import resolver

        ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        text = tracker.latest_message.get("text") or ""
        if not ranking or text.startswith("/"):
            return None, None, None
        intent = ranking[0]["name"]
        resolution = resolver(kb).resolve(text, intent="ask_service")
        # When the model's guess is not a service question, only a name in the words ("tell me about hukou",
        # a name it never saw in training) or nothing but a word a few services share ("pension") outweighs it.
        topic_intent = intent if intent in INTENT_TOPIC else None
        trusted = {"explicit", "semantic", "shared_name"} if topic_intent else {"explicit"}
        if resolution.service_id and resolution.how in trusted:
            return resolution.service_id, topic_intent, None
        if resolution.choices and resolution.how == "keywords":
            return None, topic_intent, resolution.choices
        return None, None, None

    @staticmethod
    def _answer_to_offered_choice(tracker: Tracker, kb: KnowledgeBase) -> str | None:
        offered = tracker.get_slot("service_choices")
        text = tracker.latest_message.get("text") or ""
        if not isinstance(offered, list) or not offered or text.startswith("/"):
            return None
        from actions.resolution import SHORT_ANSWER_WORDS, words
        from actions.service_info import resolver

        if len(words(text)) > SHORT_ANSWER_WORDS:
            return None

        return resolver(kb).pick_from(text, [str(s) for s in offered])


class ActionDefaultAskRephrase(Action):
    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        chinese = language(tracker) == CHINESE
        text = zh.ASK_REPHRASE if chinese else "Sorry, I didn't quite get that. Could you say it in other words?"
        send(dispatcher, Reply(text, build("fallback", "ask_rephrase", {})))
        return []


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        chinese = kb.lang == CHINESE
        text = (
            zh.give_up_text(kb)
            if chinese
            else (
                "I'm sorry, I couldn't understand that. Staff at the help desk on floor "
                f"{kb.hall.help_desk.floor} can help, or call the hotline {kb.hall.hotline}."
            )
        )
        send(
            dispatcher,
            Reply(
                text,
                build("fallback", "give_up", {"hotline": kb.hall.hotline}),
                [{"title": zh.STAFF_TITLE if chinese else "Talk to staff", "payload": "/human_handoff"}],
            ),
        )
        return [UserUtteranceReverted()]
