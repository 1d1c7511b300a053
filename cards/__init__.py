"""The typed card contract shared by the action server (which builds cards) and the bridge (which reads them).

See cards/model.py and docs/ARCHITECTURE.md ("Card contract"). The JSON Schema
generated from it is avatar_bridge/schemas/card.json (`python -m cards`).
"""

from cards.model import (
    CARD_CLASSES,
    KINDS,
    SERVICE_TOPICS,
    TOPICS,
    Card,
    CardError,
    Directions,
    build,
    dump,
    json_schema,
    parse,
)

__all__ = [
    "CARD_CLASSES",
    "KINDS",
    "SERVICE_TOPICS",
    "TOPICS",
    "Card",
    "CardError",
    "Directions",
    "build",
    "dump",
    "json_schema",
    "parse",
]
