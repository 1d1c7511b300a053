"""Evaluate the held-out test split against a running Rasa server (shared by tests and benchmarks)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

TEST_SPLIT = Path(__file__).resolve().parent.parent / "nlu" / "test_split.yml"
_ENTITY = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    service: str | None


def load_examples(path: Path = TEST_SPLIT) -> list[Example]:
    examples = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            raw = line[2:]
            service = None
            for m in _ENTITY.finditer(raw):
                ann = m.group(2)
                if '"service"' in ann or ann == "(service)":
                    value = re.search(r'"value":\s*"([^"]+)"', ann)
                    service = value.group(1) if value else m.group(1)
            text = _ENTITY.sub(lambda m: m.group(1), raw)
            examples.append(Example(text, block["intent"], service))
    return examples


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    per_intent: dict[str, Counter] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def macro_f1(self) -> float:
        f1s = []
        for c in self.per_intent.values():
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
            f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        return sum(f1s) / len(f1s) if f1s else 0.0


def evaluate(rasa_url: str, token: str, examples: list[Example]) -> Report:
    report = Report()
    with httpx.Client(timeout=30) as client:
        for ex in examples:
            parsed = client.post(f"{rasa_url}/model/parse", params={"token": token}, json={"text": ex.text}).json()
            predicted = parsed["intent"]["name"]
            if predicted == "nlu_fallback":  # the fallback classifier fired; score the top real intent
                ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
                predicted = ranking[0]["name"] if ranking else predicted
            report.total += 1
            for name in (ex.intent, predicted):
                report.per_intent.setdefault(name, Counter())
            if predicted == ex.intent:
                report.correct += 1
                report.per_intent[ex.intent]["tp"] += 1
            else:
                report.per_intent[ex.intent]["fn"] += 1
                report.per_intent[predicted]["fp"] += 1
                report.errors.append((ex.text, ex.intent, predicted))
    return report
