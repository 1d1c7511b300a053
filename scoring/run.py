"""Run the held-out splits against a running dialogue core over HTTP and score what comes back."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from scoring.conversations import TurnResult, run_dialogue
from scoring.intents import IntentReport, predicted_intent, score_intents
from scoring.outcome import Verdict, cards_of, judge_service, outcome_of
from scoring.splits import Dialogue, Question

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def evaluate_intents(rasa_url: str, token: str, questions: list[Question], say: Progress = _quiet) -> IntentReport:
    pairs = []
    with httpx.Client(timeout=30) as client:
        for i, q in enumerate(questions, 1):
            r = client.post(f"{rasa_url}/model/parse", params={"token": token}, json={"text": q.text})
            r.raise_for_status()
            pairs.append((q.text, q.intent, predicted_intent(r.json())))
            if i % 100 == 0:
                say(f"parsed {i}/{len(questions)}")
    return score_intents(pairs)


@dataclass
class ServiceReport:
    verdicts: Counter = field(default_factory=Counter)
    per_style: dict[str, Counter] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    def rate(self, verdict: Verdict) -> float:
        return self.verdicts[verdict.value] / self.total if self.total else 0.0

    @property
    def accuracy(self) -> float:
        return self.rate(Verdict.RIGHT)

    def summary(self) -> dict[str, Any]:
        return {
            "questions": self.total,
            "service_accuracy": round(self.accuracy, 4),
            "confidently_wrong_rate": round(self.rate(Verdict.WRONG), 4),
            "choice_rate": round(self.rate(Verdict.CHOICE), 4),
            "miss_rate": round(self.rate(Verdict.MISS), 4),
            "per_style": {
                s: {"n": sum(c.values()), "accuracy": round(c["right"] / sum(c.values()), 4)}
                for s, c in sorted(self.per_style.items())
            },
        }


class RestChannel:
    """One citizen over Rasa's REST channel, as the web widget and the bridge talk to it."""

    def __init__(self, client: httpx.Client, rasa_url: str, token: str, metadata: dict | None = None):
        self.client, self.rasa_url, self.token = client, rasa_url, token
        self.sender = f"eval-{uuid.uuid4().hex[:12]}"
        self.metadata = metadata or {}

    def say(self, text: str) -> list[dict[str, Any]]:
        r = self.client.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text, "metadata": self.metadata},
        )
        r.raise_for_status()
        return r.json()

    def _tracker(self) -> dict[str, Any]:
        r = self.client.get(f"{self.rasa_url}/conversations/{self.sender}/tracker", params={"token": self.token})
        r.raise_for_status()
        return r.json()

    def last_intent(self) -> str:
        return predicted_intent(self._tracker().get("latest_message") or {})

    def slot(self, name: str) -> Any:
        return self._tracker()["slots"].get(name)


def evaluate_services(
    rasa_url: str, token: str, questions: list[Question], metadata: dict | None = None, say: Progress = _quiet
) -> ServiceReport:
    """Each service question as the first turn of a new conversation, judged on the card it gets."""
    report = ServiceReport()
    with httpx.Client(timeout=30) as client:
        for i, q in enumerate(q for q in questions if q.service):
            channel = RestChannel(client, rasa_url, token, metadata)
            outcome = outcome_of(cards_of(channel.say(q.text)))
            verdict = judge_service(q.service or "", outcome)
            report.verdicts[verdict.value] += 1
            report.per_style.setdefault(q.style or "unspecified", Counter())[verdict.value] += 1
            if verdict is not Verdict.RIGHT:
                report.misses.append({"text": q.text, "expected": q.service, "verdict": verdict.value,
                                      "got": outcome.service, "options": list(outcome.options)})  # fmt: skip
            if (i + 1) % 50 == 0:
                say(f"asked {i + 1} service questions")
    return report


@dataclass
class DialogueReport:
    turns: int = 0
    right: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.turns if self.turns else 0.0


def evaluate_dialogues(
    rasa_url: str, token: str, dialogues: list[Dialogue], metadata: dict | None = None
) -> DialogueReport:
    report = DialogueReport()
    with httpx.Client(timeout=30) as client:
        for d in dialogues:
            results: list[TurnResult] = run_dialogue(d, RestChannel(client, rasa_url, token, metadata))
            report.turns += len(results)
            report.right += sum(r.ok for r in results)
            for n, r in enumerate(results, 1):
                if not r.ok:
                    report.failures.append({"conversation": d.name, "turn": n, "user": r.user,
                                            "expect": r.expect, "got": r.got})  # fmt: skip
    return report
