"""Read conversations from Rasa's SQL tracker store (SQLite by default, PostgreSQL via a URL).

The trainer never writes to the tracker store. `sync()` folds new events into the trainer's own
inbox index (one row per conversation and per user message, masked) incrementally by event id,
so listing 10,000 conversations is a query on a small indexed table rather than a scan of every
event. `conversation()` reads one conversation's events directly for the turn-by-turn view.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    exists,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine

from trainer.language import message_language, metadata_language
from trainer.masking import NAME, NAME_SLOTS, mask_text
from trainer.state import State, conv_index, index_meta, msg_index, reviewed

_events_md = MetaData()
events = Table(
    "events",
    _events_md,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

FALLBACK_ACTIONS = {"action_default_fallback", "action_two_stage_fallback", "action_default_ask_rephrase"}
HANDOFF_ACTIONS = {"action_human_handoff"}
CHANNELS = ("kiosk", "web", "other")


def open_tracker(url: str) -> Engine:
    return create_engine(url, future=True)


def channel_of(data: dict[str, Any]) -> tuple[str, str | None]:
    """(channel, kiosk id) of a user event: the bridge says `channel: kiosk`; socket.io is the web chat."""
    meta = data.get("metadata") or {}
    custom = meta.get("customData") if isinstance(meta.get("customData"), dict) else {}
    kiosk = meta.get("kiosk_id") or custom.get("kiosk_id")
    if meta.get("channel") == "kiosk" or custom.get("channel") == "kiosk":
        return "kiosk", kiosk
    if data.get("input_channel") == "socketio" or meta.get("channel") == "web":
        return "web", kiosk
    return "other", kiosk


def _intent(data: dict[str, Any]) -> tuple[str | None, float | None]:
    intent = (data.get("parse_data") or {}).get("intent") or {}
    return intent.get("name"), intent.get("confidence")


def sync(state: State, tracker: Engine, batch: int = 5000) -> int:
    """Bring the inbox index up to date with the tracker store; returns how many events were read."""
    with state.engine.connect() as sconn:
        row = sconn.execute(select(index_meta.c.value).where(index_meta.c.key == "last_event_id")).first()
    last = int(row[0]) if row else 0
    with tracker.connect() as tconn:
        try:
            max_id = tconn.execute(select(func.max(events.c.id))).scalar()
        except Exception:  # no tracker store yet (Rasa has not run): an empty inbox
            return 0
    if max_id is None or max_id < last:  # the tracker store was replaced: rebuild
        with state.engine.begin() as sconn:
            sconn.execute(delete(conv_index))
            sconn.execute(delete(msg_index))
        last = 0
    seen = 0
    while max_id is not None and last < max_id:
        with tracker.connect() as tconn:
            rows = tconn.execute(
                select(
                    events.c.id,
                    events.c.sender_id,
                    events.c.type_name,
                    events.c.timestamp,
                    events.c.action_name,
                    events.c.data,
                )
                .where(events.c.id > last, events.c.type_name.in_(("user", "action", "slot")))
                .order_by(events.c.id)
                .limit(batch)
            ).all()
        if not rows:
            break
        _fold(state, rows)
        seen += len(rows)
        last = rows[-1].id
        with state.engine.begin() as sconn:
            _set_meta(sconn, "last_event_id", str(last))
    return seen


def _set_meta(conn, key: str, value: str) -> None:
    if conn.execute(select(index_meta.c.key).where(index_meta.c.key == key)).first():
        conn.execute(update(index_meta).where(index_meta.c.key == key).values(value=value))
    else:
        conn.execute(insert(index_meta).values(key=key, value=value))


def _fold(state: State, rows) -> None:
    senders = {r.sender_id for r in rows}
    with state.engine.begin() as conn:
        existing = {
            r["sender_id"]: dict(r)
            for r in conn.execute(select(conv_index).where(conv_index.c.sender_id.in_(senders))).mappings()
        }
        convs: dict[str, dict] = {}
        messages: list[dict] = []
        for r in rows:
            c = convs.get(r.sender_id) or existing.get(r.sender_id)
            if c is None:
                c = {
                    "sender_id": r.sender_id,
                    "first_ts": r.timestamp,
                    "last_ts": r.timestamp,
                    "channel": None,
                    "kiosk_id": None,
                    "turns": 0,
                    "min_conf": None,
                    "fallback": False,
                    "handoff": False,
                    "snippet": "",
                    "requested_slot": None,
                    "languages": "",
                    "session_language": None,
                }
            convs[r.sender_id] = c
            c["last_ts"] = max(c["last_ts"] or 0, r.timestamp or 0)
            if r.type_name == "action":
                if r.action_name in FALLBACK_ACTIONS:
                    c["fallback"] = True
                if r.action_name in HANDOFF_ACTIONS:
                    c["handoff"] = True
                continue
            data = json.loads(r.data or "{}")
            if r.type_name == "slot":
                if data.get("name") == "requested_slot":
                    c["requested_slot"] = data.get("value")
                continue
            text = data.get("text") or ""
            c["session_language"] = metadata_language(data.get("metadata")) or c["session_language"]
            language = message_language(text, c["session_language"])  # the words as said, not the mask
            c["languages"] = " ".join(sorted(set(c["languages"].split()) | {language}))
            if c["requested_slot"] in NAME_SLOTS and not text.startswith("/"):
                text = NAME
            text = mask_text(text)
            name, conf = _intent(data)
            channel, kiosk = channel_of(data)
            if c["channel"] is None or channel != "other":
                c["channel"] = channel
            c["kiosk_id"] = c["kiosk_id"] or kiosk
            c["turns"] += 1
            if name == "nlu_fallback":
                c["fallback"] = True
            if name == "human_handoff":
                c["handoff"] = True
            if conf is not None and (c["min_conf"] is None or conf < c["min_conf"]):
                c["min_conf"] = conf
                c["snippet"] = text
            elif not c["snippet"]:
                c["snippet"] = text
            messages.append(
                {
                    "event_id": r.id,
                    "sender_id": r.sender_id,
                    "ts": r.timestamp,
                    "text": text,
                    "intent": name,
                    "confidence": conf,
                    "language": language,
                }
            )
        for sender, c in convs.items():
            if sender in existing:
                conn.execute(update(conv_index).where(conv_index.c.sender_id == sender).values(**c))
            else:
                conn.execute(insert(conv_index).values(**c))
        if messages:
            conn.execute(insert(msg_index), messages)


@dataclass
class InboxFilter:
    """What the trainer wants to see; every field is optional."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str | None = None
    kiosk_id: str | None = None
    intent: str | None = None
    below: float | None = None
    fallback: bool | None = None
    handoff: bool | None = None
    reviewed: bool | None = None
    language: str | None = None  # conversations with at least one message in this language
    page: int = 1
    per_page: int = 50


