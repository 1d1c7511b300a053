"""Pipecat FrameSerializer for protocol v1: JSON text frames for control, binary frames for PCM16 audio.

Incoming text is decoded and validated here; anything wrong becomes a
ProtocolErrorFrame that the session controller reports, so one bad frame never
ends a session. The serializer is the one writer of the input gate
(`state.hello`, `state.hands_free`, `state.audio_open`): it judges each audio
frame as it arrives, so it must know the mode before the frame behind it.
Binary audio is only accepted after `hello` and inside `audio_start`/`audio_end`
(or in hands-free mode).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputTransportMessageFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
)
from pipecat.serializers.base_serializer import FrameSerializer

from avatar_bridge import protocol
from avatar_bridge.access import FATAL_CODES, SessionAccess, WebQuota
from avatar_bridge.admission import Seats
from avatar_bridge.frames import AudioEndMarkerFrame, ProtocolErrorFrame
from avatar_bridge.protocol import INPUT_SAMPLE_RATE, ProtocolError
from avatar_bridge.state import SessionState

_LOG = logging.getLogger(__name__)
MAX_TEXT_FRAME = 16 * 1024  # bytes of UTF-8
MAX_AUDIO_FRAME = 64 * 1024  # 2 s of 16 kHz PCM16 per frame; clients send 20-100 ms


@dataclass
class AudioRateLimit:
    """Token buckets on incoming audio: bytes and frames per second beyond real time x `margin`.

    A microphone cannot produce audio faster than real time; a client that does is
    broken or hostile and would starve the other kiosks' ASR. `burst_s` seconds of
    audio may come at once (a push-to-talk upload after a network hiccup). Excess
    frames are dropped with one `rate_limited` error per second; the session goes on.
    """

    margin: float = 1.5
    burst_s: float = 6.0
    max_frames_per_s: float = 100.0  # 10 ms frames in real time; clients send 20-100 ms
    _bytes: float = field(default=-1.0, init=False)
    _frames: float = field(default=-1.0, init=False)
    _at: float = field(default=0.0, init=False)
    _reported: float = field(default=-10.0, init=False)

    def take(self, nbytes: int) -> bool:
        byte_rate = INPUT_SAMPLE_RATE * 2 * self.margin
        frame_rate = self.max_frames_per_s * self.margin
        now = time.monotonic()
        if self._bytes < 0:
            self._bytes, self._frames = byte_rate / self.margin * self.burst_s, frame_rate * self.burst_s
        else:
            elapsed = now - self._at
            self._bytes = min(byte_rate / self.margin * self.burst_s, self._bytes + elapsed * byte_rate)
            self._frames = min(frame_rate * self.burst_s, self._frames + elapsed * frame_rate)
        self._at = now
        if self._bytes < nbytes or self._frames < 1:
            return False
        self._bytes -= nbytes
        self._frames -= 1
        return True

    def should_report(self) -> bool:
        now = time.monotonic()
        if now - self._reported >= 1.0:
            self._reported = now
            return True
        return False


class KioskSerializer(FrameSerializer):
    def __init__(
        self,
        state: SessionState,
        max_audio_frame: int = MAX_AUDIO_FRAME,
        audio_limit: AudioRateLimit | None = None,
        token: str | None = None,
        default_mode: Callable[[str], str | None] = lambda kiosk_id: None,
        hands_free_seats: Seats | None = None,
        access: SessionAccess | None = None,
    ):
        super().__init__()
        self.hands_free_seats = hands_free_seats  # None = no limit on hands-free sessions
        self.state = state
        self.max_audio_frame = max_audio_frame
        self.audio_limit = audio_limit or AudioRateLimit()
        # who this connection is (kiosk or web) and what it may still use; `token`: the shared secret of the
        # kiosks when the bridge has no kiosk secrets file (None = none needed)
        self.access = access or SessionAccess("unknown", WebQuota(), token=token)
        self.default_mode = default_mode  # kiosk_id -> the kiosk profile's input mode, if any
        self._open_utterance: str | None = None  # a `speech` went out and its `speech_end` not yet

    # --- server -> client ---------------------------------------------------------------
    async def serialize(self, frame: Frame) -> str | bytes | None:
        if isinstance(frame, OutputAudioRawFrame):
            return bytes(frame.audio)
        if isinstance(frame, (OutputTransportMessageFrame, OutputTransportMessageUrgentFrame)):
            message = frame.message
            kind = message.get("type")
            if kind == "speech":
                self._open_utterance = message["utterance_id"]
            elif kind == "speech_end":
                if self._open_utterance != message["utterance_id"] and message["interrupted"]:
                    return None  # already ended
                self._open_utterance = None
            return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        if isinstance(frame, InterruptionFrame) and self._open_utterance:
            # The transport has just dropped the queued audio: tell the client this utterance is over.
            utterance, self._open_utterance = self._open_utterance, None
            return json.dumps({"type": "speech_end", "utterance_id": utterance, "interrupted": True})
        return None

    # --- client -> server ---------------------------------------------------------------
    async def deserialize(self, data: str | bytes) -> Frame | None:
        try:
            if isinstance(data, bytes):
                return self._audio(data)
            return self._control(data)
        except ProtocolError as exc:
            _LOG.warning("session %s: %s: %s", self.state.session_id, exc.code, exc.message)
            fatal = exc.code in FATAL_CODES
            return ProtocolErrorFrame(
                code=exc.code, message=exc.message, fatal=fatal, close_code=FATAL_CODES.get(exc.code, 4001)
            )

    def _audio(self, data: bytes) -> Frame | None:
        if not self.state.hello:
            raise ProtocolError("not_ready", "send hello before audio")
        if not self.access.audio(len(data)):  # a web session's mode and audio allowance
            return None
        if not (self.state.audio_open or self.state.hands_free):
            raise ProtocolError("audio_not_started", "binary audio outside audio_start/audio_end (push-to-talk)")
        if len(data) > self.max_audio_frame:
            raise ProtocolError("audio_too_large", f"audio frame of {len(data)} bytes; limit {self.max_audio_frame}")
        if len(data) % 2:
            raise ProtocolError("bad_audio", "PCM16 frames must have an even number of bytes")
        if not data:
            raise ProtocolError("bad_audio", "empty audio frame")
        if not self.audio_limit.take(len(data)):
            if self.audio_limit.should_report():
                raise ProtocolError("rate_limited", "audio arrives faster than real time; frames dropped")
            return None
        return InputAudioRawFrame(audio=data, sample_rate=INPUT_SAMPLE_RATE, num_channels=1)

    def _set_mode(self, mode: str) -> None:
        """Hands-free only while a hands-free seat is free (admission control); else push-to-talk, which the
        controller tells the client (it compares the mode asked for with `state.hands_free`)."""
        seats = self.hands_free_seats
        if mode == "hands_free":
            self.state.hands_free = seats is None or seats.take(self.state)
        else:
            self.state.hands_free = False
            if seats is not None:
                seats.give_back(self.state)

    def _control(self, text: str) -> Frame | None:
        # The limit is on the frame's UTF-8 bytes (docs/protocol.md: 16 KiB), not its characters: 16 Ki Chinese
        # characters are 48 KiB. The character count bounds the bytes from below, so huge frames skip encoding.
        size = len(text) if len(text) > MAX_TEXT_FRAME else len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_TEXT_FRAME:
            raise ProtocolError("message_too_large", f"text frame of {size} bytes or more; limit {MAX_TEXT_FRAME}")
        message = protocol.decode(text)
        kind = message["type"]
        if kind not in ("hello", "ping") and not self.state.hello:
            raise ProtocolError("not_ready", f"send hello before {kind}")
        if kind == "hello":
            try:
                self.access.hello(message)  # kiosk secret or web quota; a refusal closes the session
            except ProtocolError:
                self.state.hello = False
                raise
            self.state.hello = True
            mode = message.get("mode") or self.default_mode(message["kiosk_id"])
            if mode:
                self._set_mode(mode)
        elif kind != "ping" and not self.access.control(kind, message):
            return None
        if kind == "settings" and "mode" in message:  # here, so audio right behind it is judged by the new mode
            self._set_mode(message["mode"])
        elif kind == "audio_start":
            if message["sample_rate"] != INPUT_SAMPLE_RATE:
                raise ProtocolError(
                    "bad_sample_rate",
                    f"sample_rate {message['sample_rate']} not supported; send {INPUT_SAMPLE_RATE} Hz",
                )
            self.state.audio_open = True
        elif kind == "audio_end":
            if not self.state.audio_open:
                raise ProtocolError("audio_not_started", "audio_end without audio_start")
            self.state.audio_open = False
            if self.state.hands_free:
                return InputTransportMessageFrame(message=message)  # mic closed; nothing to transcribe
            # Travels on the audio path so it arrives after the audio it closes (one silent sample).
            return AudioEndMarkerFrame(audio=b"\x00\x00", sample_rate=INPUT_SAMPLE_RATE, num_channels=1)
        return InputTransportMessageFrame(message=message)
