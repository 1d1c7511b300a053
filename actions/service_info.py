"""Answer questions about one service, using conversation context for follow-ups.

In the language the citizen just used (actions.language): a Chinese message is resolved against the
Chinese knowledge base (it knows the Chinese and the English names) and answered by replies_zh.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, replies_zh
from actions.context import kiosk_id, send
from actions.knowledge import knowledge_base
from actions.language import CHINESE, language
from actions.replies import Reply
from actions.resolution import Resolution, Resolver, words
from actions.retriever import retriever_for
from actions.spelling import speller_for
from cards import build
from kb import KnowledgeBase

log = logging.getLogger(__name__)

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


# Intents that only make sense against what was said before; they re-answer the topic last shown.
REPAIR_INTENTS = {"correct_service", "choose_option"}


def replies_in(lang: str):  # noqa: ANN201 - a module: replies or replies_zh, the same functions
    """The reply module for a language: replies_zh for Chinese, replies (English) otherwise."""
    return replies_zh if lang == CHINESE else replies


def resolver(kb: KnowledgeBase) -> Resolver:
    """One resolver per knowledge base, with the semantic retriever when the encoder is available."""
    cached = _RESOLVERS.get(id(kb))
    if cached is None:
        cached = _RESOLVERS[id(kb)] = Resolver(kb, retriever_for(kb), speller_for(kb))
    return cached


_RESOLVERS: dict[int, Resolver] = {}


def _list_slot(tracker: Tracker, name: str) -> list[str]:
    value = tracker.get_slot(name)
    return [str(v) for v in value] if isinstance(value, list) else []


def resolve_turn(kb: KnowledgeBase, tracker: Tracker) -> Resolution:
    """Resolve the latest message against the knowledge base and the conversation so far."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name") or "ask_service"
    values: list[str] = []
    named: list[str] = []
    for entity in message.get("entities") or []:
        if entity.get("entity") != "service":
            continue
        value = kb.resolve(str(entity.get("value") or ""), fuzzy=False)
        if value:
            values.append(value)
        by_words = kb.resolve(str(entity.get("text") or "")) if entity.get("text") else None
        if by_words:
            named.append(by_words)
    resolution = resolver(kb).resolve(
        message.get("text") or "",
        intent=intent,
        entity_services=values,
        current=tracker.get_slot("service"),
        offered=_list_slot(tracker, "service_choices"),
        previous_candidates=_list_slot(tracker, "service_candidates"),
        named=named,
    )
    log.info(
        "service resolution: intent=%s -> %s choices=%s (%s)",
        intent,
        resolution.service_id,
        resolution.choices,
        resolution.how,
    )
    return resolution


def resolve_service(kb: KnowledgeBase, tracker: Tracker) -> tuple[str | None, list[str]]:
    """The service a message is about, or the candidates to choose from (used by the forms too)."""
    resolution = resolve_turn(kb, tracker)
    return resolution.service_id, resolution.choices


class ActionServiceInfo(Action):
    def name(self) -> str:
        return "action_service_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = language(tracker)
        kb, say = knowledge_base(lang), replies_in(lang)
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "ask_service"
        if intent in REPAIR_INTENTS or intent not in INTENT_TOPIC:
            # A correction or a pick from a choice re-answers what was asked before.
            topic = tracker.get_slot("topic") or "summary"
        else:
            topic = INTENT_TOPIC[intent]
        ask_intent = next((i for i, t in INTENT_TOPIC.items() if t == topic), "ask_service")
        resolution = resolve_turn(kb, tracker)
        if resolution.service_id is None:
            if resolution.choices:
                send(dispatcher, say.choose_service_reply(kb, resolution.choices, ask_intent))
                return [
                    SlotSet("service_choices", resolution.choices),
                    SlotSet("service_candidates", resolution.candidates),
                    SlotSet("topic", topic),
                ]
            send(dispatcher, say.which_service_reply(kb, ask_intent))
            return [SlotSet("service_choices", None), SlotSet("topic", topic)]
        send(dispatcher, say.service_reply(kb, kb.services[resolution.service_id], topic, kiosk_id(tracker)))
        candidates = resolution.candidates or [resolution.service_id]
        if resolution.service_id not in candidates:
            candidates = [resolution.service_id, *candidates]
        return [
            SlotSet("service", resolution.service_id),
            SlotSet("service_choices", None),
            SlotSet("service_candidates", candidates[:4]),
            SlotSet("topic", topic),
        ]


