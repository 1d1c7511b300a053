"""Unseen phrasings (tests/nlu/test_split.yml, written apart from the training data) are understood."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.dialogue.nlu_eval import evaluate, load_examples
from tests.harness import Conversation

EXAMPLES = load_examples()


def test_test_split_is_separate_from_training_data():
    import re

    import yaml

    def norm(t: str) -> str:
        t = re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", t)
        return re.sub(r"[^a-z0-9 ]", "", t.lower()).strip()

    train = set()
    for block in yaml.safe_load(Path("data/nlu/nlu.yml").read_text())["nlu"]:
        for line in block.get("examples", "").splitlines():
            if line.strip().startswith("- "):
                train.add(norm(line.strip()[2:]))
    assert not [e.text for e in EXAMPLES if norm(e.text) in train]
    per_intent: dict[str, int] = {}
    for e in EXAMPLES:
        per_intent[e.intent] = per_intent.get(e.intent, 0) + 1
    assert min(per_intent.values()) >= 5, per_intent


def test_intent_accuracy_on_unseen_phrasings(dialogue):
    report = evaluate(dialogue.rasa_url, dialogue.token, EXAMPLES)
    shown = "\n".join(f"  {t!r}: expected {e}, got {p}" for t, e, p in report.errors)
    assert report.accuracy >= 0.9, f"accuracy {report.accuracy:.3f}; misclassified:\n{shown}"


SERVICE_EXAMPLES = [e for e in EXAMPLES if e.service and e.intent.startswith(("ask_", "find_window"))]


def test_service_slot_is_right_for_unseen_phrasings(dialogue):
    wrong = []
    for ex in SERVICE_EXAMPLES:
        c = Conversation(dialogue, sender=f"slot-{uuid.uuid4().hex[:10]}")
        c.say(ex.text)
        got = c.slot("service")
        if got != ex.service:
            wrong.append(f"  {ex.text!r}: expected {ex.service}, got {got}")
    ratio = 1 - len(wrong) / len(SERVICE_EXAMPLES)
    assert ratio >= 0.9, f"service slot right for {ratio:.2%}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("alias_of", ["household_registration", "provident_fund_withdrawal", "social_security_card"])
def test_every_alias_in_the_knowledge_base_selects_its_service(dialogue, kb, alias_of):
    for alias in kb.services[alias_of].aliases:
        c = Conversation(dialogue)
        c.say(f"tell me about {alias}")
        assert c.slot("service") == alias_of, alias