@dataclass
class InboxPage:
    rows: list[dict]
    total: int
    filters: InboxFilter
    kiosks: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def _ts(day: dt.date, end: bool = False) -> float:
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return moment.timestamp()


def inbox(state: State, f: InboxFilter) -> InboxPage:
    c = conv_index
    cond = []
    if f.date_from:
        cond.append(c.c.last_ts >= _ts(f.date_from))
    if f.date_to:
        cond.append(c.c.first_ts <= _ts(f.date_to, end=True))
    if f.channel:
        cond.append(c.c.channel == f.channel)
    if f.kiosk_id:
        cond.append(c.c.kiosk_id == f.kiosk_id)
    if f.below is not None:
        cond.append(c.c.min_conf < f.below)
    if f.fallback is not None:
        cond.append(c.c.fallback == f.fallback)
    if f.handoff is not None:
        cond.append(c.c.handoff == f.handoff)
    if f.intent:
        # IN (uncorrelated subquery) is evaluated once; a correlated EXISTS let SQLite pick the intent index
        # and rescan it for every conversation (seconds with 10,000 conversations).
        cond.append(c.c.sender_id.in_(select(msg_index.c.sender_id).where(msg_index.c.intent == f.intent)))
    if f.language:
        cond.append(c.c.sender_id.in_(select(msg_index.c.sender_id).where(msg_index.c.language == f.language)))
    is_reviewed = exists().where(reviewed.c.sender_id == c.c.sender_id)
    if f.reviewed is True:
        cond.append(is_reviewed)
    elif f.reviewed is False:
        cond.append(~is_reviewed)
    with state.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(c).where(*cond)).scalar() or 0
        rows = (
            conn.execute(
                select(c, is_reviewed.label("reviewed"))
                .where(*cond)
                .order_by(c.c.last_ts.desc())
                .limit(f.per_page)
                .offset((max(1, f.page) - 1) * f.per_page)
            )
            .mappings()
            .all()
        )
        kiosks = [k for (k,) in conn.execute(select(c.c.kiosk_id).where(c.c.kiosk_id.is_not(None)).distinct())]
        intents = [
            i for (i,) in conn.execute(select(msg_index.c.intent).where(msg_index.c.intent.is_not(None)).distinct())
        ]
        languages = [
            x for (x,) in conn.execute(select(msg_index.c.language).where(msg_index.c.language.is_not(None)).distinct())
        ]
    return InboxPage([dict(r) for r in rows], total, f, sorted(kiosks), sorted(intents), sorted(languages))


