"""Grounded reply templates: knowledge-base fields in, short speakable text out.

Pure functions, so every sentence the guide can say about a service is testable
without a server. Each reply is at most about three sentences; details go to the
card that kiosks and web chat draw, and to follow-up buttons.
"""

from __future__ import annotations

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


def follow_up_buttons(service: Service, shown: str) -> list[dict[str, str]]:
    order = ["materials", "location", "processing_time", "fee", "online", "steps"]
    picked = [t for t in order if t != shown][:4]
    return [{"title": TOPIC_BUTTONS[t][0], "payload": TOPIC_BUTTONS[t][1]} for t in picked]


def kiosk_for(kb: KnowledgeBase, kiosk_id: str | None) -> Kiosk:
    kiosks = {k.id: k for k in kb.hall.kiosks}
    return kiosks.get(kiosk_id or "", kiosks[kb.hall.default_kiosk])


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
    """The answer about one topic of one service, or an honest "I don't know"."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    builder = _BUILDERS[topic]
    reply = builder(kb, service, kiosk_id)
    if reply is None:
        return unknown_fact(kb, service, topic)
    if not reply.buttons:
        reply.buttons = follow_up_buttons(service, topic)
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
