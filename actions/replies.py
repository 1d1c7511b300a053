"""Grounded reply templates: knowledge-base fields in, short speakable text out.

Pure functions, so every sentence the guide can say about a service is testable
without a server. Each reply is at most about three sentences; details go to the
card that kiosks and web chat draw, and to follow-up buttons.

Where the citizen is decides the wording (issue 16): `kiosk_id` is the hall kiosk
they stand at, and only then do answers give directions from it ("on your left",
pointing gestures). None means they are not in the hall (web chat, home page,
REST): answers give the hall's address, floor, zone, windows and opening hours,
lead with the online path when the service can be done fully online, and
otherwise offer an appointment with the checklist to prepare.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cards import SERVICE_TOPICS, build
from kb import KnowledgeBase, Service
from kb.directions import directions_to
from kb.schema import Kiosk

TOPICS = tuple(SERVICE_TOPICS)  # the card contract (cards/) defines the topics a service answer can have

TOPIC_BUTTONS = {
    "materials": ("What to bring", "/ask_materials"),
    "location": ("Where to go", "/find_window"),
    "processing_time": ("How long", "/ask_processing_time"),
    "fee": ("Fee", "/ask_fee"),
    "online": ("Online?", "/ask_online"),
    "steps": ("Steps", "/ask_steps"),
    "eligibility": ("Who can apply", "/ask_eligibility"),
    "cross_province": ("Other provinces", "/ask_cross_province"),
}

FORM_LABEL = {
    "original": "original",
    "copy": "copy",
    "original_and_copy": "original and a copy",
    "electronic": "electronic copy",
}


@dataclass
class Reply:
    text: str
    card: dict[str, Any] | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)

    def payload(self) -> dict[str, Any] | None:
        """Custom JSON for clients, wrapped in `data` (Rasa's socket.io channel drops anything else)."""
        return {"data": self.card} if self.card is not None else None


def the(name: str) -> str:
    """'the resident ID card' from 'Resident ID card', keeping acronyms ('SSC')."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        name = name[0].lower() + name[1:]
    return f"the {name}"


def _join(items: list[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _windows(windows: list[str]) -> str:
    return ("window " if len(windows) == 1 else "windows ") + _join(windows)


def hotline_sentence(kb: KnowledgeBase) -> str:
    return f"Please call the hotline {kb.hall.hotline} or ask at the help desk."


def follow_up_buttons(
    service: Service, shown: str, titles: dict[str, tuple[str, str]] = TOPIC_BUTTONS
) -> list[dict[str, str]]:
    """Up to four other topics; `titles` is the language's button table (the payloads never change)."""
    order = ["materials", "location", "processing_time", "fee", "online", "steps"]
    picked = [t for t in order if t != shown][:4]
    return [{"title": titles[t][0], "payload": titles[t][1]} for t in picked]


def kiosk_for(kb: KnowledgeBase, kiosk_id: str | None) -> Kiosk | None:
    """The hall kiosk the citizen stands at; None on the web (an unknown id is not a place in the hall)."""
    return next((k for k in kb.hall.kiosks if k.id == kiosk_id), None) if kiosk_id else None


DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}  # fmt: skip


def days_text(days: list[str], names: dict[str, str] = DAY_NAMES, through: str = " to ", sep: str = " and ") -> str:
    """'Monday to Friday' or 'Tuesday and Thursday'; other languages pass their day names and joiners."""
    order = list(DAY_NAMES)
    idx = sorted(order.index(d) for d in days)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{names[order[idx[0]]]}{through}{names[order[idx[-1]]]}"
    return sep.join(names[order[i]] for i in idx)


def hours_card(kb: KnowledgeBase, today: dt.date) -> dict[str, Any]:
    """The opening-hours card, the same in every language (the kiosk draws the days from the data)."""
    hall = kb.hall
    upcoming = [c for c in hall.closed_days if c.date >= today]
    return build(
        "hall",
        "hours",
        {
            "opening_hours": [h.model_dump() for h in hall.opening_hours],
            "closed_days": [{"date": c.date.isoformat(), "reason": c.reason} for c in upcoming[:5]],
            "open_today": kb.opening_hours_on(today) is not None,
        },
    )