def answer_offered_choice(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """Answer the service a short reply picks from the choice just offered, or None when it picks none.

    The language model reads two words out of context: "pension" after "transfer of what?" came back as
    a "no". Every action that a bare reply can land on outside a form asks this first.
    """
    offered = _list_slot(tracker, "service_choices")
    text = tracker.latest_message.get("text") or ""
    if not offered or text.startswith("/"):
        return None
    lang = language(tracker)
    kb = knowledge_base(lang)
    picked = resolver(kb).pick_from(text, offered)
    if not picked:
        return None
    topic = tracker.get_slot("topic") or "summary"
    send(dispatcher, replies_in(lang).service_reply(kb, kb.services[picked], topic, kiosk_id(tracker)))
    return [SlotSet("service", picked), SlotSet("service_choices", None), SlotSet("service_candidates", offered)]


def answer_named_service(dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str) -> list[dict[str, Any]]:
    """Answer what a service is, for a message that only names it ("jiehunzheng", "hukou" heard as a "yes")."""
    lang = language(tracker)
    kb = knowledge_base(lang)
    send(dispatcher, replies_in(lang).service_reply(kb, kb.services[service_id], "summary", kiosk_id(tracker)))
    return [SlotSet("service", service_id), SlotSet("service_choices", None)]


# Words that make a short message a yes or a no whatever else it holds ("no, not the pension").
_YES_NO_WORDS = set(
    "no not nope nah never cancel stop don dont wrong yes yeah yep yup ok okay sure fine right correct".split()
)
_YES_NO_ZH = ("不", "没", "是", "对", "好", "行", "嗯", "算了", "取消")


def offer_service_choice(
    dispatcher: CollectingDispatcher, tracker: Tracker, service_ids: list[str], intent: str = "ask_service"
) -> list[dict[str, Any]]:
    """Offer the services a vague word could mean (buttons), remembering them so "the first" picks one."""
    lang = language(tracker)
    send(dispatcher, replies_in(lang).choose_service_reply(knowledge_base(lang), service_ids, intent))
    return [
        SlotSet("service_choices", service_ids),
        SlotSet("service_candidates", service_ids),
        SlotSet("topic", INTENT_TOPIC.get(intent, "summary")),
    ]


def only_service_words(kb: KnowledgeBase, text: str) -> Resolution | None:
    """The service(s) a message names when it holds nothing but service words ("pension", "hukou").

    The language model reads one word out of context and may call it a "no" or a greeting; the knowledge
    base's names and shared keywords are the better evidence then. A message with a yes or a no in it is
    left to the model.
    """
    if not text or text.startswith("/") or set(words(text)) & _YES_NO_WORDS or any(w in text for w in _YES_NO_ZH):
        return None
    resolution = resolver(kb).resolve(text, intent="ask_service")
    if resolution.how == "explicit" and resolution.service_id:
        return resolution
    if resolution.how == "keywords" and resolution.choices:
        return resolution
    return None


class ActionInformOutsideForm(Action):
    """A bare answer outside a form: a pick from the choice just offered ("the second"), or nothing to fill."""

    def name(self) -> str:
        return "action_inform_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        picked = answer_offered_choice(dispatcher, tracker)
        if picked is not None:
            return picked
        lang = language(tracker)
        kb = knowledge_base(lang)
        named = kb.find_in_text(tracker.latest_message.get("text") or "")
        if len(named) == 1:  # "jiehunzheng": a bare service name is a question about that service
            return answer_named_service(dispatcher, tracker, named[0])
        if lang == CHINESE:  # domain.yml's responses are English
            send(
                dispatcher,
                Reply(replies_zh.INFORM_WITHOUT_CONTEXT, buttons=list(replies_zh.INFORM_WITHOUT_CONTEXT_BUTTONS)),
            )
            return []
        dispatcher.utter_message(response="utter_inform_without_context")
        return []


class ActionYesNo(Action):
    """Yes or no outside a form, unless the reply is really a pick from the offered choice."""

    def name(self) -> str:
        return "action_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        picked = answer_offered_choice(dispatcher, tracker)
        if picked is not None:
            return picked
        lang = language(tracker)
        named = only_service_words(knowledge_base(lang), tracker.latest_message.get("text") or "")
        if named and named.service_id:  # "hukou", heard as a "yes"
            return answer_named_service(dispatcher, tracker, named.service_id)
        if named:  # "pension", heard as a "no": the services it could mean
            return offer_service_choice(dispatcher, tracker, named.choices)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if lang == CHINESE:  # domain.yml's utter_affirm / utter_deny are English
            dispatcher.utter_message(text=replies_zh.DENY if intent == "deny" else replies_zh.AFFIRM)
            return []
        dispatcher.utter_message(response="utter_deny" if intent == "deny" else "utter_affirm")
        return []


class ActionStartOver(Action):
    """Start over: forget the service, the offered choices and any half-filled form."""

    def name(self) -> str:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (
            replies_zh.START_OVER
            if language(tracker) == CHINESE
            else "All right, let's start again. What can I help you with?"
        )
        send(dispatcher, Reply(text, build("greeting", "start_over", {})))
        return [AllSlotsReset()]
