"""Protocol v1: the JSON Schemas in `schemas/`, validation, and message builders.

Every JSON text frame is one object with a `type`; binary frames are PCM16
mono audio (client: 16 kHz between `audio_start` and `audio_end` or in
hands-free mode; server: the voice's rate, announced in `session`).
See docs/protocol.md.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

VERSION = "1"
SCHEMA_DIR = Path(__file__).parent / "schemas"
CLIENT_TYPES = (
    "hello",
    "settings",
    "text",
    "audio_start",
    "audio_end",
    "button",
    "interrupt",
    "playback",
    "reset",
    "ping",
)
SERVER_TYPES = (
    "session",
    "state",
    "transcript",
    "language",
    "bot_message",
    "speech",
    "gesture",
    "emotion",
    "speech_end",
    "metrics",
    "error",
    "pong",
)
GESTURES = (
    "wave",
    "nod",
    "shake",
    "point_left",
    "point_right",
    "point_forward",
    "count",
    "open_palms",
    "think",
    "apologetic",
    "thumbs_up",
    "listen",
    "idle",
)
INPUT_SAMPLE_RATE = 16000


class ProtocolError(Exception):
    """A client mistake with a stable code; becomes an `error` message, the session carries on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@functools.cache
def validator(message_type: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{message_type}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate(message: Any, types: tuple[str, ...] = CLIENT_TYPES) -> dict:
    """Check one decoded message against its schema; raises ProtocolError."""
    if not isinstance(message, dict):
        raise ProtocolError("schema_violation", "a message must be a JSON object")
    kind = message.get("type")
    if kind not in types:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    error = next(iter(sorted(validator(kind).iter_errors(message), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.path) or "(message)"
        raise ProtocolError("schema_violation", f"{kind}: {where}: {error.message}")
    return message


MAX_DEPTH = 32  # no message nests more than 3 levels; JSON deeper than this is refused as bad_json


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects nest more than `limit` levels (the message itself is level 1); iterative."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def decode(text: str) -> dict:
    """JSON text → a validated message. Nesting has a documented limit (MAX_DEPTH): without it, whether
    ~1000 levels parsed depended on the parser's stack, so the same frame got bad_json or another code."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", f"not valid JSON: {exc}") from None
    if too_deep(message):
        raise ProtocolError("bad_json", f"JSON nested deeper than {MAX_DEPTH} levels")
    return validate(message)


def error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


def state(name: str) -> dict:
    return {"type": "state", "state": name}


def gesture(
    name: str, utterance_id: str | None = None, at_ms: int = 0, duration_ms: int = 0, target: str | None = None
) -> dict:
    return {
        "type": "gesture",
        "utterance_id": utterance_id,
        "name": name,
        "at_ms": at_ms,
        "duration_ms": duration_ms,
        "target": target,
    }


def language_changed(language: str, previous: str, confidence: float) -> dict:
    """Language following switched the session's language: the screen says so (docs/protocol.md)."""
    return {
        "type": "language",
        "language": language,
        "previous": previous,
        "reason": "detected",
        "confidence": round(min(1.0, max(0.0, confidence)), 4),
    }


def listening() -> list[dict]:
    """What the client gets when the citizen starts talking (push-to-talk pressed or VAD heard speech)."""
    return [state("listening"), gesture("listen")]


def session(session_id: str, kiosk_id: str | None, reason: str, out_sample_rate: int) -> dict:
    return {
        "type": "session",
        "session_id": session_id,
        "protocol": VERSION,
        "kiosk_id": kiosk_id,
        "reason": reason,
        "audio": {"in_sample_rate": INPUT_SAMPLE_RATE, "out_sample_rate": out_sample_rate, "encoding": "pcm16"},
    }
