"""Hall logistics: hours, facilities, accessibility, app help, complaints, handoff.

Every answer is in the language the citizen just used (actions.language): Chinese from the Chinese
knowledge base and actions/replies_zh.py, English otherwise.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies_zh as zh
from actions.context import kiosk_id, now, send
from actions.knowledge import knowledge_base
from actions.language import CHINESE, language
from actions.replies import (
    DAY_NAMES,
    POPULAR,
    Reply,
    days_text,
    hotline_sentence,
    hours_card,
    kiosk_for,
    service_reply,
    visit_fields,
)
from actions.store import store
from cards import build
from kb import KnowledgeBase
from kb.directions import directions_to
from kb.schema import Desk


def hours_reply(kb: KnowledgeBase) -> Reply:
    hall = kb.hall
    parts = [f"{days_text(list(h.days))} from {h.open} to {h.close}" for h in hall.opening_hours]
    open_days = {d for h in hall.opening_hours for d in h.days}
    closed = [DAY_NAMES[d] + "s" for d in DAY_NAMES if d not in open_days]
    text = f"The hall is open {'; '.join(parts)}."
    if closed:
        text += f" It is closed on {' and '.join(closed)} and public holidays."
    today = now().date()
    hours_today = kb.opening_hours_on(today)
    text += f" Today it is open until {hours_today[1]}." if hours_today else " It is closed today."
    card = hours_card(kb, today)
    return Reply(text, card)


def _desk_directions(kb: KnowledgeBase, desk: Desk, kiosk: str | None) -> tuple[str, dict[str, Any]]:
    """At a kiosk: the way from it, and the card's `directions`. On the web: the floor and the hall's
    address, and the card's `visit` (no kiosk, so nothing is "on your left"). In the KB's language."""
    k = kiosk_for(kb, kiosk)
    if kb.lang == CHINESE:
        if k is None:
            return zh.desk_sentence_web(kb, desk.name, desk.floor), {"visit": zh.visit_fields(kb)}
        way = directions_to(k, desk.position, desk.floor, desk.name)
        return zh.way_sentence(way, desk.name, desk.floor), {"directions": way.card()}
    if k is None:
        sentence = f"{desk.name} is on floor {desk.floor} of the {kb.hall.name}, {kb.hall.address}."
        return sentence[0].upper() + sentence[1:], {"visit": visit_fields(kb)}
    way = directions_to(k, desk.position, desk.floor, desk.name)
    return way.sentence, {"directions": way.card()}


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        text = (
            zh.greet_text(kb)
            if kb.lang == CHINESE
            else (
                f"Hello, welcome to the {kb.hall.name}. I can tell you what to bring, where to go, "
                "and get you a queue ticket. What can I help you with?"
            )
        )
        buttons = [
            {"title": kb.services[s].name, "payload": f'/ask_service{{"service":"{s}"}}'}
            for s in POPULAR[:4]
            if s in kb.services
        ]
        send(dispatcher, Reply(text, build("greeting", "greet", {"hall": kb.hall.name}), buttons))
        return []


class ActionHallHours(Action):
    def name(self) -> str:
        return "action_hall_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        lang = language(tracker)
        kb = knowledge_base(lang)
        send(dispatcher, zh.hours_reply(kb, now().date()) if lang == CHINESE else hours_reply(kb))
        return []


class ActionFacilities(Action):
    def name(self) -> str:
        return "action_facilities"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        chinese = kb.lang == CHINESE
        facilities = {f.id: f for f in kb.hall.facilities}
        wanted = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "facility":
                wanted = _match_facility(kb, str(entity.get("value") or ""))
                if wanted:
                    break
        if wanted is None:
            wanted = _match_facility(kb, tracker.latest_message.get("text") or "", in_text=True)
        if wanted is None:
            names = [f.name.lower() for f in kb.hall.facilities]
            text = (
                zh.facilities_text([f.name for f in kb.hall.facilities])
                if chinese
                else "We have " + ", ".join(names[:-1]) + f" and {names[-1]}. Which one are you looking for?"
            )
            buttons = [
                {"title": f.name, "payload": f'/facilities{{"facility":"{f.id}"}}'} for f in kb.hall.facilities[:5]
            ]
            send(
                dispatcher,
                Reply(text, build("hall", "facilities", {"facilities": list(facilities)}), buttons),
            )
            return []
        facility = facilities[wanted]
        text = facility.description.rstrip(".") + "."
        fields: dict[str, Any] = {"facility": facility.model_dump(mode="json")}
        if chinese:
            text = zh.facility_text(facility.description, facility.hours)
        elif facility.hours:
            text += f" Open {facility.hours}."
        k = kiosk_for(kb, kiosk_id(tracker))
        if k is not None and facility.position is not None and facility.floor is not None:
            way = directions_to(k, facility.position, facility.floor, facility.name)
            text += zh.way_sentence(way, facility.name, facility.floor) if chinese else " " + way.sentence
            fields["directions"] = way.card()
        elif k is None:
            text += zh.hall_address_sentence(kb) if chinese else f" The {kb.hall.name} is at {kb.hall.address}."
            fields["visit"] = zh.visit_fields(kb) if chinese else visit_fields(kb)
        send(dispatcher, Reply(text, build("hall", "facility", fields)))
        return []


def _match_facility(kb: KnowledgeBase, text: str, in_text: bool = False) -> str | None:
    text = text.lower()
    for f in kb.hall.facilities:
        names = [f.id, f.name.lower(), *(a.lower() for a in f.aliases)]
        if in_text and kb.lang == CHINESE and any(n in text for n in names if not n.isascii()):
            return f.id  # Chinese is written without spaces: a name anywhere in the words
        if in_text:
            padded = f" {''.join(c if c.isalnum() else ' ' for c in text)} "
            if any(f" {n} " in padded for n in names):
                return f.id
        elif text in names:
            return f.id
    return None


class ActionAccessibilityHelp(Action):
    def name(self) -> str:
        return "action_accessibility_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        desk = kb.hall.accessibility_desk
        sentence, where = _desk_directions(kb, desk, kiosk_id(tracker))
        if kb.lang == CHINESE:
            text = zh.accessibility_text(desk.name, desk.description or "", sentence, kb.hall.sign_language_hours)
            staff = zh.STAFF_TITLE
        else:
            staff = "Talk to staff"
            about = (desk.description or "").rstrip(".")
            text = f"{desk.name} can help: {about}. {sentence} {kb.hall.sign_language_hours}"
        card = build(
            "hall",
            "accessibility",
            {"desk": desk.model_dump(mode="json"), "sign_language_hours": kb.hall.sign_language_hours, **where},
        )
        send(dispatcher, Reply(text, card, [{"title": staff, "payload": "/human_handoff"}]))
        return []


class _TextAnswer:
    """An answer that is one paragraph of hall.yml (a mixin: rasa-sdk registers every Action subclass)."""

    topic = ""
    field = ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        text = str(getattr(kb.hall, self.field)).strip()
        send(
            dispatcher,
            Reply(text, build("hall", self.topic, {self.field: text, "hotline": kb.hall.hotline})),
        )
        return []


class ActionAppHelp(_TextAnswer, Action):
    topic, field = "app_help", "city_app_help"

    def name(self) -> str:
        return "action_app_help"


class ActionCheckProgress(_TextAnswer, Action):
    topic, field = "check_progress", "check_progress"

    def name(self) -> str:
        return "action_check_progress"


class ActionComplaint(_TextAnswer, Action):
    topic, field = "complaint", "complaints"

    def name(self) -> str:
        return "action_complaint"


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        kiosk = kiosk_id(tracker)
        service = tracker.get_slot("service")
        reason = (tracker.latest_message.get("text") or "")[:500]
        request_id = store().record_handoff(tracker.sender_id, service, kiosk, reason, now())
        desk = kb.hall.help_desk
        sentence, where = _desk_directions(kb, desk, kiosk)
        text = (
            zh.handoff_text(kb, sentence)
            if kb.lang == CHINESE
            else (
                f"I've let the staff know you'd like to talk to someone. {sentence} "
                f"You can also call the hotline {kb.hall.hotline}."
            )
        )
        card = build(
            "handoff",
            "human_handoff",
            {
                "request_id": request_id,
                "desk": desk.model_dump(mode="json"),
                **where,
                "hotline": kb.hall.hotline,
                "service_id": service,
            },
        )
        send(dispatcher, Reply(text, card))
        return []


class ActionOutOfScope(Action):
    """Refuse politely, unless the message names a service the knowledge base holds.

    The language model can mistake a short, unusual name ("HPF withdrawal") for
    small talk; refusing a service the hall offers would be the worse error.
    """

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base(language(tracker))
        text = tracker.latest_message.get("text") or ""
        named = kb.find_in_text(text) if not text.startswith("/") else []
        answer = zh.service_reply if kb.lang == CHINESE else service_reply
        if named:
            send(dispatcher, answer(kb, kb.services[named[0]], "summary", kiosk_id(tracker)))
            return [SlotSet("service", named[0])]
        if kb.lang == CHINESE:
            send(
                dispatcher, Reply(zh.out_of_scope_text(kb), build("hall", "out_of_scope", {"hotline": kb.hall.hotline}))
            )
            return []
        hotline = hotline_sentence(kb)
        text = (
            "Sorry, that's not something I can help with here. I can guide you through the services of this hall; "
            f"for anything else, {hotline[0].lower()}{hotline[1:]}"
        )
        send(dispatcher, Reply(text, build("hall", "out_of_scope", {"hotline": kb.hall.hotline})))
        return []
