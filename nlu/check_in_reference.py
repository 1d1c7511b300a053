"""A message with a booking reference and a word of checking in is a check-in, whatever DIET guessed.

References are random symbols (`WRK-374`), so their character n-grams say nothing, yet DIET reads them:
probed on 150 random references, "签到 <reference>" came out as `check_in` only 97 times; the rest were
read as `inform`, `affirm` or fell back, so a citizen at the kiosk got "what would you like to do with
it?" instead of a queue ticket, depending on the letters of their own reference.

The reference format and the words of checking in are the action server's (booking_reference/,
standard library only, shared by both environments), so the model and the check-in action agree on what
a reference is. Only the intent is touched; the check-in action reads the reference from the words.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from booking_reference import CHECK_IN_SIGNS, candidates, normalise
from privacy.logtext import loggable

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CheckInReferenceClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent with `check_in` when the message holds a reference and a check-in word."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "check_in"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CheckInReferenceClassifier:
        return cls(config)

    @staticmethod
    def is_check_in(text: str) -> bool:
        """A reference alone ("K7M4PA"), or a reference with a word of checking in ("签到 WRK-374")."""
        if normalise(text.strip()):
            return True
        return bool(CHECK_IN_SIGNS.search(text)) and bool(candidates(text))

    def process(self, messages: list[Message]) -> list[Message]:
        target = self._config["intent"]
        for message in messages:
            text, intent = message.get(TEXT) or "", message.get(INTENT) or {}
            if not text or text.startswith("/") or intent.get("name") == target or not self.is_check_in(text):
                continue
            new = {"name": target, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != target]
            message.set(INTENT, new, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [new, *ranking], add_to_output=True)
            logger.debug("%s: %s holds a reference; %s -> %s", type(self).__name__, loggable(text),
                         intent.get("name"), target)  # fmt: skip
        return messages
