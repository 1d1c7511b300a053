"""Hands-free turn taking, assembled from Pipecat parts: Silero VAD, Smart-Turn v3 and a user-turn processor.

    audio -> HandsFreeVAD (Silero; only in hands-free mode)
          -> UserTurnProcessor(start: GuardedVADTurnStart, stop: Smart-Turn v3 with a silence fallback)

* A turn starts when the VAD hears speech. While the avatar is speaking (the
  synthesiser is busy, audio is on its way, or the client reports playback),
  speech only counts when it is louder than `echo_dbfs`: quieter "speech" is
  taken for the kiosk's own voice coming back through the microphone. A turn
  that starts while the avatar speaks is a barge-in: Pipecat broadcasts an
  interruption (synthesis and sending stop, `speech_end interrupted`). A turn
  that starts while the avatar is silent interrupts nothing.
* A turn ends when, after a short VAD pause (`vad_stop_s`), Smart-Turn v3 judges
  the utterance finished, or, whatever Smart-Turn thinks, after `end_silence_s`
  of silence (the fallback, so a finished question is never held for seconds).
  Elderly mode raises that fallback (`elderly_end_silence_s`), so slow speakers
  with long pauses are not cut off.
* The STT service segments on the resulting UserStarted/StoppedSpeakingFrames,
  so pauses inside one turn do not split it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection
from pipecat.turns.types import ProcessFrameResult
from pipecat.turns.user_start.base_user_turn_start_strategy import BaseUserTurnStartStrategy
from pipecat.turns.user_stop.turn_analyzer_user_turn_stop_strategy import TurnAnalyzerUserTurnStopStrategy
from pipecat.turns.user_turn_processor import UserTurnProcessor
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from avatar_bridge import pipecat_compat as compat
from avatar_bridge import protocol
from avatar_bridge.frames import AudioEndMarkerFrame, SpeechPausingFrame, SpeechResumedFrame, TurnTimingFrame
from avatar_bridge.state import SessionState

ECHO_WINDOW_MS = 300  # loudness of the last this-many ms decides echo or citizen


@dataclass
class TurnSettings:
    vad_start_s: float = 0.1  # speech this long starts a turn (and a barge-in); Pipecat's default is 0.2
    vad_stop_s: float = 0.15
    # Pipecat's loudness gate (0.6) is a smoothed 400 ms BS.1770 level: it holds a turn start (and a barge-in)
    # back by ~100 ms after Silero already hears speech. Barge-in is guarded by echo_dbfs anyway.
    vad_min_volume: float = 0.4
    speculate_after_s: float = 0.06  # quiet after speech that starts the speculative ASR decode (< vad_stop_s)
    elderly_end_silence_s: float = 2.0
    echo_dbfs: float = -35.0

    def fallback_s(self, end_silence_s: float, elderly: bool) -> float:
        """The kiosk's end-of-speech silence; in elderly mode at least `elderly_end_silence_s`."""
        return max(end_silence_s, self.elderly_end_silence_s) if elderly else end_silence_s


class HandsFreeVAD(VADProcessor):
    """Silero VAD that only listens in hands-free mode (push-to-talk segments on the button)."""

    def __init__(self, state: SessionState, settings: TurnSettings, **kwargs):
        vad = SileroVADAnalyzer(
            params=VADParams(
                start_secs=settings.vad_start_s, stop_secs=settings.vad_stop_s, min_volume=settings.vad_min_volume
            )
        )
        super().__init__(vad_analyzer=vad, **kwargs)
        self.state = state
        self.analyzer = vad
        self._pausing = False
        self._pausing_frames = 0
        self._speculate_after_s = settings.speculate_after_s

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        if isinstance(frame, InputAudioRawFrame) and (
            not self.state.hands_free or isinstance(frame, AudioEndMarkerFrame)
        ):
            await self.push_frame(frame, direction)  # skip the VAD (base class would analyse it)
            return
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            await self._watch_pause()

    async def _watch_pause(self) -> None:
        """Announce the first `speculate_after_s` of quiet after speech, and speech coming back after it."""
        vad = self.analyzer
        if not self._pausing_frames and vad.sample_rate:
            self._pausing_frames = max(1, round(self._speculate_after_s * vad.sample_rate / vad.num_frames_required()))
        stopping = compat.vad_state(vad) == VADState.STOPPING
        if stopping and not self._pausing and compat.vad_quiet_frames(vad) >= self._pausing_frames:
            self._pausing = True
            await self.push_frame(SpeechPausingFrame(quiet_s=self._speculate_after_s))
        elif self._pausing and not stopping:
            self._pausing = False
            if compat.vad_state(vad) == VADState.SPEAKING:
                await self.push_frame(SpeechResumedFrame())


