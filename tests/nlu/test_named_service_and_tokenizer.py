"""Two small Rasa components that make the model bilingual and keep known names from being small talk.

Run inside the Rasa env (a script with its Python), trained and loaded through Rasa's own model storage
as a training run does: English is cut exactly as before, Chinese into words with the knowledge base's
names whole, and a message that names one service is read as a question about it unless the citizen
clearly asked something else.
"""

from __future__ import annotations

import pytest

from testkit.probe import probe_in

PROBE = r"""
import json, sys
from pathlib import Path
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu.mixed_tokenizer import MixedScriptTokenizer
from nlu.named_service import NamedServiceClassifier

storage = LocalModelStorage(Path(sys.argv[1]))
ctx = ExecutionContext(GraphSchema({}), node_name="probe")
lookup = [{"name": "service", "elements": ["社会保障卡", "ruxue", "school enrollment", "passport"]},
          {"name": "service", "elements": ["新生儿落户"]}, {"name": "facility", "elements": ["toilet"]}]
synonyms = {"社会保障卡": "social_security_card", "ruxue": "school_enrollment",
            "school enrollment": "school_enrollment", "passport": "passport_travel_permit",
            "新生儿落户": "newborn_bundle", "toilet": "restroom"}
example = Message(data={"text": "我想补办社保卡", "intent": "ask_service",
                        "entities": [{"start": 4, "end": 7, "value": "social_security_card", "entity": "service"}]})
training = TrainingData(training_examples=[example], entity_synonyms=synonyms, lookup_tables=lookup)

tokenizer = MixedScriptTokenizer.create(MixedScriptTokenizer.get_default_config(), storage, Resource("tok"), ctx)
tokenizer.train(training)
tokenizer = MixedScriptTokenizer.load(MixedScriptTokenizer.get_default_config(), storage, Resource("tok"), ctx)
plain = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())

def cut(t, text):
    m = Message(data={"text": text})
    t.process([m])
    return [[tok.text, tok.start] for tok in m.get("text_tokens")]

english = "Hi! where's the toilet, and can I renew my passport online?"
out = {"english": cut(tokenizer, english), "english_plain": cut(plain, english),
       "chinese": cut(tokenizer, "你好，我家宝宝要办新生儿落户，还有社会保障卡？"),
       "trained": cut(tokenizer, "我想补办社保卡"),
       "mixed": cut(tokenizer, "我的passport丢了")}

config = NamedServiceClassifier.get_default_config()
classifier = NamedServiceClassifier.create(config, storage, Resource("named"), ctx)
classifier.train(training)
classifier = NamedServiceClassifier.load(config, storage, Resource("named"), ctx)

def read(text, intent, confidence):
    m = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                      "intent_ranking": [{"name": intent, "confidence": confidence}]})
    classifier.process([m])
    return [m.get("intent")["name"], m.get("intent_ranking")[0]["name"]]

out["read"] = {
    "tell me about ruxue": read("tell me about ruxue", "complaint", 0.9),
    "ruxue": read("ruxue", "affirm", 0.52),
    "新生儿落户": read("新生儿落户", "greet", 0.7),
    "complaint, sure": read("I want to complain about the staff at the passport window", "complaint", 0.97),
    "complaint, unsure": read("I want to complain about the staff at the passport window", "complaint", 0.5),
    "a fee question": read("how much is a passport", "ask_fee", 0.4),
    "two services": read("passport or ruxue", "affirm", 0.4),
    "a facility": read("toilet", "facilities", 0.5),
    "a payload": read("/affirm", "affirm", 1.0),
}
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    return probe_in("rasa", PROBE, str(tmp_path_factory.mktemp("storage")))


def test_english_is_cut_exactly_as_the_whitespace_tokenizer_cuts_it(probe):
    assert probe["english"] == probe["english_plain"]
    assert [t for t, _ in probe["english"]][:3] == ["Hi", "where", "s"]


def test_chinese_is_cut_into_words_with_knowledge_base_names_whole(probe):
    text = "你好，我家宝宝要办新生儿落户，还有社会保障卡？"
    words = [t for t, _ in probe["chinese"]]
    assert "新生儿落户" in words and "社会保障卡" in words
    assert len(words) > 5 and not any(w in {"，", "？"} for w in words)
    assert all(text[start : start + len(t)] == t for t, start in probe["chinese"])


def test_a_tagged_chinese_name_is_one_token_so_its_tag_survives(probe):
    assert [t for t, _ in probe["trained"]][-1] == "社保卡"


def test_latin_words_inside_chinese_stay_whole(probe):
    assert "passport" in [t for t, _ in probe["mixed"]]


def test_a_named_service_is_a_question_about_it_unless_something_else_was_clearly_asked(probe):
    read = probe["read"]
    assert read["tell me about ruxue"] == ["ask_service", "ask_service"]
    assert read["ruxue"] == ["ask_service", "ask_service"]
    assert read["新生儿落户"] == ["ask_service", "ask_service"]
    assert read["complaint, sure"] == ["complaint", "complaint"]
    assert read["complaint, unsure"] == ["ask_service", "ask_service"]


def test_service_questions_facilities_payloads_and_two_names_are_left_alone(probe):
    read = probe["read"]
    assert read["a fee question"] == ["ask_fee", "ask_fee"]
    assert read["two services"] == ["affirm", "affirm"]
    assert read["a facility"] == ["facilities", "facilities"]
    assert read["a payload"] == ["affirm", "affirm"]
