"""Pipecat STT service around voice.asr.Recognizer (greedy decoding, short encoder window, KB biasing).

A segment starts at VADUserStartedSpeakingFrame (server VAD, or `audio_start`
from the controller) and ends at VADUserStoppedSpeakingFrame or at the
`audio_end` marker, which arrives on the audio path behind the last PCM frame.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    TranscriptionFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.utils.time import time_now_iso8601

from avatar_bridge import protocol
from avatar_bridge.frames import AudioEndMarkerFrame
from voice.asr import Recognizer

_LOG = logging.getLogger(__name__)


class VoiceSTTService(SegmentedSTTService):
    def __init__(self, recognizer: Recognizer, language: str = "en", **kwargs):
        kwargs.setdefault("ttfs_p99_latency", 1.5)
        super().__init__(sample_rate=protocol.INPUT_SAMPLE_RATE, audio_passthrough=False,
                         trailing_silence_secs=0.2,
                         settings=STTSettings(model=recognizer.model_name, language=language), **kwargs)
        self.recognizer = recognizer
        self.language = language

    @property
    def wants_wav_segments(self) -> bool:
        return False

    async def process_audio_frame(self, frame: InputAudioRawFrame, direction: FrameDirection):
        if isinstance(frame, AudioEndMarkerFrame):
            await self._handle_user_stopped_speaking(VADUserStoppedSpeakingFrame())
            return
        await super().process_audio_frame(frame, direction)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=protocol.state("thinking")))
        try:
            transcript = await self.recognizer.atranscribe(audio, self.sample_rate, language=self.language)
        except Exception as exc:  # a decode failure must not end the session
            _LOG.exception("ASR failed")
            yield OutputTransportMessageUrgentFrame(message=protocol.error("asr_failed", f"recognition failed: {exc}"))
            yield OutputTransportMessageUrgentFrame(message=protocol.state("idle"))
            return
        _LOG.info("ASR %d ms (%d ms audio): %r", transcript.elapsed_ms, transcript.duration_ms, transcript.text)
        yield TranscriptionFrame(transcript.text, "citizen", time_now_iso8601(), result=transcript)
