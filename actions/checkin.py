"""Check in at a kiosk: an appointment booked from home becomes a queue ticket for its zone (issue 16).

The citizen says the reference ("K 7 M, 4 P A"), types it, or shows the confirmation's QR code to the
kiosk's scanner (it types the code's text, `.../checkin/K7M-4PA`, and the kiosk page sends it as
`/check_in{"reference": ...}`). The ticket is issued once, in the same store as other tickets; a second
check-in repeats it. Only at a kiosk: from home the guide explains where and when to check in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import forms_zh as zh
from actions.context import kiosk_id, now, send
from actions.forms import spoken_date
from actions.knowledge import knowledge_base
from actions.language import CHINESE, language
from actions.replies import Reply, the
from actions.service_info import answer_named_service
from actions.store import Appointment, store
from booking_reference import CHECK_IN_SIGNS, candidates, normalise, spoken
from cards import build

# A citizen more than this late has missed the slot: the appointment has expired.
GRACE_MINUTES = 30


def _card(fields: dict[str, Any], appointment: Appointment | None = None, service_name: str | None = None) -> dict:
    top = {"service_id": appointment.service_id, "service_name": service_name} if appointment else {}
    return build("appointment", "check_in", fields, **{k: v for k, v in top.items() if v})


def references_in(tracker: Tracker) -> list[str]:
    """The references the message may hold: an entity (button payload, scanner) first, then the words."""
    found = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "reference":
            ref = normalise(str(entity.get("value") or "")) or next(iter(candidates(str(entity.get("value")))), None)
            if ref:
                found.append(ref)
    return list(dict.fromkeys(found + candidates(tracker.latest_message.get("text") or "")))


def expired(appointment: Appointment, current: dt.datetime) -> bool:
    day = dt.date.fromisoformat(appointment.day)
    if day != current.date():
        return day < current.date()
    hour, minute = (int(x) for x in appointment.slot.split(":"))
    slot = dt.datetime.combine(day, dt.time(hour, minute))
    return current > slot + dt.timedelta(minutes=GRACE_MINUTES)


class ActionCheckIn(Action):
    def name(self) -> str:
        return "action_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        chinese = language(tracker) == CHINESE
        kb = knowledge_base(CHINESE if chinese else None)
        refs = references_in(tracker)
        text = tracker.latest_message.get("text") or ""
        named = kb.find_in_text(text) if not text.startswith("/") else []
        if not refs and len(named) == 1 and not CHECK_IN_SIGNS.search(text):
            # "tell me about the criminal record check": a question about that service, not a check-in.
            return answer_named_service(dispatcher, tracker, named[0])
        if kiosk_id(tracker) is None:
            text = (
                zh.checkin_not_at_kiosk(kb.hall.name, kb.hall.address)
                if chinese
                else (
                    "Check-in is at the hall: on the day of your appointment, say your reference or show the QR code "
                    f"of your confirmation at any kiosk of the {kb.hall.name}, {kb.hall.address}, and you get your "
                    "queue ticket there."
                )
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "not_at_kiosk"})))
            return []
        if not refs:
            text = (
                zh.CHECKIN_NO_REFERENCE
                if chinese
                else (
                    "To check in, please say the reference on your confirmation, letter by letter, or hold its "
                    'QR code under the scanner. For example: "check in K 7 M, 4 P A".'
                )
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "no_reference"})))
            return []
        tickets = store()
        appointment = next((a for a in (tickets.appointment(r) for r in refs) if a is not None), None)
        if appointment is None:
            heard = refs[0]
            text = (
                zh.checkin_unknown(heard)
                if chinese
                else (
                    f"I can't find an appointment with the reference {heard} ({spoken(heard)}). Please check it "
                    "against your confirmation and try again, or ask at the help desk."
                )
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "unknown", "reference": heard})))
            return []
        service = kb.get(appointment.service_id)
        name = service.name if service else appointment.service_id
        current = now()
        day = dt.date.fromisoformat(appointment.day)
        base = {"reference": appointment.reference, "date": appointment.day, "time": appointment.slot}
        if appointment.ticket_number is None and expired(appointment, current):
            text = (
                zh.checkin_expired(appointment.reference, name, day, appointment.slot)
                if chinese
                else (
                    f"The appointment {appointment.reference} for {the(name)} was on {spoken_date(day)} at "
                    f"{appointment.slot}, so it has expired. You can take a queue ticket now or book a new appointment."
                )
            )
            entity = f'{{"service":"{appointment.service_id}"}}'
            buttons = [
                {"title": zh.TICKET_BUTTON if chinese else "Take a queue ticket", "payload": f"/queue_ticket{entity}"},
                {
                    "title": zh.REBOOK_BUTTON if chinese else "Book an appointment",
                    "payload": f"/book_appointment{entity}",
                },
            ]
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "expired", **base}, appointment, name),
                                   buttons))  # fmt: skip
            return []
        if appointment.ticket_number is None and day > current.date():
            text = (
                zh.checkin_early(appointment.reference, name, day, appointment.slot)
                if chinese
                else (
                    f"Your appointment {appointment.reference} for {the(name)} is on {spoken_date(day)} at "
                    f"{appointment.slot}. Please check in on that day."
                )
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "early", **base}, appointment, name)))
            return []
        hours = kb.opening_hours_on(current.date())
        if appointment.ticket_number is None and (
            hours is None or not hours[0] <= current.strftime("%H:%M") < hours[1]
        ):
            text = (
                zh.CHECKIN_HALL_CLOSED
                if chinese
                else "The hall is closed right now, so I can't check you in. Please come back during opening hours."
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "closed", **base}, appointment, name)))
            return []
        if service is None:  # the service was removed from the knowledge base since the booking
            text = (
                zh.checkin_not_here(appointment.reference)
                if chinese
                else f"I can't check in {appointment.reference} here. Please ask at the help desk."
            )
            send(dispatcher, Reply(text, _card({"checked_in": False, "reason": "unknown", **base})))
            return []
        zone = service.location.zone
        checked = tickets.check_in(
            appointment.reference, tracker.sender_id, zone, kb.hall.ticket_zones.get(zone, zone), current
        )
        assert checked is not None  # it was found above, and appointments are never deleted
        appointment_now, ticket = checked
        again = appointment.ticket_number is not None
        windows = " or ".join(service.location.windows)
        lead = "You are already checked in; your ticket number is" if again else "You're checked in: ticket number"
        text = (
            zh.checked_in(
                ticket.number,
                service.name,
                appointment.slot,
                zone,
                service.location.floor,
                list(service.location.windows),
                again,
            )
            if chinese
            else (
                f"{lead} {ticket.number} for {the(service.name)}, appointment at {appointment.slot}. "
                f"Please wait in zone {zone} on floor {service.location.floor}; your number will be called to window "
                f"{windows}."
            )
        )
        fields = {
            "checked_in": True,
            **base,
            "number": ticket.number,
            "zone": zone,
            "floor": service.location.floor,
            "windows": list(service.location.windows),
            "repeated": again,
        }
        send(dispatcher, Reply(text, _card(fields, appointment_now, service.name),
                               [{"title": zh.WHERE_BUTTON if chinese else "Where to go",
                                 "payload": "/find_window"}]))  # fmt: skip
        return [SlotSet("ticket_number", ticket.number), SlotSet("service", service.id)]
