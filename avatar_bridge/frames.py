"""Frames of our own that travel through the Pipecat pipeline.

The stages of one kiosk's pipeline coordinate with frames, as Pipecat's own
processors do, instead of writing each other's state:

    downstream (controller -> ... -> synthesiser)
        PushToTalkStartFrame, AudioEndMarkerFrame     push-to-talk segments
        SpeechPausingFrame, SpeechResumedFrame        VAD -> recogniser (speculative decode)
        TurnTimingFrame                               controller -> turn taker (end-of-turn fallback)
        STTUpdateSettingsFrame / TTSUpdateSettingsFrame (Pipecat's)  controller -> the kiosk's ASR model / voice
        ProtocolErrorFrame                            serializer -> controller (reported and counted there)
        BotReplyFrame                                 dialogue -> synthesiser
    upstream (synthesiser -> controller)
        ReplyStartedFrame, ReplyFinishedFrame         a reply is being synthesised; finished (maybe a farewell)
        BotStarted/StoppedSpeakingFrame (Pipecat's)   the output transport is sending the avatar's audio

The controller is the one place that turns these (and the client's `playback`
reports) into "is the avatar speaking" and the one place that renews sessions.
Every `error` message to the client is a ClientErrorFrame made by `Errors`,
which counts it for /metrics where it is created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    DataFrame,
    InputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    SystemFrame,
    TranscriptionFrame,
)

from avatar_bridge import protocol

_LOG = logging.getLogger(__name__)


@dataclass
class PushToTalkStartFrame(SystemFrame):
    """`audio_start` in push-to-talk mode: the recogniser starts a segment (hands-free segments on the VAD)."""


@dataclass
class AudioEndMarkerFrame(InputAudioRawFrame):
    """`audio_end` (push-to-talk released). It travels on the audio path, behind the audio it closes,
    so the recogniser never starts before the last PCM frame has arrived."""


@dataclass
class SpeechPausingFrame(SystemFrame):
    """Hands-free: the VAD has heard `quiet_s` of quiet after speech, before it confirms a pause (`vad_stop_s`).
    The recogniser starts its speculative decode here, so ASR overlaps the rest of the pause confirmation."""

    quiet_s: float = 0.0


@dataclass
class SpeechResumedFrame(SystemFrame):
    """Hands-free: speech came back before the VAD confirmed the pause that SpeechPausingFrame announced."""


@dataclass
class HeardFrame(TranscriptionFrame):
    """The recogniser's final transcript of a spoken turn (`result`: voice.asr's Transcript), with the time the
    end of the turn took to detect (hands-free), for the turn's `metrics`. `spoken_language`: the language the
    citizen spoke when language following switched to it in this turn (the dialogue core gets it at once)."""

    end_of_turn_ms: int | None = None
    spoken_language: str | None = None


@dataclass
class LanguageHeardFrame(SystemFrame):
    """Upstream from the recogniser to the controller: language following heard the citizen speak `language`
    (Whisper's detection, `confidence`), not the session's; the controller makes it the session's language."""

    language: str = ""
    confidence: float = 0.0


@dataclass
class TurnTimingFrame(SystemFrame):
    """The kiosk's end-of-speech silence or elderly mode changed (hello, `settings`): the turn taker adapts."""

    end_silence_s: float = 0.8
    elderly: bool = False


@dataclass
class ProtocolErrorFrame(SystemFrame):
    """A client mistake the serializer found (bad JSON, audio outside audio_start ...). `fatal`: close the socket
    (a rejected hello token)."""

    code: str = ""
    message: str = ""
    fatal: bool = False
    close_code: int = 4001  # when fatal: 4001 credentials refused, 1013 no room (avatar_bridge/access.py)


@dataclass
class ClientErrorFrame(OutputTransportMessageUrgentFrame):
    """An `error` message for the client. Made only by `Errors.frame`, which counts it."""

    code: str = ""


@dataclass
class Errors:
    """Makes `error` messages and counts each one where it is made (Prometheus `errors_total{code}`)."""

    count: Callable[[str], None] = field(default=lambda code: None)

    def message(self, code: str, text: str) -> dict:
        self.count(code)
        return protocol.error(code, text)

    def frame(self, code: str, text: str) -> ClientErrorFrame:
        return ClientErrorFrame(message=self.message(code, text), code=code)


@dataclass
class BotReplyFrame(DataFrame):
    """One reply of the dialogue core, to speak and animate."""

    utterance_id: str = ""
    text: str = ""
    buttons: list = field(default_factory=list)
    cards: list = field(default_factory=list)
    stages: dict = field(default_factory=dict)  # per-stage ms so far (asr, dialogue)
    turn_started: float = 0.0  # perf_counter at end of the citizen's input
    farewell: bool = False  # a `farewell` card: once given, the conversation is over


@dataclass
class ReplyStartedFrame(SystemFrame):
    """Upstream from the synthesiser: it is working on this reply (the avatar is about to speak)."""

    utterance_id: str = ""


@dataclass
class ReplyFinishedFrame(SystemFrame):
    """Upstream from the synthesiser: the reply is synthesised (or interrupted). `spoke`: audio went to the
    transport (the avatar speaks until Pipecat's BotStoppedSpeakingFrame). `farewell`: renew the session."""

    utterance_id: str = ""
    spoke: bool = False
    farewell: bool = False
    interrupted: bool = False
