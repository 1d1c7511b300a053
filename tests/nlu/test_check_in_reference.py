"""A booking reference with a word of checking in is a check-in, whatever letters the reference has.

Run inside the Rasa env, against the component as the pipeline loads it, with many random references
drawn by the same code that issues them (booking_reference/): the model's guess is replaced only when
the message holds a reference and a check-in word, or is nothing but a reference.
"""

from __future__ import annotations

import pytest

from testkit.probe import probe_in

PROBE = r"""
import json
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message
from booking_reference import new_reference
from nlu.check_in_reference import CheckInReferenceClassifier

c = CheckInReferenceClassifier.create(CheckInReferenceClassifier.get_default_config(), None, None,
                                      ExecutionContext(GraphSchema({}), node_name="probe"))

def read(text, guess="inform"):
    ranking = [{"name": guess, "confidence": 0.87}, {"name": "check_in", "confidence": 0.01}]
    m = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
    c.process([m])
    return [m.get("intent")["name"], [r["name"] for r in m.get("intent_ranking")]]

refs = [new_reference() for _ in range(200)]
out = {
    "签到": [read(f"签到 {r}")[0] for r in refs],
    "check in": [read(f"check in {r}", "affirm")[0] for r in refs],
    "reference is": [read(f"my reference is {r.replace('-', ' ').lower()}", "nlu_fallback")[0] for r in refs],
    "bare": [read(r.replace("-", ""), "affirm")[0] for r in refs],
    "ranking": read(f"签到 {refs[0]}")[1],
    "no reference": read("签到", "greet")[0],
    "a question": read("how much does a passport cost for 3 children", "ask_fee")[0],
    "a reference but no check-in word": read(f"{refs[0]} how much is the fee", "ask_fee")[0],
    "a payload": read(f'/inform{{"reference": "{refs[0]}"}} check in', "inform")[0],
}
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def read() -> dict:
    return probe_in("rasa", PROBE)


def test_checking_in_with_any_reference_is_a_check_in(read):
    for phrasing in ("签到", "check in", "reference is", "bare"):
        assert set(read[phrasing]) == {"check_in"}, phrasing


def test_the_models_other_guesses_stay_in_the_ranking_below_it(read):
    assert read["ranking"] == ["check_in", "inform"]


def test_without_a_reference_or_a_word_of_checking_in_the_models_guess_stands(read):
    assert read["no reference"] == "greet"
    assert read["a question"] == "ask_fee"
    assert read["a reference but no check-in word"] == "ask_fee"
    assert read["a payload"] == "inform"
