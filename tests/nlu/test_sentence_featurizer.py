"""The Rasa pipeline component that gives DIET pretrained sentence features.

Runs inside the Rasa env (a script with its Python) with the real encoder weights: the same
features for a text at training and at parse time, batched training, and a clear refusal of a
bad configuration.
"""

from __future__ import annotations

from testkit.probe import probe_in

PROBE = r"""
import json
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu.sentence_featurizer import SentenceEncoderFeaturizer
from sentence_encoder import SentenceEncoder

context = ExecutionContext(GraphSchema({}), node_name="e5")
tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
config = {**SentenceEncoderFeaturizer.get_default_config(), "batch_size": 2}
featurizer = SentenceEncoderFeaturizer.create(config, None, None, context)

texts = ["my wife just had a baby", "where is the toilet", "I lost my ID card", "thanks, bye", "hello"]
training = TrainingData([Message(data={"text": t, "intent": "x"}) for t in texts])
tokenizer.process_training_data(training)
featurizer.process_training_data(training)

live = [Message(data={"text": texts[0]}), Message(data={"text": ""})]
tokenizer.process(live)
featurizer.process(live)

seq, sent = training.training_examples[0].get_dense_features("text", ["e5"])
live_seq, live_sent = live[0].get_dense_features("text", ["e5"])
expected = SentenceEncoder().query([texts[0]])
bad = []
for key, value in (("batch_size", 0), ("num_threads", "two"), ("training_threads", -1)):
    try:
        SentenceEncoderFeaturizer.validate_config({**config, key: value})
    except InvalidConfigException as exc:
        bad.append(str(exc))
print(json.dumps({
    "all_featurized": all(m.get_dense_features("text", ["e5"])[1] is not None for m in training.training_examples),
    "sequence": None if seq is None else list(seq.features.shape),
    "sentence": list(sent.features.shape),
    "train_equals_parse": bool(np.allclose(sent.features, live_sent.features, atol=1e-5)),
    "equals_encoder": bool(np.allclose(sent.features, expected, atol=1e-5)),
    "empty_text_features": (lambda f: None if f is None else [list(f.features.shape), float(abs(f.features).sum())])(
        live[1].get_dense_features("text", ["e5"])[1]
    ),
    "bad_configs": bad,
    "parse_threads_after_training": featurizer._encoder.num_threads,
}))
"""


def test_sentence_features_are_the_same_at_training_and_parse_time() -> None:
    out = probe_in("rasa", PROBE)
    assert out["all_featurized"], "every training message (in batches of 2) gets a sentence vector"
    assert out["sentence"] == [1, 384] and out["sequence"] is None
    assert out["train_equals_parse"] and out["equals_encoder"]
    # An empty message still needs features of the trained width, or DIET's input signature does not
    # match and the whole turn fails (it did: "" crashed the REST channel). A zero vector means "nothing".
    assert out["empty_text_features"] == [[1, 384], 0.0], "an empty text gets a zero vector of the trained width"
    assert len(out["bad_configs"]) == 3 and all("must be an integer of at least" in m for m in out["bad_configs"])
    # Training embeds with every core; a parse afterwards goes back to one thread (kiosk services share the cores),
    # and the vectors are the same either way (train_equals_parse above).
    assert out["parse_threads_after_training"] == 1