class EndOfTurnAnalyzer(LocalSmartTurnAnalyzerV3):
    """Smart-Turn v3 (bundled ONNX model) whose silence fallback can change during a session (elderly mode)."""

    def set_fallback(self, seconds: float) -> None:
        compat.set_smart_turn_fallback(self, seconds)


def dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    rms = math.sqrt(float(np.mean(samples**2))) if samples.size else 0.0
    return 20 * math.log10(rms / 32768) if rms > 0 else -math.inf


class GuardedVADTurnStart(BaseUserTurnStartStrategy):
    """VAD turn start with an echo guard, interrupting only when the avatar is actually speaking."""

    def __init__(self, state: SessionState, echo_dbfs: float, **kwargs):
        super().__init__(enable_interruptions=False, **kwargs)
        self.state = state
        self.echo_dbfs = echo_dbfs
        self._recent: deque[bytes] = deque()
        self._recent_ms = 0.0
        self._vad_speaking = False
        self.echo_rejected = 0  # VAD speech judged to be the avatar's own voice (logged, for tuning)

    def _remember(self, frame: InputAudioRawFrame) -> None:
        self._recent.append(frame.audio)
        self._recent_ms += len(frame.audio) / 2 / frame.sample_rate * 1000
        while self._recent and self._recent_ms - len(self._recent[0]) / 2 / frame.sample_rate * 1000 >= ECHO_WINDOW_MS:
            self._recent_ms -= len(self._recent.popleft()) / 2 / frame.sample_rate * 1000

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        await super().process_frame(frame)
        if isinstance(frame, InputAudioRawFrame):
            self._remember(frame)
            if self._vad_speaking:
                return await self._maybe_start()
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._vad_speaking = True
            return await self._maybe_start()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._vad_speaking = False
        return ProcessFrameResult.CONTINUE

    async def _maybe_start(self) -> ProcessFrameResult:
        barge_in = self.state.speaking
        if barge_in and dbfs(b"".join(self._recent)) < self.echo_dbfs:
            self.echo_rejected += 1
            return ProcessFrameResult.CONTINUE  # the kiosk hearing itself
        self._vad_speaking = False  # one start per VAD segment
        await self.trigger_user_turn_started(enable_interruptions=barge_in)
        return ProcessFrameResult.STOP


class TurnTaker(UserTurnProcessor):
    """Pipecat's user-turn processor with our strategies; announces `listening` and the `listen` gesture."""

    def __init__(self, state: SessionState, settings: TurnSettings, **kwargs):
        self.state = state
        self.settings = settings
        fallback = settings.fallback_s(state.end_silence_s, state.elderly)
        self.analyzer = EndOfTurnAnalyzer(params=SmartTurnParams(stop_secs=fallback))
        self.start_strategy = GuardedVADTurnStart(state, settings.echo_dbfs)
        stop = TurnAnalyzerUserTurnStopStrategy(turn_analyzer=self.analyzer, wait_for_transcript=False)
        super().__init__(
            user_turn_strategies=UserTurnStrategies(start=[self.start_strategy], stop=[stop]),
            user_turn_stop_timeout=30.0,
            **kwargs,
        )

        @self.event_handler("on_user_turn_started")
        async def _started(processor, strategy):
            for message in protocol.listening():
                await processor.push_frame(OutputTransportMessageUrgentFrame(message=message))

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        if isinstance(frame, TurnTimingFrame):  # elderly mode or the kiosk's end-of-speech silence changed
            self.analyzer.set_fallback(self.settings.fallback_s(frame.end_silence_s, frame.elderly))
            return
        if isinstance(frame, InputAudioRawFrame) and not self.state.hands_free:
            await self.push_frame(frame, direction)
            return
        await super().process_frame(frame, direction)
