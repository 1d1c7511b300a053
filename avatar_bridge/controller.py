"""Session controller: the first processor after the transport input. Acts on the client's control messages.

hello/token (and this kiosk's profile from the kiosk file), run-time `settings`
(input mode, elderly mode, language), ping, text and button turns, push-to-talk
start, interrupt (barge-in), playback acknowledgements, reset, inactivity
reset, rate limits, and reporting of protocol errors found by the serializer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    StartFrame,
    TranscriptionFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.utils.time import time_now_iso8601

from avatar_bridge import protocol
from avatar_bridge.config import KioskProfile
from avatar_bridge.frames import PushToTalkStartFrame
from avatar_bridge.sessions import ResumeRefused
from avatar_bridge.state import SessionState

_LOG = logging.getLogger(__name__)


@dataclass
class SessionSettings:
    token: str | None = None
    inactivity_s: float = 60.0
    max_messages_per_s: int = 20
    out_sample_rate: int = 22050
    profile: Callable[[str], KioskProfile] = field(default=lambda kiosk_id: KioskProfile(kiosk_id))
    position: Callable[[KioskProfile], str | None] = field(default=lambda profile: profile.position)
    elderly_rate: float = 0.85


class SessionController(FrameProcessor):
    def __init__(
        self,
        state: SessionState,
        settings: SessionSettings,
        close: Callable[[int, dict], Awaitable[None]] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.state = state
        self.settings = settings
        self._close = close
        self._recent: deque[float] = deque()
        self._limited = False
        self._watchdog: asyncio.Task | None = None
        self.on_settings: Callable[[SessionState], None] | None = None  # e.g. the turn taker's elderly fallback

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, InputTransportMessageFrame) and direction == FrameDirection.DOWNSTREAM:
            try:
                await self._handle(frame.message)
            except Exception:
                _LOG.exception("session %s: handling %r failed", self.state.session_id, frame.message.get("type"))
                await self._send(protocol.error("internal", "the bridge could not handle that message"))
            return
        if isinstance(frame, StartFrame) and self._watchdog is None:
            self._watchdog = self.create_task(self._inactivity())
        elif isinstance(frame, (EndFrame, CancelFrame)) and self._watchdog is not None:
            await self.cancel_task(self._watchdog)
            self._watchdog = None
        await self.push_frame(frame, direction)

    async def _send(self, message: dict) -> None:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=message))

    def _rate_ok(self) -> bool:
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        self._recent.append(now)
        return len(self._recent) <= self.settings.max_messages_per_s

    async def _interrupt(self) -> None:
        """Barge-in: only when the avatar is speaking (or about to)."""
        if not self.state.speaking:
            return
        _LOG.info("session %s: barge-in", self.state.session_id)
        self.state.client_playing.clear()
        await self.broadcast_interruption()

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "_error":
            await self._send(protocol.error(message["code"], message["message"]))
            return
        if not self._rate_ok():
            if not self._limited:
                self._limited = True
                await self._send(
                    protocol.error(
                        "rate_limited", f"more than {self.settings.max_messages_per_s} messages per second; dropping"
                    )
                )
            return
        self._limited = False
        if kind != "ping":
            self.state.last_activity = time.monotonic()
        handler = getattr(self, f"_on_{kind}")
        await handler(message)

    async def _on_hello(self, message: dict) -> None:
        token = self.settings.token
        if token and message.get("token") != token:
            self.state.hello = False
            _LOG.warning("session %s: bad token from kiosk %r", self.state.session_id, message["kiosk_id"])
            if self._close:  # sends the error itself, so it arrives before the close
                await self._close(4001, protocol.error("bad_token", "hello token rejected"))
            else:
                await self._send(protocol.error("bad_token", "hello token rejected"))
            return
        profile = self.settings.profile(message["kiosk_id"])
        self.state.kiosk_id = profile.kiosk_id
        self.state.position = self.settings.position(profile)
        self.state.language = message.get("language", profile.language)
        self.state.speaking_rate = profile.speaking_rate
        self.state.end_silence_s = profile.end_silence_s
        self.state.asr_model, self.state.voice = profile.asr_model, profile.voice
        self.state.elderly = message.get("elderly", profile.elderly)
        self.state.audio_out = message.get("capabilities", {}).get("audio_out", True)
        if "mode" not in message and profile.mode:
            self.state.hands_free = profile.mode == "hands_free"
        reason = await self._open_conversation(message.get("resume"))
        self._applied()
        _LOG.info(
            "session %s: kiosk %s at %s, %s, %s%s",
            self.state.session_id,
            profile.kiosk_id,
            self.state.position,
            self.state.language,
            "hands-free" if self.state.hands_free else "push-to-talk",
            ", elderly" if self.state.elderly else "",
        )
        await self._session(reason)

    async def _open_conversation(self, resume: dict | None) -> str:
        """`hello.resume`: continue that conversation if this bridge issued it to this kiosk, else a fresh one."""
        if resume is not None and self.state.book is not None:
            try:
                self.state.book.check_resume(resume["session_id"], self.state.kiosk_id)
            except ResumeRefused as exc:
                _LOG.warning("kiosk %s: resume of %r refused: %s", self.state.kiosk_id, resume["session_id"], exc)
                await self._send(protocol.error("bad_session", f"cannot resume: {exc}; a new conversation starts"))
            else:
                self.state.session_id = resume["session_id"]
                self.state.turns = max(self.state.turns, 1)  # an inactivity reset applies to it
                _LOG.info("session %s resumed by kiosk %s", self.state.session_id, self.state.kiosk_id)
                return "resume"
        self.state.session_id = self.state.issue_id()
        return "hello"

    def _applied(self) -> None:
        if self.on_settings:
            self.on_settings(self.state)

    async def _on_settings(self, message: dict) -> None:
        """mode was applied by the serializer (it gates audio); elderly and language apply from the next turn."""
        if "elderly" in message:
            self.state.elderly = message["elderly"]
        if "language" in message:
            self.state.language = message["language"]
        self._applied()
        _LOG.info("session %s: settings %s", self.state.session_id, {k: v for k, v in message.items() if k != "type"})
        await self._send(protocol.state(self._activity()))

    def _activity(self) -> str:
        return "speaking" if self.state.speaking else "idle"

    async def _session(self, reason: str) -> None:
        await self._send(
            protocol.session(self.state.session_id, self.state.kiosk_id, reason, self.settings.out_sample_rate)
        )
        await self._send(protocol.state("idle"))

    async def _on_ping(self, message: dict) -> None:
        await self._send({"type": "pong"} | ({"id": message["id"]} if "id" in message else {}))

    async def _user_text(self, text: str) -> None:
        await self._interrupt()
        await self.push_frame(TranscriptionFrame(text, "citizen", time_now_iso8601()))

    async def _on_text(self, message: dict) -> None:
        await self._user_text(message["text"])

    async def _on_button(self, message: dict) -> None:
        await self._user_text(message["payload"])

    async def _on_audio_start(self, message: dict) -> None:
        if self.state.hands_free:
            return  # the microphone is open; the VAD decides when a turn starts
        await self._interrupt()
        await self.push_frame(PushToTalkStartFrame())
        for listening in protocol.listening():
            await self._send(listening)

    async def _on_audio_end(self, message: dict) -> None:
        """Hands-free only (push-to-talk's audio_end travels on the audio path): the mic closed."""

    async def _on_interrupt(self, message: dict) -> None:
        await self._interrupt()

    async def _on_playback(self, message: dict) -> None:
        if message["state"] == "started":
            self.state.client_playing.add(message["utterance_id"])
        else:
            self.state.client_playing.discard(message["utterance_id"])

    async def _on_reset(self, message: dict) -> None:
        await self.reset("reset")

    async def reset(self, reason: str) -> None:
        await self._interrupt()
        self.state.renew()
        _LOG.info("session renewed (%s): %s", reason, self.state.session_id)
        await self._session(reason)

    async def _inactivity(self) -> None:
        period = max(0.05, min(1.0, self.settings.inactivity_s / 4))
        while True:
            await asyncio.sleep(period)
            idle = time.monotonic() - self.state.last_activity
            if self.state.turns and not self.state.speaking and idle >= self.settings.inactivity_s:
                await self.reset("inactivity")
