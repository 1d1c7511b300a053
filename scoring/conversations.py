"""Multi-turn scoring: each turn of a held-out conversation is right only if every expectation holds.

Expectations (tests/nlu/citizen_split.yml): `service` (a card about it), `topic`, `choice` (a choice offering
at least these), `choose: n` (the n-th option the guide offered the turn before), `intent` (hall and
chit-chat turns), `reset` (the service is forgotten).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from scoring.outcome import Outcome, cards_of, outcome_of
from scoring.splits import Dialogue


class Channel(Protocol):
    """One citizen's conversation with the running guide."""

    def say(self, text: str) -> list[dict[str, Any]]: ...

    def last_intent(self) -> str: ...

    def slot(self, name: str) -> Any: ...


@dataclass
class TurnResult:
    user: str
    expect: dict[str, Any]
    ok: bool
    got: dict[str, Any] = field(default_factory=dict)


def check_turn(
    expect: dict[str, Any], outcome: Outcome, previous: Outcome | None, channel: Channel
) -> tuple[bool, dict[str, Any]]:
    got: dict[str, Any] = {"kind": outcome.kind, "service": outcome.service, "topic": outcome.topic}
    if outcome.options:
        got["options"] = list(outcome.options)
    ok = True
    want_service = expect.get("service")
    if "choose" in expect:
        n = int(expect["choose"])
        offered = previous.options if previous else ()
        want_service = offered[n - 1] if 0 < n <= len(offered) else None
        ok &= want_service is not None
    if want_service:
        ok &= outcome.kind == "answer" and outcome.service == want_service
    if "topic" in expect:
        ok &= outcome.topic == expect["topic"]
    if "choice" in expect:
        ok &= outcome.kind == "choice" and set(expect["choice"]) <= set(outcome.options)
    if "intent" in expect:
        got["intent"] = channel.last_intent()
        ok &= got["intent"] == expect["intent"]
    if expect.get("reset"):
        got["service_slot"] = channel.slot("service")
        ok &= got["service_slot"] is None
    return bool(ok), got


def run_dialogue(dialogue: Dialogue, channel: Channel) -> list[TurnResult]:
    results, previous = [], None
    for turn in dialogue.turns:
        outcome = outcome_of(cards_of(channel.say(turn.user)))
        ok, got = check_turn(turn.expect, outcome, previous, channel)
        results.append(TurnResult(turn.user, turn.expect, ok, got))
        previous = outcome
    return results
