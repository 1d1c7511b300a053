"""Queue tickets and appointments: form validation and the actions that commit them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import kiosk_id, now, send
from actions.dates import clean_name, parse_date, parse_time
from actions.hall import DAY_NAMES
from actions.knowledge import knowledge_base
from actions.reference import spoken
from actions.replies import Reply, choose_service_reply, the, visit_fields, which_service_reply
from actions.service_info import resolve_service
from actions.store import store
from cards import build

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
        send(dispatcher, which_service_reply(knowledge_base(), question=f"Which service is the {what} for?"))
        return []


class _Ask:
    """A form question (custom actions, so the prompts live beside their validation)."""

    text = ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        card = build("form", "appointment", {"asking": self.name().removeprefix("action_ask_")})
        send(dispatcher, Reply(self.text, card))
        return []


class ActionAskApptDate(_Ask, Action):
    text = 'Which day would you like to come? For example "next Monday" or "3 December".'

    def name(self) -> str:
        return "action_ask_appt_date"


class ActionAskApptTime(_Ask, Action):
    text = 'What time suits you? For example "10:30" or "2 pm".'

    def name(self) -> str:
        return "action_ask_appt_time"


class ActionAskApptName(_Ask, Action):
    text = "And what name should the appointment be under?"

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
        kb = knowledge_base()
        service_id, candidates = resolve_service(kb, tracker)
        if service_id:
            return {"service": service_id}
        if candidates:
            send(dispatcher, choose_service_reply(kb, candidates, "ask_service"))
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
        kb = knowledge_base()
        today = now().date()
        day = parse_date(str(slot_value or ""), today)
        if day is None:
            dispatcher.utter_message(text="Sorry, I couldn't read that as a date.")
            return {"appt_date": None}
        if day < today:
            dispatcher.utter_message(text=f"{spoken_date(day)} has already passed. Please choose a day from today on.")
            return {"appt_date": None}
        if day > today + dt.timedelta(days=kb.hall.appointment_days_ahead):
            dispatcher.utter_message(
                text=f"Appointments can be booked up to {kb.hall.appointment_days_ahead} days ahead. "
                "Please choose an earlier day."
            )
            return {"appt_date": None}
        if not kb.is_open(day):
            holiday = next((c.reason for c in kb.hall.closed_days if c.date == day), None)
            why = f"for {holiday}" if holiday else "on that day of the week"
            dispatcher.utter_message(
                text=f"The hall is closed on {spoken_date(day)} ({why}). Please choose another day."
            )
            return {"appt_date": None}
        return {"appt_date": day.isoformat()}

    def validate_appt_time(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kb = knowledge_base()
        when = parse_time(str(slot_value or ""))
        day_text = tracker.get_slot("appt_date")
        if when is None or not day_text:
            dispatcher.utter_message(text="Sorry, I couldn't read that as a time.")
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
                text=f"On {spoken_date(day)} appointments run from {hours[0]} to {_clock(last_m)}. "
                "Please pick a time in between."
            )
            return {"appt_time": None}
        current = now()
        if day == current.date() and minutes <= current.hour * 60 + current.minute:
            dispatcher.utter_message(text="That time has already passed today. Please pick a later time.")
            return {"appt_time": None}
        return {"appt_time": _clock(minutes)}

    def validate_appt_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_name(str(slot_value or ""))
        if name is None:
            dispatcher.utter_message(text="Sorry, I need a name of 2 to 60 letters for the booking.")
            return {"appt_name": None}
        return {"appt_name": name}


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
        kb = knowledge_base()
        service_id = tracker.get_slot("service")
        service = kb.get(service_id)
        if service is None:
            send(dispatcher, which_service_reply(kb, "queue_ticket"))
            return []
        current = now()
        hours = kb.opening_hours_on(current.date())
        if hours is None or not hours[0] <= current.strftime("%H:%M") < hours[1]:
            text = "The hall is closed right now, so I can't issue a ticket. You can book an appointment instead."
            send(
                dispatcher,
                Reply(
                    text,
                    build("ticket", "queue_ticket", {"issued": False, "reason": "closed"}, service_id=service.id),
                    [{"title": "Book an appointment", "payload": "/book_appointment"}],
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
            f"{lead} {ticket.number} for {the(service.name)}. "
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
        send(dispatcher, Reply(text, card, [{"title": "Where to go", "payload": "/find_window"}]))
        return [SlotSet("ticket_number", ticket.number)]


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = knowledge_base()
        service = kb.get(tracker.get_slot("service"))
        day_text, slot, name = (tracker.get_slot(s) for s in ("appt_date", "appt_time", "appt_name"))
        if service is None or not (day_text and slot and name):
            dispatcher.utter_message(text="Sorry, something was missing, so nothing was booked. Let's try again.")
            return [SlotSet("appt_date", None), SlotSet("appt_time", None), SlotSet("appt_name", None)]
        day = dt.date.fromisoformat(day_text)
        booking = store().book(tracker.sender_id, service.id, day, slot, name, now())
        where = f"zone {service.location.zone} on floor {service.location.floor}"
        if kiosk_id(tracker) is None:
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
        if kiosk_id(tracker) is None:
            fields["visit"] = visit_fields(kb)
        card = build(
            "appointment",
            "book_appointment",
            fields,
            service_id=service.id,
            service_name=service.name,
        )
        send(dispatcher, Reply(text, card))
        return [SlotSet("appt_date", None), SlotSet("appt_time", None), SlotSet("appt_name", None)]
