"""Frames of our own that travel through the Pipecat pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipecat.frames.frames import DataFrame, InputAudioRawFrame, SystemFrame


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
class BotReplyFrame(DataFrame):
    """One reply of the dialogue core, to speak and animate."""

    utterance_id: str = ""
    text: str = ""
    buttons: list = field(default_factory=list)
    cards: list = field(default_factory=list)
    stages: dict = field(default_factory=dict)  # per-stage ms so far (asr, dialogue)
    turn_started: float = 0.0  # perf_counter at end of the citizen's input
