"""What one connection's processors share: who is at the kiosk and whether the avatar is talking."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from avatar_bridge.sessions import SessionBook


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class SessionState:
    session_id: str = field(default_factory=new_id)
    kiosk_id: str | None = None
    position: str | None = None  # the kiosk of data/hall.yml this session's directions are relative to
    language: str = "en"
    elderly: bool = False  # hands-free waits longer for the end of a turn; the avatar speaks slower
    speaking_rate: float = 1.0  # this kiosk's rate (elderly mode slows it further)
    end_silence_s: float = 0.8  # hands-free: silence that ends a turn whatever Smart-Turn says
    hello: bool = False  # a valid hello arrived (token checked)
    audio_out: bool = True  # hello.capabilities.audio_out: false (the text widget) = no speech is synthesised
    hands_free: bool = False
    audio_open: bool = False  # between audio_start and audio_end
    replying: bool = False  # the synthesiser is working on a reply
    open_utterance: str | None = None  # a `speech` went out and its `speech_end` not yet
    client_playing: set[str] = field(default_factory=set)  # utterances the client reported as playing
    last_activity: float = field(default_factory=time.monotonic)
    turns: int = 0

    @property
    def speaking(self) -> bool:
        return self.replying or self.open_utterance is not None or bool(self.client_playing)

    asr_model: str | None = None  # this kiosk's ASR model (None = the bridge's)
    voice: str | None = None  # this kiosk's voice (None = the bridge's)
    end_of_turn_ms: int | None = None  # hands-free: time the last turn's end took to detect (for `metrics`)
    closing: bool = False  # the citizen said goodbye: renew once the farewell is spoken
    book: SessionBook | None = None  # issues signed session ids (resumable); None = plain random ids

    def issue_id(self) -> str:
        return self.book.issue(self.kiosk_id) if self.book else new_id()

    def renew(self) -> None:
        """A new citizen: a new conversation id for the dialogue core; the old one can never be resumed."""
        if self.book:
            self.book.ended(self.session_id)
        self.session_id = self.issue_id()
        self.client_playing.clear()
        self.turns = 0
        self.closing = False
