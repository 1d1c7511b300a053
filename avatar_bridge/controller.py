"""Session controller: the first processor after the transport input. Acts on the client's control messages.

hello (and this kiosk's profile from the kiosk file; the serializer checked its token), run-time `settings`
(input mode, elderly mode, language, language following), the language the recogniser heard (language
following: LanguageHeardFrame), ping, text and button turns, push-to-talk
start, interrupt (barge-in), playback acknowledgements, reset, inactivity
reset, rate limits, and reporting of protocol errors found by the serializer.

It is the one place that
* decides whether the avatar is speaking (`state.avatar`, from the synthesiser's
  Reply*Frames, Pipecat's bot-speaking frames and the client's playback reports),
* renews sessions (`reset`, inactivity, and after a farewell reply, which the
  synthesiser announces with ReplyFinishedFrame(farewell=True)),
* applies a kiosk's settings to the other stages, as frames: Pipecat's
  STTUpdateSettingsFrame / TTSUpdateSettingsFrame (ASR model, voice) and
  TurnTimingFrame (end-of-turn fallback).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    Frame,
    InputTransportMessageFrame,
    InterruptionFrame,
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    StartFrame,
    STTUpdateSettingsFrame,
    TranscriptionFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.utils.time import time_now_iso8601

from avatar_bridge import protocol
from avatar_bridge.admission import HANDS_FREE_UNAVAILABLE
from avatar_bridge.config import KioskProfile
from avatar_bridge.frames import (
    Errors,
    LanguageHeardFrame,
    ProtocolErrorFrame,
    PushToTalkStartFrame,
    ReplyFinishedFrame,
    ReplyStartedFrame,
    TurnTimingFrame,
)
from avatar_bridge.sessions import ResumeRefused
from avatar_bridge.state import SessionState

_LOG = logging.getLogger(__name__)
# what "is the avatar speaking" is derived from (with the client's `playback` reports)
AVATAR_FRAMES = (
    ReplyStartedFrame,
    ReplyFinishedFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    InterruptionFrame,
)


@dataclass
class SessionSettings:
    inactivity_s: float = 60.0
    max_messages_per_s: int = 20
    out_sample_rate: int = 22050
    profile: Callable[[str], KioskProfile] = field(default=lambda kiosk_id: KioskProfile(kiosk_id))
    position: Callable[[KioskProfile], str | None] = field(default=lambda profile: profile.position)
    elderly_rate: float = 0.85
    max_hands_free: int | None = None  # hands-free seats of the bridge (for the message when none is free)
    hello_timeout_s: float = 10.0  # a connection without a valid hello by then is closed (0 = never)
    max_age_s: float = 0.0  # absolute lifetime of a conversation, then it renews (`expired`); 0 = none


class SessionController(FrameProcessor):
    def __init__(
        self,
        state: SessionState,
        settings: SessionSettings,
        close: Callable[[int, dict], Awaitable[None]] | None = None,
        errors: Errors | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.state = state
        self.settings = settings
        self.errors = errors or Errors()
        self._close = close
        self._recent: deque[float] = deque()
        self._limited = False
        self._watchdog: asyncio.Task | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, InputTransportMessageFrame) and direction == FrameDirection.DOWNSTREAM:
            try:
                await self._handle(frame.message)
            except Exception:
                _LOG.exception("session %s: handling %r failed", self.state.session_id, frame.message.get("type"))
                await self._error("internal", "the bridge could not handle that message")
            return
        if isinstance(frame, ProtocolErrorFrame):
            await self._protocol_error(frame)
            return
        if isinstance(frame, LanguageHeardFrame):
            self._language_heard(frame)
            return
        if isinstance(frame, AVATAR_FRAMES):
            await self._avatar(frame)
            if isinstance(frame, (ReplyStartedFrame, ReplyFinishedFrame)):
                return  # ours alone
        if isinstance(frame, StartFrame) and self._watchdog is None:
            self._watchdog = self.create_task(self._inactivity())
        elif isinstance(frame, (EndFrame, CancelFrame)) and self._watchdog is not None:
            await self.cancel_task(self._watchdog)
            self._watchdog = None
        await self.push_frame(frame, direction)

    async def _send(self, message: dict) -> None:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=message))

    async def _error(self, code: str, text: str) -> None:
        await self.push_frame(self.errors.frame(code, text))

    async def _protocol_error(self, frame: ProtocolErrorFrame) -> None:
        if frame.fatal and self._close:  # a refused hello (credentials, no room): the error goes out before the close
            _LOG.warning("session %s: %s, closing", self.state.session_id, frame.message)
            await self._close(frame.close_code, self.errors.message(frame.code, frame.message))
            return
        await self._error(frame.code, frame.message)

    async def _avatar(self, frame: Frame) -> None:
        """The one place that knows whether the avatar is speaking (and counts the replies given)."""
        avatar = self.state.avatar
        if isinstance(frame, ReplyStartedFrame):
            avatar.synthesising = frame.utterance_id
            self.state.turns += 1
        elif isinstance(frame, ReplyFinishedFrame):
            if avatar.synthesising == frame.utterance_id:
                avatar.synthesising = None
                avatar.awaiting_audio = frame.spoke and not frame.interrupted
            if frame.farewell and not frame.interrupted:
                await self.reset("goodbye", interrupt=False)
        elif isinstance(frame, BotStartedSpeakingFrame):
            avatar.sending = True
        elif isinstance(frame, BotStoppedSpeakingFrame):
            avatar.sending = False
            avatar.awaiting_audio = False
        elif isinstance(frame, InterruptionFrame):  # a barge-in the turn taker heard (hands-free)
            avatar.synthesising = None
            avatar.awaiting_audio = False

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
        self.state.avatar.silenced()
        await self.broadcast_interruption()

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        if not self._rate_ok():
            if not self._limited:
                self._limited = True
                await self._error(
                    "rate_limited", f"more than {self.settings.max_messages_per_s} messages per second; dropping"
                )
            return
        self._limited = False
        if kind != "ping":
            self.state.last_activity = time.monotonic()
        handler = getattr(self, f"_on_{kind}")
        await handler(message)

    async def _on_hello(self, message: dict) -> None:
        """The serializer has checked the token (a bad one arrives as a fatal ProtocolErrorFrame) and the mode."""
        profile = self.settings.profile(message["kiosk_id"])
        self.state.kiosk_id = profile.kiosk_id
        self.state.position = self.settings.position(profile)
        self.state.language = message.get("language", profile.language)
        self.state.follow_language = message.get("follow_language", profile.follow_language)
        self.state.speaking_rate = profile.speaking_rate
        self.state.end_silence_s = profile.end_silence_s
        self.state.elderly = message.get("elderly", profile.elderly)
        self.state.audio_out = message.get("capabilities", {}).get("audio_out", True)
        reason = await self._open_conversation(message.get("resume"))
        await self._apply_settings(profile)
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
        await self._check_mode(message.get("mode") or profile.mode)

    async def _check_mode(self, asked: str | None) -> None:
        """The serializer serves hands-free only while a seat is free: say so when it fell back to push-to-talk."""
        if asked == "hands_free" and not self.state.hands_free:
            _LOG.warning("session %s: no hands-free seat free; push-to-talk", self.state.session_id)
            text = HANDS_FREE_UNAVAILABLE.format(limit=self.settings.max_hands_free)
            await self._error("hands_free_unavailable", text)

    async def _open_conversation(self, resume: dict | None) -> str:
        """`hello.resume`: continue that conversation if this bridge issued it to this kiosk, else a fresh one."""
        if resume is not None and self.state.book is not None:
            try:
                self.state.book.check_resume(resume["session_id"], self.state.kiosk_id)
            except ResumeRefused as exc:
                _LOG.warning("kiosk %s: resume of %r refused: %s", self.state.kiosk_id, resume["session_id"], exc)
                await self._error("bad_session", f"cannot resume: {exc}; a new conversation starts")
            else:
                self.state.session_id = resume["session_id"]
                self.state.turns = max(self.state.turns, 1)  # an inactivity reset applies to it
                _LOG.info("session %s resumed by kiosk %s", self.state.session_id, self.state.kiosk_id)
                return "resume"
        self.state.session_id = self.state.issue_id()
        self.state.conversation_started = time.monotonic()
        return "hello"

    async def _apply_settings(self, profile: KioskProfile | None = None) -> None:
        """Tell the other stages: the turn taker its end-of-turn fallback; the recogniser and the synthesiser
        this kiosk's ASR model and voice (None = the bridge's), with Pipecat's settings frames."""
        await self.push_frame(TurnTimingFrame(end_silence_s=self.state.end_silence_s, elderly=self.state.elderly))
        if profile is not None:
            await self.push_frame(STTUpdateSettingsFrame(delta=STTSettings(model=profile.asr_model)))
            await self.push_frame(TTSUpdateSettingsFrame(delta=TTSSettings(voice=profile.voice)))

    async def _on_settings(self, message: dict) -> None:
        """mode was applied by the serializer (it gates audio); elderly and language apply from the next turn."""
        if "elderly" in message:
            self.state.elderly = message["elderly"]
        if "language" in message:
            self.state.language = message["language"]
        if "follow_language" in message:
            self.state.follow_language = message["follow_language"]
        await self._apply_settings()
        await self._check_mode(message.get("mode"))
        _LOG.info("session %s: settings %s", self.state.session_id, {k: v for k, v in message.items() if k != "type"})
        await self._send(protocol.state(self._activity()))

    def _language_heard(self, frame: LanguageHeardFrame) -> None:
        """Language following: the recogniser heard the citizen speak another language (and told the client)."""
        if not self.state.follow_language or frame.language == self.state.language:
            return
        _LOG.info(
            "session %s: language %s -> %s (detected, %.2f)",
            self.state.session_id,
            self.state.language,
            frame.language,
            frame.confidence,
        )
        self.state.language = frame.language

    def _activity(self) -> str:
        return "speaking" if self.state.speaking else "idle"

    async def _session(self, reason: str, queued: bool = False) -> None:
        """`session` + idle; `queued`: behind the messages and audio already on their way (after a farewell)."""
        frame = OutputTransportMessageFrame if queued else OutputTransportMessageUrgentFrame
        message = protocol.session(self.state.session_id, self.state.kiosk_id, reason, self.settings.out_sample_rate)
        await self.push_frame(frame(message=message))
        await self.push_frame(frame(message=protocol.state("idle")))

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
            self.state.avatar.client_playing.add(message["utterance_id"])
        else:
            self.state.avatar.client_playing.discard(message["utterance_id"])

    async def _on_reset(self, message: dict) -> None:
        await self.reset("reset")

    async def reset(self, reason: str, interrupt: bool = True) -> None:
        """A new citizen: a new conversation id for the dialogue core; the old one can never be resumed.
        After a farewell nothing is interrupted (it was just spoken) and the `session` queues behind it."""
        if interrupt:
            await self._interrupt()
        if self.state.book:
            self.state.book.ended(self.state.session_id)
        self.state.session_id = self.state.issue_id()
        self.state.conversation_started = time.monotonic()
        self.state.avatar.client_playing.clear()
        self.state.turns = 0
        _LOG.info("session renewed (%s): %s", reason, self.state.session_id)
        await self._session(reason, queued=not interrupt)

    async def _inactivity(self) -> None:
        """Idle timeout (the conversation renews), absolute lifetime (renews too, ASVS 7.3.2) and the hello
        deadline (a connection that never says hello does not hold a session slot)."""
        period = max(0.05, min(1.0, self.settings.inactivity_s / 4))
        connected = time.monotonic()
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            if not self.state.hello:
                if self.settings.hello_timeout_s and now - connected >= self.settings.hello_timeout_s and self._close:
                    _LOG.warning("connection without hello after %.0f s: closing", self.settings.hello_timeout_s)
                    await self._close(1008, self.errors.message("hello_timeout", "no hello in time"))
                    return
                continue
            idle = now - self.state.last_activity
            if self.state.turns and not self.state.speaking and idle >= self.settings.inactivity_s:
                await self.reset("inactivity")
            elif self.settings.max_age_s and not self.state.speaking and self._age() >= self.settings.max_age_s:
                await self.reset("expired")

    def _age(self) -> float:
        """Seconds since this conversation's id was issued (also before a reconnect that resumed it)."""
        book = self.state.book
        issued = book.issued_at(self.state.session_id) if book is not None else None
        return time.time() - issued if issued is not None else time.monotonic() - self.state.conversation_started
