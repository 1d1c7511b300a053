"""A message that names a service is a question about that service, whatever DIET guessed.

DIET reads "tell me about ruxue" as a complaint (0.53) and a bare "ruxue" as a yes: a rare
transliterated name is one token among thousands of training lines. The knowledge base's names and
aliases are exact knowledge, exported before every training as the `service` lookup table and as
synonyms (name -> service id) in data/nlu/generated_kb.yml. This component learns that table and,
after DIET, turns a hall or small-talk reading into `ask_service` when the message names exactly one
service and either says nothing else of substance ("tell me about ruxue") or DIET was unsure.

Why here and not in the actions: small talk and yes/no are answered by Rasa responses, not actions,
so only the NLU sees every such turn; and the model's parse output (evaluations, the trainer's inbox)
then says what the guide will do. Service questions ("how much is the passport?") and forms' intents
are never touched: the actions resolve the service from the words themselves.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from privacy.logtext import loggable

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\w]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
# Words that carry no request of their own around a name: "tell me about", "what is", "info on".
_FILLER = set(
    "a an the i me my we our you your is are it its what whats tell about on of for please can could "
    "would do does how some more info information details know want need like to question questions "
    "help with regarding explain hi hello hey ok okay so and or just any anything there".split()
)


def _normalise(text: str) -> str:
    return " ".join(_WORD.sub(" ", text.lower().replace("'", "")).split())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class NamedServiceClassifier(GraphComponent, IntentClassifier):
    """Overrides a non-service intent with `ask_service` when a known service name is the point."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The lookup table whose elements are service names (kb export-nlu writes it).
            "lookup": "service",
            # The intent a named service becomes.
            "intent": "ask_service",
            # Intents that may be overridden: hall questions DIET confuses with a bare name, small
            # talk and yes/no. Never service questions, forms, repairs or check-in.
            "overridable": [
                "hall_hours",
                "check_progress",
                "facilities",
                "accessibility_help",
                "app_help",
                "complaint",
                "greet",
                "goodbye",
                "thank",
                "bot_challenge",
                "affirm",
                "deny",
                "out_of_scope",
            ],  # fmt: skip
            # Below this confidence a named service wins even with other words around it.
            "unsure_below": 0.6,
        }

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, names: dict[str, str]
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._names = names
        self._longest_first = sorted(names, key=len, reverse=True)  # a longer name wins over one inside it

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NamedServiceClassifier:
        return cls(config, model_storage, resource, {})

    def train(self, training_data: TrainingData) -> Resource:
        # Every table of that name: the Chinese export writes its own (kb export-nlu --lang zh).
        tables = [t for t in training_data.lookup_tables if t.get("name") == self._config["lookup"]]
        elements = {_normalise(e) for t in tables for e in t.get("elements", [])}
        # Only synonyms of the lookup's names: a hand annotation ("[housing fund](service:...)") is
        # the model's business, and a name shared by several services is no name at all.
        mapping: dict[str, set[str]] = {}
        for text, value in training_data.entity_synonyms.items():
            key = _normalise(text)
            if key in elements:
                mapping.setdefault(key, set()).add(value)
        self._names = {k: next(iter(v)) for k, v in mapping.items() if len(v) == 1 and k}
        self._longest_first = sorted(self._names, key=len, reverse=True)
        if not self._names:
            logger.warning("%s: no service names in lookup table '%s'", type(self).__name__, self._config["lookup"])
        with self._storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / "names.json", self._names)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NamedServiceClassifier:
        with model_storage.read_from(resource) as directory:
            names = rasa.shared.utils.io.read_json_file(directory / "names.json")
        return cls(config, model_storage, resource, names)

    def named(self, text: str) -> tuple[set[str], str]:
        """The services named in `text`, and the text with those names taken out."""
        plain = f" {_normalise(text)} "
        found: set[str] = set()
        for name in self._longest_first:
            needle = name if _CJK.search(name) else f" {name} "
            if needle in plain:
                found.add(self._names[name])
                plain = plain.replace(needle, " ")
        return found, plain

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text, intent = message.get(TEXT) or "", message.get(INTENT) or {}
            if not text or text.startswith("/") or intent.get("name") not in self._config["overridable"]:
                continue
            services, rest = self.named(text)
            if len(services) != 1:
                continue
            only_the_name = not [w for w in rest.split() if w not in _FILLER]
            if not only_the_name and (intent.get("confidence") or 0.0) >= self._config["unsure_below"]:
                continue
            new = {"name": self._config["intent"], "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != new["name"]]
            message.set(INTENT, new, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [new, *ranking], add_to_output=True)
            logger.debug(
                "%s: %s names %s; %s -> %s",
                type(self).__name__,
                loggable(text),
                services,
                intent.get("name"),
                new["name"],
            )
        return messages
