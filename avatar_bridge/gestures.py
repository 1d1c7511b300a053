"""Gesture and emotion planner: dialogue cards and reply text -> gesture cues timed on the spoken words.

Cards are read through the card contract (cards/): only documented fields
(`kind`, `topic`, `fields.directions.gesture`, `fields.location`, the
`fields.materials` list); a card that breaks the contract is logged and
ignored here (the text rules still give the reply a gesture).
The rules are data (tables below). `plan()` decides *which* gestures a reply
gets and which word each one should land on; `GestureTimeline` places them
on the word timings of each synthesised chunk, so a point lands on "window"
and each counting beat on its item, and never lets two gestures overlap.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import cards as card_contract

_LOG = logging.getLogger(__name__)

# card kind -> (gesture, anchor words or None for "at the start", duration ms)
KIND_RULES: dict[str, tuple[str, tuple[str, ...] | None, int]] = {
    "greeting": ("wave", None, 1500),
    "farewell": ("wave", None, 1500),
    "fallback": ("apologetic", None, 1500),
    "ticket": ("thumbs_up", ("ticket", "number"), 1200),
    "appointment": ("thumbs_up", ("booked", "appointment"), 1200),
    "handoff": ("open_palms", ("help", "desk"), 1200),
    "choice": ("open_palms", None, 1200),
}
# card topic -> special planning ("point": from fields.directions, "count": one beat per fields.<list>)
TOPIC_RULES: dict[str, str] = {"location": "point", "materials": "count"}
POINT_ANCHORS = ("window", "windows", "left", "right", "ahead", "straight", "zone")
POINT_MS = 1600
BEAT_MS = 500
# reply text (first sentence) -> gesture, when no card rule applied
TEXT_RULES: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (re.compile(r"^\s*(hello|hi|welcome|good (morning|afternoon|evening))\b", re.I), "wave", 1500),
    (re.compile(r"\b(sorry|didn'?t (quite )?(understand|catch))\b", re.I), "apologetic", 1500),
    (re.compile(r"^\s*(yes|sure|of course|okay|ok|done|great|got it|certainly|alright)\b", re.I), "nod", 800),
    (re.compile(r"^\s*(no|unfortunately)\b", re.I), "shake", 800),
)
DEFAULT_GESTURE = ("open_palms", 1200)
# (card kind or gesture) -> (emotion, intensity)
EMOTIONS: dict[str, tuple[str, float]] = {
    "greeting": ("happy", 0.7),
    "farewell": ("happy", 0.6),
    "wave": ("happy", 0.6),
    "thumbs_up": ("happy", 0.6),
    "ticket": ("happy", 0.6),
    "fallback": ("concerned", 0.5),
    "apologetic": ("concerned", 0.5),
    "shake": ("concerned", 0.3),
}
DEFAULT_EMOTION = ("neutral", 0.3)
# gestures around the turn, not tied to words
LISTEN = ("listen", 0)  # while the citizen speaks (0 = until the next cue)
THINK = ("think", 0)  # while the dialogue core works


@dataclass
class Cue:
    name: str
    duration_ms: int
    anchor: tuple[str, ...] | None = None  # land on the first of these words (normalised), None = start
    target: str | None = None
    beat: int | None = None


@dataclass
class Plan:
    cues: list[Cue]
    emotion: tuple[str, float]


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def _typed(cards: list[dict]) -> list:
    typed = []
    for card in cards:
        try:
            typed.append(card_contract.parse(card))
        except card_contract.CardError as exc:
            _LOG.warning("gestures: ignoring a card: %s", exc)
    return typed


def plan(cards: list[dict], text: str) -> Plan:
    cues: list[Cue] = []
    emotion = None
    for card in _typed(cards):
        kind, topic, fields = card.kind, card.topic, card.fields
        special = TOPIC_RULES.get(topic)
        if special == "point" and getattr(fields, "directions", None) is not None:  # none on the web: no pointing
            gesture = fields.directions.gesture
            if gesture in ("point_left", "point_right", "point_forward"):
                windows = fields.location.windows
                cues.append(Cue(gesture, POINT_MS, POINT_ANCHORS, windows[0] if windows else fields.location.zone))
        elif special == "count" and hasattr(fields, "materials"):
            for index, item in enumerate(m.name for m in fields.materials):
                first = next((_norm(w) for w in item.split() if _norm(w)), "")
                cues.append(Cue("count", BEAT_MS, (first,) if first else None, None, index + 1))
        if kind in KIND_RULES and not cues:
            name, anchor, duration = KIND_RULES[kind]
            cues.append(Cue(name, duration, anchor))
        emotion = emotion or EMOTIONS.get(kind)
    if not cues:
        for pattern, name, duration in TEXT_RULES:
            if pattern.search(text):
                cues.append(Cue(name, duration))
                break
    if not cues:
        cues.append(Cue(DEFAULT_GESTURE[0], DEFAULT_GESTURE[1]))
    emotion = emotion or next((EMOTIONS[c.name] for c in cues if c.name in EMOTIONS), None) or DEFAULT_EMOTION
    return Plan(cues, emotion)


@dataclass
class GestureTimeline:
    """Places planned cues on word timings, chunk by chunk; cues whose word never comes are dropped."""

    cues: list[Cue]
    busy_until: int = 0
    _pending: list[Cue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending = list(self.cues)

    def place(self, words: list[tuple[int, int, str]], chunk_offset_ms: int, last: bool) -> list[dict]:
        """words: (t_ms within the utterance, dur_ms, word). Returns gesture dicts (without utterance_id)."""
        out: list[dict] = []
        cursor = 0  # count beats must follow each other through the words
        while self._pending:
            cue = self._pending[0]
            if cue.anchor is None:
                at = chunk_offset_ms
            else:
                hit = next(
                    ((i, t) for i, (t, _, w) in enumerate(words) if i >= cursor and _norm(w) in cue.anchor), None
                )
                if hit is None:
                    if last:
                        self._pending.pop(0)  # the word was never said: skip rather than guess
                        continue
                    break
                cursor, at = hit[0] + 1, hit[1]
            self._pending.pop(0)
            if at < self.busy_until:  # never two gestures at once: shift a short way or drop
                if cue.name != "count" and self.busy_until - at > 400:
                    continue
                at = self.busy_until
            out.append(
                {"name": cue.name, "at_ms": at, "duration_ms": cue.duration_ms, "target": cue.target}
                | ({"beat": cue.beat} if cue.beat else {})
            )
            self.busy_until = at + cue.duration_ms
        return out
