"""What the bridge must answer to any frame a client sends, as docs/protocol.md specifies it.

The fuzz tests send thousands of generated frames; this model says, for each one and the session's state
so far, which `error` code the documented protocol requires (or none), which answer a good message gets,
and whether the frame starts a turn or ends the connection. It is written from docs/protocol.md (the
order of the checks: size, JSON, object, type, schema, hello first, token, sample rate, audio gate) and the
published JSON Schemas, not from the serializer's code, so a bridge that drifts from its documentation fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from avatar_bridge.protocol import CLIENT_TYPES, validator

MAX_TEXT_BYTES = 16 * 1024  # "message_too_large (text frame > 16 KiB)": the frame's UTF-8 bytes
MAX_AUDIO_BYTES = 64 * 1024  # "≤ 64 KiB per frame"
SAMPLE_RATE = 16000  # "bad_sample_rate (only 16000)"
MAX_UTTERANCE_BYTES = 30 * SAMPLE_RATE * 2  # the recogniser takes 30 s per utterance; longer: asr_failed


@dataclass
class Expected:
    """The documented outcome of one client frame."""

    error: str | None = None  # the `error.code` the client must get, or None for a good message
    answer: str | None = None  # the message type a good message is answered with (pong, state, session)
    closes: bool = False  # the server ends the connection (bad_token)
    turn: bool = False  # a turn starts (typed text, a button, push-to-talk released after audio)
    hands_free: bool = False  # the session switches to hands-free
    asr_refused: bool = False  # the turn ends in `asr_failed` (asynchronously, after the decode would have run)


MAX_DEPTH = 32  # "bad_json": not JSON, or arrays/objects nested more than 32 levels


def depth(value: object) -> int:
    """Levels of array/object nesting (a message is 1); iterative, as frames may nest thousands deep."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse(text: str) -> tuple[bool, object]:
    """JSON as the protocol defines it (RFC 8259 with Python's NaN/Infinity extensions, which the bridge
    accepts and then refuses by schema), at most MAX_DEPTH deep. Returns (ok, value). A frame too deep for
    the parser's stack is bad_json either way."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False, None
    return depth(value) <= MAX_DEPTH, value


def schema_ok(message: dict) -> bool:
    return next(iter(validator(message["type"]).iter_errors(message)), None) is None


@dataclass
class KioskModel:
    """The session state that decides the answer: hello done, input mode, microphone open."""

    token: str | None = None  # the bridge's kiosk token, if it has one
    hello: bool = False
    hands_free: bool = False
    audio_open: bool = False
    audio_sent: bool = False  # audio accepted since audio_start (a release then transcribes it)
    audio_bytes: int = 0  # how much, in push-to-talk
    language: str = "en"
    closed: bool = False
    history: list[str] = field(default_factory=list)

    def expect(self, frame: str | bytes) -> Expected:
        """The outcome of `frame` without changing the model (`apply` changes it)."""
        return self._judge(frame, commit=False)

    def apply(self, frame: str | bytes) -> Expected:
        return self._judge(frame, commit=True)

    def _judge(self, frame: str | bytes, commit: bool) -> Expected:
        if isinstance(frame, bytes):
            return self._binary(frame, commit)
        if len(frame.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
            return Expected("message_too_large")
        ok, message = parse(frame)
        if not ok:
            return Expected("bad_json")
        if not isinstance(message, dict):
            return Expected("schema_violation")
        kind = message.get("type")
        if not isinstance(kind, str) or kind not in CLIENT_TYPES:
            return Expected("unknown_type")
        if not schema_ok(message):
            return Expected("schema_violation")
        if kind not in ("hello", "ping") and not self.hello:
            return Expected("not_ready")
        return getattr(self, f"_{kind}")(message, commit)

    def _binary(self, data: bytes, commit: bool) -> Expected:
        if not self.hello:
            return Expected("not_ready")
        if not (self.audio_open or self.hands_free):
            return Expected("audio_not_started")
        if len(data) > MAX_AUDIO_BYTES:
            return Expected("audio_too_large")
        if len(data) % 2 or not data:
            return Expected("bad_audio")
        if commit and self.audio_open:
            self.audio_sent = True
            self.audio_bytes += len(data)
        return Expected()

    def _hello(self, message: dict, commit: bool) -> Expected:
        if self.token is not None and message.get("token") != self.token:
            if commit:
                self.hello, self.closed = False, True
            return Expected("bad_token", closes=True)
        mode = message.get("mode")
        if commit:
            self.hello = True
            self.language = message.get("language", "en")  # the fuzzed kiosk ids' profiles all say en
            if mode:
                self.hands_free = mode == "hands_free"
        # A resume id the fuzzer made up was never issued to this kiosk: refused, a fresh conversation starts.
        error = "bad_session" if "resume" in message else None
        return Expected(error, answer="session", hands_free=mode == "hands_free")

    def _settings(self, message: dict, commit: bool) -> Expected:
        if commit and "mode" in message:
            self.hands_free = message["mode"] == "hands_free"
        if commit and "language" in message:
            self.language = message["language"]
        return Expected(answer="state", hands_free=message.get("mode") == "hands_free")

    def _text(self, message: dict, commit: bool) -> Expected:
        return Expected(turn=True)

    _button = _text

    def _audio_start(self, message: dict, commit: bool) -> Expected:
        if message["sample_rate"] != SAMPLE_RATE:
            return Expected("bad_sample_rate")
        if commit:
            self.audio_open, self.audio_sent, self.audio_bytes = True, False, 0
        return Expected(answer=None if self.hands_free else "state")

    def _audio_end(self, message: dict, commit: bool) -> Expected:
        if not self.audio_open:
            return Expected("audio_not_started")
        turn = not self.hands_free and self.audio_sent
        if commit:
            self.audio_open, self.audio_sent = False, False
        return Expected(turn=turn, asr_refused=turn and self.asr_refuses())

    def asr_refuses(self) -> bool:
        """The recogniser refuses the utterance (`asr_failed`, sent when the decode would have ended): over
        30 s, or Mandarin on an English-only model (the test bridges run tiny.en)."""
        return self.audio_bytes > MAX_UTTERANCE_BYTES or self.language == "zh"

    def _interrupt(self, message: dict, commit: bool) -> Expected:
        return Expected()

    _playback = _interrupt

    def _reset(self, message: dict, commit: bool) -> Expected:
        return Expected(answer="session")

    def _ping(self, message: dict, commit: bool) -> Expected:
        return Expected(answer="pong")