def low_confidence_messages(state: State, below: float, limit: int = 200) -> list[dict]:
    with state.engine.connect() as conn:
        rows = (
            conn.execute(
                select(msg_index).where(msg_index.c.confidence < below).order_by(msg_index.c.ts.desc()).limit(limit)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


@dataclass
class Turn:
    event_id: int
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    alternatives: list[tuple[str, float]]
    entities: list[dict]
    channel: str
    kiosk_id: str | None
    actions: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    service: str | None = None
    is_name: bool = False
    language: str = "en"  # trainer/language.py: where an annotation of this message goes


@dataclass
class ConversationView:
    sender_id: str
    turns: list[Turn]
    slots: dict[str, Any]
    masked: bool


def conversation(tracker: Engine, sender_id: str, masked: bool = True) -> ConversationView | None:
    """One conversation turn by turn: what was said, how it was understood, what the guide did."""
    with tracker.connect() as conn:
        if not inspect(conn).has_table(events.name):  # no tracker store yet (Rasa has not run): nothing to show
            return None
        rows = conn.execute(
            select(events.c.id, events.c.type_name, events.c.timestamp, events.c.action_name, events.c.data)
            .where(events.c.sender_id == sender_id)
            .order_by(events.c.id)
        ).all()
    if not rows:
        return None
    turns: list[Turn] = []
    slots: dict[str, Any] = {}
    names: set[str] = set()
    requested = None
    session_language = None
    for r in rows:
        data = json.loads(r.data or "{}")
        if r.type_name == "user":
            name, conf = _intent(data)
            ranking = [(x["name"], x["confidence"]) for x in (data.get("parse_data") or {}).get("intent_ranking", [])]
            channel, kiosk = channel_of(data)
            text = data.get("text") or ""
            session_language = metadata_language(data.get("metadata")) or session_language
            is_name = requested in NAME_SLOTS and not text.startswith("/")
            if is_name:
                names.add(text)
            turns.append(
                Turn(
                    r.id,
                    r.timestamp,
                    text,
                    name,
                    conf,
                    [x for x in ranking if x[0] != name][:3],
                    (data.get("parse_data") or {}).get("entities", []),
                    channel,
                    kiosk,
                    service=slots.get("service"),
                    is_name=is_name,
                    language=message_language(text, session_language),
                )
            )
        elif r.type_name == "slot":
            slots[data.get("name")] = data.get("value")
            if data.get("name") == "requested_slot":
                requested = data.get("value")
            if data.get("name") in NAME_SLOTS and data.get("value"):
                names.add(str(data["value"]))
            if data.get("name") == "service" and turns:
                turns[-1].service = data.get("value")
        elif r.type_name == "action" and turns and r.action_name not in ("action_listen", None):
            turns[-1].actions.append(r.action_name)
        elif r.type_name == "bot" and turns and data.get("text"):
            turns[-1].replies.append(data["text"])
    if masked:
        for t in turns:
            t.text = NAME if t.is_name else mask_text(t.text, names)
            t.replies = [mask_text(x, names) for x in t.replies]
            # Entities carry the words they were found in (a name can be tagged as an entity by mistake).
            t.entities = (
                []
                if t.is_name
                else [
                    {**e, "value": mask_text(str(e.get("value")), names)} if isinstance(e.get("value"), str) else e
                    for e in t.entities
                ]
            )
        slots = {
            k: (NAME if k in NAME_SLOTS and v else mask_text(v, names) if isinstance(v, str) else v)
            for k, v in slots.items()
        }
    return ConversationView(sender_id, turns, slots, masked)


def mark_reviewed(state: State, sender_id: str, user: str, value: bool = True) -> None:
    import time

    with state.engine.begin() as conn:
        conn.execute(delete(reviewed).where(reviewed.c.sender_id == sender_id))
        if value:
            conn.execute(insert(reviewed).values(sender_id=sender_id, by=user, at=time.time()))
    state.log(user, "review" if value else "unreview", conversation=sender_id)
