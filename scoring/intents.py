"""Intent scoring where "not understood" is a miss.

`nlu_fallback` is what the citizen experiences as "Sorry, could you rephrase?": it is scored as a
prediction of its own, so it is never right and counts as a false negative for the expected intent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FALLBACK = "nlu_fallback"


def predicted_intent(parsed: dict[str, Any]) -> str:
    """The intent the dialogue acts on, from a `/model/parse` result (the fallback stays the fallback)."""
    return (parsed.get("intent") or {}).get("name") or FALLBACK


@dataclass
class IntentReport:
    total: int = 0
    correct: int = 0
    fallbacks: int = 0
    per_intent: dict[str, Counter] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def f1(self, intent: str) -> float:
        c = self.per_intent.get(intent, Counter())
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def expected_intents(self) -> list[str]:
        return sorted(i for i, c in self.per_intent.items() if c["tp"] + c["fn"])

    def macro_f1(self) -> float:
        """Mean F1 over the intents the split asks about (a fallback is not an intent of its own here)."""
        intents = self.expected_intents()
        return sum(self.f1(i) for i in intents) / len(intents) if intents else 0.0

    def per_intent_table(self) -> dict[str, dict[str, float]]:
        out = {}
        for intent in self.expected_intents():
            c = self.per_intent[intent]
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
            out[intent] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(self.f1(intent), 4),
                           "support": c["tp"] + c["fn"]}  # fmt: skip
        return out


def score_intents(pairs: list[tuple[str, str, str]]) -> IntentReport:
    """`pairs` = (text, expected intent, predicted intent)."""
    report = IntentReport()
    for text, expected, predicted in pairs:
        report.total += 1
        report.fallbacks += predicted == FALLBACK
        for name in (expected, predicted):
            report.per_intent.setdefault(name, Counter())
        if predicted == expected:
            report.correct += 1
            report.per_intent[expected]["tp"] += 1
        else:
            report.per_intent[expected]["fn"] += 1
            report.per_intent[predicted]["fp"] += 1
            report.errors.append((text, expected, predicted))
    return report