def hours_text(kb: KnowledgeBase) -> str:
    """'Monday to Friday from 09:00 to 17:00; Saturday from 09:00 to 12:00'."""
    return "; ".join(f"{days_text(list(h.days))} from {h.open} to {h.close}" for h in kb.hall.opening_hours)


def visit_fields(kb: KnowledgeBase) -> dict[str, Any]:
    """The card's `visit`: where the hall is, for a citizen who is not in it."""
    hall = kb.hall
    return {"hall": hall.name, "address": hall.address, "opening_hours": hours_text(kb), "website": hall.website}


def visit_sentence(kb: KnowledgeBase) -> str:
    return f"It is open {hours_text(kb)}."


def prepare_fields(s: Service) -> dict[str, Any]:
    return {
        "materials": [m.model_dump() for m in s.materials or []],
        "appointment_required": s.appointment_required,
        "book": True,
    }


def online_where(s: Service) -> str | None:
    return (s.online.web_url or s.online.app_path) if s.online else None


def fully_online(s: Service) -> bool:
    return bool(s.online and s.online.fully_online)


def web_buttons(
    s: Service, shown: str, titles: dict[str, tuple[str, str]] = TOPIC_BUTTONS, book_title: str = "Book an appointment"
) -> list[dict[str, str]]:
    """On the web, a service that needs a visit offers to book one first."""
    book = {"title": book_title, "payload": f'/book_appointment{{"service":"{s.id}"}}'}
    rest = follow_up_buttons(s, shown, titles)
    return [book, *rest[:3]] if not fully_online(s) else rest


def _card(service: Service, topic: str, fields: dict[str, Any]) -> dict[str, Any]:
    return build("service", topic, fields, service_id=service.id, service_name=service.name)


def unknown_fact(kb: KnowledgeBase, service: Service, topic: str) -> Reply:
    what = {
        "materials": "the materials needed",
        "steps": "the steps",
        "processing_time": "how long it takes",
        "fee": "the fee",
        "online": "whether it can be done online",
        "eligibility": "who can apply",
        "cross_province": "whether it can be done across provinces",
    }.get(topic, "that")
    text = f"I'm sorry, I don't have information on {what} for {the(service.name)}. {hotline_sentence(kb)}"
    card = _card(service, topic, {"unknown": True, "hotline": kb.hall.hotline})
    return Reply(text, card, follow_up_buttons(service, topic))


