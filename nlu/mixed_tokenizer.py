"""Tokens for English and Chinese in one model: whitespace words, and jieba words inside Chinese text.

One bilingual model serves both languages (docs/benchmarks.md, "Two languages": the choice and its
cost, measured): the dense multilingual-e5 vector already carries meaning across languages, and a
citizen may switch language mid-conversation without a second server. Rasa's WhitespaceTokenizer
leaves a Chinese sentence as one token (Chinese has no spaces), so n-gram features and entity tags
would see nothing inside it;
Rasa's JiebaTokenizer cuts English differently from the model's English training. This tokenizer
keeps the WhitespaceTokenizer's tokens exactly as they are and only cuts the runs of Chinese
characters with jieba.

The knowledge base's Chinese service names (the generated `service` lookup table) are added to jieba's
dictionary at training time and stored in the model, so "社会保障卡" is one token and an entity tag on
it never falls between two words; a name jieba would glue to the verb ("办社保卡") stays apart.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORDISH = re.compile(r"\w")
# jieba's default frequency for user words is low; names must win over the general dictionary.
_NAME_FREQ = 200_000


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." on every start is noise
    return jieba


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class MixedScriptTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer for everything, jieba inside runs of Chinese characters."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "lookup": "service"}

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba"]

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, words: list[str]
    ) -> None:
        super().__init__(config)
        self._storage = model_storage
        self._resource = resource
        self._words = words
        jieba = _jieba()
        for word in words:
            jieba.add_word(word, freq=_NAME_FREQ)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MixedScriptTokenizer:
        return cls(config, model_storage, resource, [])

    def train(self, training_data: TrainingData) -> Resource:
        words: set[str] = set()
        for table in training_data.lookup_tables:
            if table.get("name") == self._config["lookup"]:
                words |= {e.strip() for e in table.get("elements", []) if _CJK_RUN.fullmatch(e.strip())}
        # Tagged Chinese words must be whole tokens too, or Rasa drops the tag as misaligned.
        for example in training_data.entity_examples:
            text = example.get("text") or ""
            for entity in example.get("entities") or []:
                span = text[entity["start"] : entity["end"]]
                if _CJK_RUN.fullmatch(span):
                    words.add(span)
        self._words = sorted(words)
        for word in self._words:
            _jieba().add_word(word, freq=_NAME_FREQ)
        with self._storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / "words.json", self._words)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MixedScriptTokenizer:
        try:
            with model_storage.read_from(resource) as directory:
                words = rasa.shared.utils.io.read_json_file(directory / "words.json")
        except ValueError:  # trained before there was anything to store
            words = []
        return cls(config, model_storage, resource, words)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if not any(_CJK_RUN.search(t.text) for t in tokens):
            return tokens
        jieba = _jieba()
        out: list[Token] = []
        for token in tokens:
            if not _CJK_RUN.search(token.text):
                out.append(token)
                continue
            for word, start, _end in jieba.tokenize(token.text):
                if _WORDISH.search(word):  # "，" or "？" inside a run is not a token
                    out.append(Token(word, token.start + start))
        return out
