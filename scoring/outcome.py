"""What the citizen got back about services, read from the cards the guide sent.

A service card is an answer about one service; a choice card offers options; anything else (a question back,
a fallback, chit-chat) names no service. Scoring reads only what reaches the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    RIGHT = "right"  # answered about the expected service
    CHOICE = "choice"  # offered a choice that contains the expected service (not an answer yet)
    WRONG = "wrong"  # answered about another service without asking: confidently wrong
    MISS = "miss"  # no service answered: asked back, fell back, or a choice without the right one


@dataclass(frozen=True)
class Outcome:
    kind: str  # "answer", "choice" or "none"
    service: str | None = None
    topic: str | None = None
    options: tuple[str, ...] = field(default_factory=tuple)


def cards_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards in a REST channel reply (custom JSON under `data`) or a bridge `reply` message's `cards`."""
    out = []
    for m in messages:
        custom = m.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            out.append(custom["data"])
    return out


def outcome_of(cards: list[dict[str, Any]]) -> Outcome:
    for card in cards:
        if card.get("kind") == "service" and card.get("service_id"):
            return Outcome("answer", card["service_id"], card.get("topic"))
    for card in cards:
        if card.get("kind") == "choice":
            options = (card.get("fields") or {}).get("options") or []
            ids = tuple(o if isinstance(o, str) else str(o.get("id") or o.get("service_id") or "") for o in options)
            return Outcome("choice", None, card.get("topic"), ids)
    return Outcome("none")


def judge_service(expected: str, outcome: Outcome) -> Verdict:
    if outcome.kind == "answer":
        return Verdict.RIGHT if outcome.service == expected else Verdict.WRONG
    if outcome.kind == "choice" and expected in outcome.options and outcome.topic == "disambiguation":
        return Verdict.CHOICE
    return Verdict.MISS