def service_reply(kb: KnowledgeBase, service: Service, topic: str, kiosk_id: str | None = None) -> Reply:
    """The answer about one topic of one service, or an honest "I don't know".

    `kiosk_id`: the hall kiosk the citizen stands at (actions.context.kiosk_id); None = on the web.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    kiosk = kiosk_for(kb, kiosk_id)
    web = kiosk is None
    builder = _WEB_BUILDERS.get(topic) if web else None
    reply = builder(kb, service) if builder else _BUILDERS[topic](kb, service, kiosk_id)
    if reply is None:
        return unknown_fact(kb, service, topic)
    if not reply.buttons:
        reply.buttons = web_buttons(service, topic) if web else follow_up_buttons(service, topic)
    return reply


def _summary(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply:
    loc = s.location
    where = f"{_windows(loc.windows)}, zone {loc.zone}, floor {loc.floor}"
    text = f"{s.name}: {s.summary.rstrip('.')}. It is handled at {where}."
    fields: dict[str, Any] = {"summary": s.summary, "location": loc.model_dump(), "department": s.department}
    if s.online is not None:
        fields["online"] = s.online.model_dump()
        if s.online.fully_online:
            text += " You can also apply online."
    return Reply(text, _card(s, "summary", fields))


def _materials(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.materials:
        return None
    items = [f"{m.name} ({FORM_LABEL[m.form]})" for m in s.materials]
    count = len(items)
    text = (
        f"For {the(s.name)}, please bring {count} item{'s' if count > 1 else ''}: {_join(items)}."
        " The full checklist is on the screen."
    )
    return Reply(text, _card(s, "materials", {"materials": [m.model_dump() for m in s.materials]}))


def _steps(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.steps:
        return None
    words = ["First", "Then", "Then", "Then", "Then"]
    parts = []
    for i, step in enumerate(s.steps):
        lead = "finally" if i == len(s.steps) - 1 and i > 0 else words[min(i, 4)].lower()
        parts.append(f"{lead}, {step[0].lower()}{step[1:].rstrip('.')}")
    parts[0] = parts[0][0].upper() + parts[0][1:]
    text = (
        f"There {'are' if len(s.steps) > 1 else 'is'} {len(s.steps)} step{'s' if len(s.steps) > 1 else ''}. "
        + "; ".join(parts)
        + "."
    )
    return Reply(text, _card(s, "steps", {"steps": list(s.steps)}))


def _location(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply:
    loc = s.location
    zone = next(z for z in kb.hall.zones if z.id == loc.zone)
    kiosk = kiosk_for(kb, kiosk_id)
    assert kiosk is not None, "kiosk-relative directions need a kiosk (the web has _web_location)"
    way = directions_to(kiosk, zone.position, zone.floor, f"Zone {zone.id}")
    floor = f", on floor {zone.floor}" if way.floor_change == 0 else ""
    text = f"For {the(s.name)}, go to {_windows(loc.windows)} in zone {zone.id} ({zone.name}){floor}. {way.sentence}"
    fields = {
        "location": loc.model_dump(),
        "zone_name": zone.name,
        "directions": way.card(),
    }
    return Reply(text, _card(s, "location", fields))


def _processing_time(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.processing_time:
        return None
    text = (
        f"For {the(s.name)}, the processing time is {s.processing_time[0].lower()}{s.processing_time[1:].rstrip('.')}."
    )
    return Reply(text, _card(s, "processing_time", {"processing_time": s.processing_time}))


def _fee(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if s.fee is None:
        return None
    if s.fee.free:
        text = f"There is no fee for {the(s.name)}."
    else:
        amount = f"{s.fee.amount:g}"
        unit = "yuan" if s.fee.currency == "CNY" else s.fee.currency
        text = f"The fee for {the(s.name)} is {amount} {unit}."
    if s.fee.notes:
        text += f" {s.fee.notes.rstrip('.')}."
    return Reply(text, _card(s, "fee", {"fee": s.fee.model_dump()}))


def _online(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if s.online is None:
        return None
    o = s.online
    where = o.app_path or o.web_url
    if o.fully_online:
        text = f"Yes, you can apply for {the(s.name)} fully online: {where}."
    else:
        text = f"No, {the(s.name)} can't be done fully online; you need to come to the hall."
        if where:
            text += f" You can start it at {where}."
    if o.notes:
        text += f" {o.notes.rstrip('.')}."
    return Reply(text, _card(s, "online", {"online": o.model_dump()}))


def _eligibility(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.eligibility:
        return None
    rules = [e.rstrip(".") for e in s.eligibility[:2]]
    text = f"Who can apply for {the(s.name)}: " + "; ".join(rules) + "."
    if len(s.eligibility) > 2:
        text += " More conditions are on the screen."
    return Reply(text, _card(s, "eligibility", {"eligibility": list(s.eligibility)}))


def _cross_province(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    cp = s.cross_province
    if cp is None:
        return None
    text = (
        f"Yes, {the(s.name)} can be handled across provinces."
        if cp.available
        else f"No, {the(s.name)} can't be handled across provinces."
    )
    if cp.how:
        text += f" {cp.how.rstrip('.')}."
    return Reply(text, _card(s, "cross_province", {"cross_province": cp.model_dump()}))


# --- on the web: no kiosk, so no directions; online first, else prepare one visit -------------------------------
def _web_where(kb: KnowledgeBase, s: Service) -> str:
    loc = s.location
    zone = next(z for z in kb.hall.zones if z.id == loc.zone)
    return (
        f"{_windows(loc.windows)} in zone {zone.id} ({zone.name}) on floor {zone.floor} of the {kb.hall.name}, "
        f"{kb.hall.address}"
    )


def _online_lead(s: Service) -> str:
    return f"You don't need to come in: {the(s.name)} can be done fully online at {online_where(s)}."


def _web_summary(kb: KnowledgeBase, s: Service) -> Reply:
    loc = s.location
    fields: dict[str, Any] = {
        "summary": s.summary,
        "location": loc.model_dump(),
        "department": s.department,
        "visit": visit_fields(kb),
    }
    if s.online is not None:
        fields["online"] = s.online.model_dump()
    if fully_online(s):
        text = f"{_online_lead(s)} {s.name}: {s.summary.rstrip('.')}."
    else:
        fields["prepare"] = prepare_fields(s)
        text = (
            f"{s.name}: {s.summary.rstrip('.')}. It needs one visit to {_web_where(kb, s)}. "
            "I can book you an appointment, and the checklist shows what to bring."
        )
    return Reply(text, _card(s, "summary", fields))


def _web_location(kb: KnowledgeBase, s: Service) -> Reply:
    loc = s.location
    zone = next(z for z in kb.hall.zones if z.id == loc.zone)
    fields: dict[str, Any] = {"location": loc.model_dump(), "zone_name": zone.name, "visit": visit_fields(kb)}
    where = f"For {the(s.name)}, go to {_web_where(kb, s)}. {visit_sentence(kb)}"
    if fully_online(s):
        assert s.online is not None
        fields["online"] = s.online.model_dump()
        text = f"{_online_lead(s)} If you prefer to come, go to {_web_where(kb, s)}. {visit_sentence(kb)}"
    else:
        fields["prepare"] = prepare_fields(s)
        text = f"{where} I can book you an appointment, and the checklist shows what to bring."
    return Reply(text, _card(s, "location", fields))


def _web_online(kb: KnowledgeBase, s: Service) -> Reply | None:
    if s.online is None:
        return None
    o = s.online
    fields: dict[str, Any] = {"online": o.model_dump(), "visit": visit_fields(kb)}
    if o.fully_online:
        text = f"Yes. {_online_lead(s)}"
    else:
        fields["prepare"] = prepare_fields(s)
        text = f"No, {the(s.name)} can't be done fully online; it needs one visit to {_web_where(kb, s)}."
        if online_where(s):
            text += f" You can start it at {online_where(s)}."
        text += " I can book you an appointment, and the checklist shows what to bring."
    if o.notes:
        text += f" {o.notes.rstrip('.')}."
    return Reply(text, _card(s, "online", fields))


_WEB_BUILDERS = {"summary": _web_summary, "location": _web_location, "online": _web_online}

_BUILDERS = {
    "summary": _summary,
    "materials": _materials,
    "steps": _steps,
    "location": _location,
    "processing_time": _processing_time,
    "fee": _fee,
    "online": _online,
    "eligibility": _eligibility,
    "cross_province": _cross_province,
}


def choose_service_reply(kb: KnowledgeBase, service_ids: list[str], intent: str) -> Reply:
    """Offer a choice when a request could mean several services."""
    names = [kb.services[s].name for s in service_ids]
    text = f"I can help with several things there: {_join(names, 'or')}. Which one do you mean?"
    buttons = [{"title": kb.services[s].name, "payload": f'/{intent}{{"service":"{s}"}}'} for s in service_ids]
    card = build("choice", "disambiguation", {"options": service_ids})
    return Reply(text, card, buttons)


POPULAR = ["newborn_bundle", "social_security_card", "id_card", "provident_fund_withdrawal", "passport_travel_permit"]


def which_service_reply(
    kb: KnowledgeBase, intent: str = "ask_service", question: str = "Which service is it about?"
) -> Reply:
    options = [s for s in POPULAR if s in kb.services] or list(kb.services)[:5]
    text = f"{question} You can name it, for example the ID card or the housing provident fund."
    buttons = [{"title": kb.services[s].name, "payload": f'/{intent}{{"service":"{s}"}}'} for s in options]
    return Reply(text, build("choice", "which_service", {"options": options}), buttons)
