"""What one connection's processors share: who is at the kiosk, and whether the avatar is talking.

Each field has one writer (named beside it); every other stage only reads.
Stages that need to change something another stage owns send a frame instead
(avatar_bridge/frames.py).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field

from avatar_bridge.sessions import SessionBook


def new_id() -> str:
    """An utterance id: unique within a session, not a secret."""
    return uuid.uuid4().hex[:16]


def new_session_id() -> str:
    """128 bits from the CSPRNG (ASVS 7.2.3): a session id when the bridge has no session book."""
    return secrets.token_hex(16)


@dataclass
class AvatarSpeech:
    """Whether the avatar is speaking, derived in one place (written by the controller only) from:
    the synthesiser's ReplyStarted/ReplyFinished frames (a reply is on its way), Pipecat's
    BotStarted/StoppedSpeakingFrame (its audio is going out) and the client's `playback` reports."""

    synthesising: str | None = None  # utterance between ReplyStartedFrame and ReplyFinishedFrame
    sending: bool = False  # between BotStartedSpeakingFrame and BotStoppedSpeakingFrame
    awaiting_audio: bool = False  # a reply finished with audio that the transport has not finished sending
    client_playing: set[str] = field(default_factory=set)

    @property
    def speaking(self) -> bool:
        return self.synthesising is not None or self.sending or self.awaiting_audio or bool(self.client_playing)

    def silenced(self) -> None:
        """Barge-in or a new citizen: whatever was playing is over."""
        self.synthesising = None
        self.awaiting_audio = False
        self.client_playing.clear()


@dataclass
class SessionState:
    # --- written by the controller (hello, `settings`, resume, renewal) ---
    session_id: str = field(default_factory=new_session_id)
    kiosk_id: str | None = None
    position: str | None = None  # the kiosk of data/hall.yml this session's directions are relative to
    language: str = "en"
    follow_language: bool = False  # voice turns switch `language` to the one the citizen speaks (en/zh)
    elderly: bool = False  # hands-free waits longer for the end of a turn; the avatar speaks slower
    speaking_rate: float = 1.0  # this kiosk's rate (elderly mode slows it further)
    end_silence_s: float = 0.8  # hands-free: silence that ends a turn whatever Smart-Turn says
    audio_out: bool = True  # hello.capabilities.audio_out: false (the text widget) = no speech is synthesised
    last_activity: float = field(default_factory=time.monotonic)
    conversation_started: float = field(default_factory=time.monotonic)  # absolute lifetime, without a session book
    turns: int = 0  # replies given in this conversation
    avatar: AvatarSpeech = field(default_factory=AvatarSpeech)
    # --- written by the serializer (it gates incoming audio on them, frame by frame) ---
    hello: bool = False  # a hello with a valid token arrived
    hands_free: bool = False  # hello/settings `mode`, else the kiosk profile's
    audio_open: bool = False  # between audio_start and audio_end
    # --- fixed at connection time ---
    book: SessionBook | None = None  # issues signed session ids (resumable); None = plain random ids

    @property
    def speaking(self) -> bool:
        return self.avatar.speaking

    def issue_id(self) -> str:
        return self.book.issue(self.kiosk_id) if self.book else new_session_id()
