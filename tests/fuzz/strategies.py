"""Hypothesis strategies for what a kiosk client (or anyone who opens the websocket) can send.

Three families, mixed in every generated sequence:
* valid messages of every client type, with boundary values (1 and 1000 characters of text, a 64-character
  kiosk id, a 256-character token, both modes, both languages);
* mutations of valid messages: a field dropped, an unknown field added, a field given a value of another
  JSON type, a string one past its limit, the type renamed, deep nesting, NaN and huge numbers;
* raw frames: random JSON of any shape, text that is not JSON (truncated messages, deep brackets), text
  frames around the 16 KiB limit, and binary frames of every size and parity (0, 1, odd, even, just under
  and over 64 KiB, several hundred KiB).
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from avatar_bridge.protocol import CLIENT_TYPES

# Odd but valid unicode: astral-plane characters, combining marks, right-to-left, zero-width, controls.
ODD_CHARS = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z", "Cc", "Cf"))
TEXT = st.text(ODD_CHARS, max_size=40)
KIOSK_IDS = st.one_of(st.sampled_from(["entrance", "floor2", "web", "k"]), st.text(ODD_CHARS, min_size=1, max_size=64))

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _capabilities() -> st.SearchStrategy[dict]:
    keys = st.sampled_from(["audio_in", "audio_out", "visemes", "gestures"])
    return st.dictionaries(keys, st.booleans(), max_size=4)


def valid_message(kind: str) -> st.SearchStrategy[dict]:
    """A message of `kind` that the schema accepts, with boundary values among the choices."""
    base = {"type": st.just(kind)}
    optional: dict[str, st.SearchStrategy] = {}
    if kind == "hello":
        base |= {"protocol": st.just("1"), "kiosk_id": KIOSK_IDS}
        optional = {
            "language": st.sampled_from(["en", "zh"]),
            "capabilities": _capabilities(),
            "token": st.text(ODD_CHARS, max_size=256) | st.just("t" * 256),
            "mode": st.sampled_from(["push_to_talk", "hands_free"]),
            "elderly": st.booleans(),
            "follow_language": st.booleans(),
            "resume": st.fixed_dictionaries({"session_id": st.text(ODD_CHARS, min_size=1, max_size=64)}),
        }
    elif kind == "settings":
        optional = {
            "mode": st.sampled_from(["push_to_talk", "hands_free"]),
            "elderly": st.booleans(),
            "language": st.sampled_from(["en", "zh"]),
            "follow_language": st.booleans(),
        }
    elif kind == "text":
        base["text"] = st.text(ODD_CHARS, min_size=1, max_size=60) | st.sampled_from(["x", "问" * 1000, "a" * 1000])
    elif kind == "button":
        base["payload"] = st.text(ODD_CHARS, min_size=1, max_size=60) | st.just("/" + "p" * 499)
        optional = {"title": st.text(ODD_CHARS, max_size=200)}
    elif kind == "audio_start":
        base |= {"sample_rate": st.sampled_from([16000, 16000.0, 8000, 44100, 1, 2**53]), "encoding": st.just("pcm16")}
    elif kind == "playback":
        base |= {
            "utterance_id": st.text(ODD_CHARS, min_size=1, max_size=64),
            "state": st.sampled_from(["started", "finished"]),
        }
    elif kind == "ping":
        optional = {"id": st.text(ODD_CHARS, max_size=20) | st.integers(-(2**63), 2**63)}
    return st.fixed_dictionaries(base, optional=optional)


any_valid_message = st.sampled_from(CLIENT_TYPES).flatmap(valid_message)

# A string one past the schema's limit, for the fields that have one.
PAST_LIMIT = {
    "text": "t" * 1001,
    "payload": "p" * 501,
    "title": "t" * 201,
    "kiosk_id": "k" * 65,
    "token": "t" * 257,
    "utterance_id": "u" * 65,
    "session_id": "s" * 65,
}


@st.composite
def mutated_message(draw) -> dict:
    """A valid message with one thing wrong (or, rarely, still right: the model judges either way)."""
    message = dict(draw(any_valid_message))
    how = draw(st.sampled_from(["drop", "extra", "retype", "past_limit", "empty", "rename", "nest", "wrong_const"]))
    keys = sorted(message)
    if how == "drop":
        message.pop(draw(st.sampled_from(keys)))
    elif how == "extra":
        message[draw(TEXT.filter(lambda k: k not in message))] = draw(json_values)
    elif how == "retype":
        message[draw(st.sampled_from(keys))] = draw(json_values)
    elif how == "past_limit":
        limited = [k for k in keys if k in PAST_LIMIT]
        if limited:
            key = draw(st.sampled_from(limited))
            message[key] = PAST_LIMIT[key]
    elif how == "empty":
        message[draw(st.sampled_from(keys))] = draw(st.sampled_from(["", [], {}, 0, None]))
    elif how == "rename":
        message["type"] = draw(st.sampled_from(["Hello", "PING", "hello ", "audio-start", "", "speech", "pong"]) | TEXT)
    elif how == "nest":
        depth = draw(st.integers(1, 60))
        value: object = draw(json_scalars)
        for _ in range(depth):
            value = {"v": value} if draw(st.booleans()) else [value]
        message[draw(st.sampled_from(keys))] = value
    else:  # a const/enum field with another value
        for key, wrong in (("protocol", "2"), ("encoding", "opus"), ("mode", "always"), ("language", "fr")):
            if key in message:
                message[key] = wrong
                break
        else:
            message["state"] = "paused"
    return message


@st.composite
def raw_text(draw) -> str:
    """Text frames that are not a well-formed message: not JSON, deep, or around the size limit."""
    kind = draw(st.sampled_from(["truncated", "garbage", "deep", "around_limit", "huge", "bigint", "empty"]))
    if kind == "truncated":
        text = json.dumps(draw(any_valid_message), ensure_ascii=False)
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "garbage":
        return draw(st.text(ODD_CHARS, max_size=80))
    if kind == "deep":
        depth = draw(st.integers(100, 100_000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return opener * depth + "0" + closer * depth * draw(st.sampled_from([0, 1]))
    if kind == "around_limit":
        # A ping padded to land within a few bytes of 16 KiB, in one-, two-, three- or four-byte characters.
        char = draw(st.sampled_from(["a", "é", "问", "😀"]))
        target = 16 * 1024 + draw(st.integers(-4, 4))
        head = '{"type":"ping","id":"'
        room = target - len(head.encode()) - 2
        return head + char * max(0, room // len(char.encode())) + '"}'
    if kind == "huge":
        return '{"type":"text","text":"' + "h" * draw(st.integers(16 * 1024, 300_000)) + '"}'
    if kind == "bigint":
        return '{"type":"ping","id":' + "9" * draw(st.integers(20, 5000)) + "}"
    return ""


@st.composite
def binary_frame(draw) -> bytes:
    """Audio frames of every size and parity; silence, so an accepted frame never makes speech."""
    size = draw(
        st.one_of(
            st.sampled_from([0, 1, 2, 3, 639, 640, 641, 65535, 65536, 65537, 65538, 300_001]),
            st.integers(0, 4000),
            st.integers(60_000, 70_000),
        )
    )
    return bytes(size)


def text_frame_from(message: object) -> str:
    return json.dumps(message, ensure_ascii=False, allow_nan=True)


client_frame = st.one_of(
    any_valid_message.map(text_frame_from),
    mutated_message().map(text_frame_from),
    json_values.map(text_frame_from),
    raw_text(),
    binary_frame(),
)
