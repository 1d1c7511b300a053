"""Queue tickets and appointments: form validation and the actions that commit them.

Each turn answers in the language the citizen just used (actions/language.py); the Chinese texts are in
forms_zh.py, and dates, times and names are read in either language whichever the session is in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import forms_zh as zh
from actions import replies as _replies_en
from actions import replies_zh
from actions.context import kiosk_id, now, send
from actions.dates import clean_name, parse_date, parse_time
from actions.dates_zh import clean_name_zh, parse_date_zh, parse_time_zh
from actions.hall import DAY_NAMES
from actions.knowledge import knowledge_base
from actions.language import CHINESE, language
from actions.replies import Reply, choose_service_reply, the, which_service_reply
from actions.service_info import resolve_service
from actions.store import store
from booking_reference import spoken
from cards import build
from privacy.rules import PLACEHOLDERS

STARTING_INTENTS = {"queue_ticket", "book_appointment"}


def spoken_date(day: dt.date) -> str:
    return f"{DAY_NAMES[list(DAY_NAMES)[day.weekday()]]} {day.day} {day.strftime('%B')}"


class ActionAskService(Action):
    """Asked by both forms when they need to know which service it is for."""

    def name(self) -> str:
        return "action_ask_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        form = tracker.active_loop.get("name") if tracker.active_loop else None
        what = "ticket" if form == "queue_ticket_form" else "appointment"
        lang = language(tracker)
        if lang == CHINESE:
            send(dispatcher, replies_zh.which_service_reply(knowledge_base(lang), question=zh.ask_service(what)))
        else:
            send(dispatcher, which_service_reply(knowledge_base(), question=f"Which service is the {what} for?"))
        return []


class _Ask:
    """A form question (custom actions, so the prompts live beside their validation)."""

    text = ""
    text_zh = ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        card = build("form", "appointment", {"asking": self.name().removeprefix("action_ask_")})
        send(dispatcher, Reply(self.text_zh if language(tracker) == CHINESE else self.text, card))
        return []


class ActionAskApptDate(_Ask, Action):
    text = 'Which day would you like to come? For example "next Monday" or "3 December".'
    text_zh = zh.ASK_DATE

    def name(self) -> str:
        return "action_ask_appt_date"


class ActionAskApptTime(_Ask, Action):
    text = 'What time suits you? For example "10:30" or "2 pm".'
    text_zh = zh.ASK_TIME

    def name(self) -> str:
        return "action_ask_appt_time"


class ActionAskApptName(_Ask, Action):
    text = "And what name should the appointment be under?"
    text_zh = zh.ASK_NAME

    def name(self) -> str:
        return "action_ask_appt_name"


class _ServiceSlot:
    """Service extraction shared by both forms (a mixin: rasa-sdk registers every Action subclass)."""

    async def extract_service(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") != "service" and intent not in STARTING_INTENTS:
            return {}
        lang = language(tracker)
        kb = knowledge_base(lang)
        service_id, candidates = resolve_service(kb, tracker)
        if service_id:
            return {"service": service_id}
        if candidates:
            choose = replies_zh.choose_service_reply if lang == CHINESE else choose_service_reply
            send(dispatcher, choose(kb, candidates, "ask_service"))
        return {}

    def validate_service(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if slot_value in knowledge_base().services:
            return {"service": slot_value}
        return {"service": None}


class ValidateQueueTicketForm(_ServiceSlot, FormValidationAction):
    def name(self) -> str:
        return "validate_queue_ticket_form"


class ValidateAppointmentForm(_ServiceSlot, FormValidationAction):
    def name(self) -> str:
        return "validate_appointment_form"

    def validate_appt_date(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        chinese = language(tracker) == CHINESE
        kb = knowledge_base(CHINESE if chinese else None)
        today = now().date()
        text = str(slot_value or "")
        day = parse_date(text, today) or parse_date_zh(text, today)
        if day is None:
            dispatcher.utter_message(text=zh.BAD_DATE if chinese else "Sorry, I couldn't read that as a date.")
            return {"appt_date": None}
        if day < today:
            dispatcher.utter_message(
                text=zh.date_passed(day)
                if chinese
                else f"{spoken_date(day)} has already passed. Please choose a day from today on."
            )
            return {"appt_date": None}
        if day > today + dt.timedelta(days=kb.hall.appointment_days_ahead):
            dispatcher.utter_message(
                text=zh.too_far_ahead(kb.hall.appointment_days_ahead)
                if chinese
                else f"Appointments can be booked up to {kb.hall.appointment_days_ahead} days ahead. "
                "Please choose an earlier day."
            )
            return {"appt_date": None}
        if not kb.is_open(day):
            holiday = next((c.reason for c in kb.hall.closed_days if c.date == day), None)
            why = f"for {holiday}" if holiday else "on that day of the week"
            dispatcher.utter_message(
                text=zh.hall_closed_on(day, holiday)
                if chinese
                else f"The hall is closed on {spoken_date(day)} ({why}). Please choose another day."
            )
            return {"appt_date": None}
        return {"appt_date": day.isoformat()}

    def validate_appt_time(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        chinese = language(tracker) == CHINESE
        kb = knowledge_base()
        text = str(slot_value or "")
        # Chinese first when the text is Chinese: "下午两点" holds a digit the English reader would take as 2 a.m.
        when = (parse_time_zh(text) or parse_time(text)) if chinese else (parse_time(text) or parse_time_zh(text))
        day_text = tracker.get_slot("appt_date")
        if when is None or not day_text:
            dispatcher.utter_message(text=zh.BAD_TIME if chinese else "Sorry, I couldn't read that as a time.")
            return {"appt_time": None}
        day = dt.date.fromisoformat(day_text)
        hours = kb.opening_hours_on(day)
        assert hours is not None  # the date was validated against opening hours
        step = kb.hall.appointment_slot_minutes
        minutes = when.hour * 60 + when.minute
        minutes -= minutes % step
        open_m = _minutes(hours[0])
        last_m = _minutes(hours[1]) - step
        if not open_m <= minutes <= last_m:
            dispatcher.utter_message(
                text=zh.outside_slots(day, hours[0], _clock(last_m))
                if chinese
                else f"On {spoken_date(day)} appointments run from {hours[0]} to {_clock(last_m)}. "
                "Please pick a time in between."
            )
            return {"appt_time": None}
        current = now()
        if day == current.date() and minutes <= current.hour * 60 + current.minute:
            dispatcher.utter_message(
                text=zh.TIME_PASSED if chinese else "That time has already passed today. Please pick a later time."
            )
            return {"appt_time": None}
        return {"appt_time": _clock(minutes)}

    def validate_appt_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(slot_value or "")
        chinese = language(tracker) == CHINESE
        name = (clean_name_zh(text) or clean_name(text)) if chinese else clean_name(text)
        if name is None:
            dispatcher.utter_message(
                text=zh.BAD_NAME if chinese else "Sorry, I need a name of 2 to 60 letters for the booking."
            )
            return {"appt_name": None}
        # The tracker store writes the slot masked ("[name]", which is what Rasa reads back next turn):
        # the real name is kept in the action server's store for the booking.
        store().remember(tracker.sender_id, "appt_name", name, now())
        return {"appt_name": name}


def personal_slot(tracker: Tracker, slot: str) -> str | None:
    """A personal slot's real value: the slot itself during the turn it was given, else the action store's copy."""
    value = tracker.get_slot(slot)
    if value and value not in PLACEHOLDERS:
        return value
    return store().recall(tracker.sender_id, slot) if value else None


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def checkin_code(website: str | None, reference: str) -> str:
    """What the confirmation's QR code holds: the hall's check-in address for the reference.

    A phone opens it as a link; a kiosk's USB scanner types it, and the kiosk checks in with the reference in it.
    """
    return f"{website.rstrip('/')}/checkin/{reference}" if website else reference


class ActionIssueTicket(Action):
    def name(self) -> str:
        return "action_issue_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        chinese = language(tracker) == CHINESE
        kb = knowledge_base(CHINESE if chinese else None)
        service_id = tracker.get_slot("service")
        service = kb.get(service_id)
        if service is None:
            send(dispatcher, (replies_zh if chinese else _replies_en).which_service_reply(kb, "queue_ticket"))
            return []
        current = now()
        hours = kb.opening_hours_on(current.date())
        if hours is None or not hours[0] <= current.strftime("%H:%M") < hours[1]:
            text = (
                zh.HALL_CLOSED_TICKET
                if chinese
                else "The hall is closed right now, so I can't issue a ticket. You can book an appointment instead."
            )
            send(
                dispatcher,
                Reply(
                    text,
                    build("ticket", "queue_ticket", {"issued": False, "reason": "closed"}, service_id=service.id),
                    [{"title": zh.BOOK_BUTTON if chinese else "Book an appointment", "payload": "/book_appointment"}],
                ),
            )
            return []
        tickets = store()
        ticket = tickets.ticket_for(tracker.sender_id, service.id, current.date())
        again = ticket is not None
        if ticket is None:
            zone = service.location.zone
            ticket = tickets.issue_ticket(
                tracker.sender_id, service.id, zone, kb.hall.ticket_zones.get(zone, zone), current
            )
        windows = " or ".join(service.location.windows)
        lead = "Your ticket number is still" if again else "Your ticket number is"
        text = (
            zh.ticket_issued(
                ticket.number,
                service.name,
                service.location.zone,
                service.location.floor,
                list(service.location.windows),
                again,
            )
            if chinese
            else f"{lead} {ticket.number} for {the(service.name)}. "
            f"Please wait in zone {service.location.zone} on floor {service.location.floor}; "
            f"your number will be called to window {windows}."
        )
        card = build(
            "ticket",
            "queue_ticket",
            {
                "issued": True,
                "number": ticket.number,
                "zone": service.location.zone,
                "floor": service.location.floor,
                "windows": list(service.location.windows),
                "issued_at": ticket.issued_at,
                "repeated": again,
            },
            service_id=service.id,
            service_name=service.name,
        )
        where = zh.WHERE_BUTTON if chinese else "Where to go"
        send(dispatcher, Reply(text, card, [{"title": where, "payload": "/find_window"}]))
        return [SlotSet("ticket_number", ticket.number)]


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        chinese = language(tracker) == CHINESE
        kb = knowledge_base(CHINESE if chinese else None)
        service = kb.get(tracker.get_slot("service"))
        day_text, slot = tracker.get_slot("appt_date"), tracker.get_slot("appt_time")
        name = personal_slot(tracker, "appt_name")
        if service is None or not (day_text and slot and name):
            dispatcher.utter_message(
                text=zh.MISSING if chinese else "Sorry, something was missing, so nothing was booked. Let's try again."
            )
            return [SlotSet("appt_date", None), SlotSet("appt_time", None), SlotSet("appt_name", None)]
        day = dt.date.fromisoformat(day_text)
        booking = store().book(tracker.sender_id, service.id, day, slot, name, now())
        at_home = kiosk_id(tracker) is None
        if chinese:
            where = zh.where_to_go(
                service.location.zone,
                service.location.floor,
                kb.hall.name if at_home else None,
                kb.hall.address if at_home else None,
            )
            text = zh.booked(service.name, day, slot, name, booking.reference, where)
        else:
            where = f"zone {service.location.zone} on floor {service.location.floor}"
            if at_home:
                where += f" of the {kb.hall.name}, {kb.hall.address}"
            text = (
                f"Booked: {service.name} on {spoken_date(day)} at {slot}, under the name {name}. "
                f"Your reference is {booking.reference} ({spoken(booking.reference)}). "
                f"On the day, say it or show the QR code at a kiosk to check in, then go to {where}."
            )
        fields = {
            "reference": booking.reference,
            "date": booking.day,
            "time": slot,
            "name": name,
            "location": service.location.model_dump(),
            "checkin_code": checkin_code(kb.hall.website, booking.reference),
        }
        if at_home:
            fields["visit"] = (replies_zh if chinese else _replies_en).visit_fields(kb)
        card = build(
            "appointment",
            "book_appointment",
            fields,
            service_id=service.id,
            service_name=service.name,
        )
        send(dispatcher, Reply(text, card))
        # Naming the name again in this turn's events tells the tracker store to mask it in the confirmation
        # just sent, even when it was given in an earlier turn (it is stored as "[name]" like the others).
        return [SlotSet("appt_name", name), SlotSet("appt_date", None), SlotSet("appt_time", None),
                SlotSet("appt_name", None)]  # fmt: skip
