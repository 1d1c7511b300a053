"""Pipecat STT service around voice.asr.Recognizer (greedy decoding, short encoder window, KB biasing).

A segment is one citizen turn:
* push-to-talk: from PushToTalkStartFrame (`audio_start`) to the `audio_end`
  marker, which arrives on the audio path behind the last PCM frame;
* hands-free: from UserStartedSpeakingFrame to UserStoppedSpeakingFrame, which
  the turn taker (Silero VAD + Smart-Turn) emits, so pauses inside a turn do not
  split it. The base class keeps one second of audio before the start, so the
  first words are not lost (also on barge-in).
While a hands-free turn goes on, the audio so far is re-decoded every
`partial_interval_s` and sent as `transcript {kind: partial}`.

Speculative decoding: as soon as the VAD has heard a little quiet after speech
(`speculate_after_s`, SpeechPausingFrame; before it even confirms the pause),
the audio so far is decoded, while the pause is confirmed and Smart-Turn decides
whether the turn is over. If it is (and the citizen has not spoken again), that result is the
final transcript, so ASR time overlaps end-of-turn detection instead of
following it. If the citizen goes on, the speculation is dropped. (Segments
follow turns, not every VAD pause.)

Language following (`state.follow_language`, multilingual models only): every
decode lets Whisper's language detection choose between English and Mandarin
(voice.asr, only when it is confident); a final transcript in the other language
sends `language` to the client and a LanguageHeardFrame to the controller, and
the HeardFrame carries the language so this very turn reaches the dialogue core
with it.

Decodes go through the bridge's shared DecodeScheduler (avatar_bridge/asr_scheduler.py):
final and speculative decodes before partials, partials refused or dropped
under load. A refused or dropped partial stretches this session's partial
interval (doubling, up to MAX_PARTIAL_INTERVAL_S) until one gets through.
Partials never make the final transcript wait: a partial decode already
running when the VAD pause comes would hold the speculative decode behind it,
so if that partial already covers all the speech (it started in the pause's
silence), it *is* the speculation; no partial starts during a pause.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings, is_given
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.utils.time import time_now_iso8601

from avatar_bridge import pipecat_compat as compat
from avatar_bridge import protocol
from avatar_bridge.asr_scheduler import DecodeScheduler, cancel, shielded
from avatar_bridge.frames import (
    AudioEndMarkerFrame,
    Errors,
    HeardFrame,
    LanguageHeardFrame,
    PushToTalkStartFrame,
    SpeechPausingFrame,
    SpeechResumedFrame,
)
from avatar_bridge.recordings import Recorder
from avatar_bridge.state import SessionState
from avatar_bridge.work_queue import Job
from privacy.logtext import loggable
from voice.asr import Recognizer
from voice.correction import Corrector, shared_corrector
from voice.errors import VoiceError

_LOG = logging.getLogger(__name__)
MIN_PARTIAL_AUDIO_S = 0.6  # no partial before this much new audio
FOLLOWED_LANGUAGES = ("en", "zh")  # language following switches between the languages the guide answers in
MAX_PARTIAL_INTERVAL_S = 4.0  # under load the partial interval doubles up to this


class SpeculatedSegment(bytes):
    """A segment whose decoding started at the VAD pause (the task) rather than at the end of the turn."""

    task: asyncio.Task


class VoiceSTTService(SegmentedSTTService):
    def __init__(
        self,
        recognizer: Recognizer,
        state: SessionState | None = None,
        partial_interval_s: float = 0.0,
        recorder: Recorder | None = None,
        vad_stop_s: float = 0.15,
        corrector: Corrector | None = None,
        recognizers: Callable[[str | None], Recognizer] | None = None,
        errors: Errors | None = None,
        scheduler: DecodeScheduler | None = None,
        **kwargs,
    ):
        kwargs.setdefault("ttfs_p99_latency", 1.5)
        super().__init__(
            sample_rate=protocol.INPUT_SAMPLE_RATE,
            audio_passthrough=False,
            trailing_silence_secs=0.2,
            settings=STTSettings(model=recognizer.model_name, language="en"),
            **kwargs,
        )
        self.recognizer = recognizer
        self._recognizers = recognizers or (lambda model: recognizer)  # model name (None = default) -> recogniser
        self.errors = errors or Errors()
        self.scheduler = scheduler or DecodeScheduler()  # the bridge's shared one; a private one when alone
        self._end_of_turn_ms: int | None = None
        self.state = state or SessionState()
        self.partial_interval_s = partial_interval_s
        self.recorder = recorder
        # near-misses of knowledge-base names ("hooko" -> "hukou") are fixed in final transcripts, before NLU
        self.corrector = corrector if corrector is not None else shared_corrector()
        self._partials: asyncio.Task | None = None
        self._vad_stopped_at = time.perf_counter()
        self._vad_paused = False
        self._speculation: asyncio.Task | None = None
        self.vad_stop_s = vad_stop_s  # the VAD pause follows at least this much silence
        self._partial_decode: tuple[int, Job] | None = None  # (audio bytes, decode) in flight

    async def _update_settings(self, delta: STTSettings):
        """STTUpdateSettingsFrame from the controller: this kiosk's ASR model (None = the bridge's)."""
        changed = await super()._update_settings(delta)
        if is_given(delta.model):
            self.recognizer = self._recognizers(delta.model)
        return changed

    async def cancel(self, frame):
        self._drop_speculation()
        await super().cancel(frame)

    async def cleanup(self):
        """Stop this session's tasks even when no CancelFrame or EndFrame reached this stage.

        Pipecat's segmented STT starts its segment task on the StartFrame and stops it only on a CancelFrame or
        EndFrame. A kiosk that disconnects while the StartFrame is still travelling gets neither (the worker
        cancels the start and only cleans up), so the task waited on its queue forever and the garbage
        collector later logged "Task was destroyed but it is pending" in some other session's turn.
        """
        self._drop_speculation()
        if self._partials is not None:
            await self.cancel_task(self._partials)
            self._partials = None
        await compat.stop_segment_task(self)
        await super().cleanup()

    @property
    def wants_wav_segments(self) -> bool:
        return False

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        if isinstance(frame, (SpeechPausingFrame, SpeechResumedFrame)):
            if isinstance(frame, SpeechPausingFrame):
                self._pause_started(frame.quiet_s)
            else:
                self._speech_resumed()
            return  # ours alone
        if isinstance(frame, (VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame)):
            if direction == FrameDirection.DOWNSTREAM:
                if isinstance(frame, VADUserStoppedSpeakingFrame):
                    self._vad_stopped_at = time.perf_counter()
                    if not self._vad_paused or self._speculation is None:
                        self._pause_started(self.vad_stop_s)
                else:
                    self._speech_resumed()
            await self.push_frame(frame, direction)
            return
        await super().process_frame(frame, direction)
        if direction != FrameDirection.DOWNSTREAM:
            return
        if isinstance(frame, PushToTalkStartFrame):
            await self._start_segment(keep_preroll=False)
        elif isinstance(frame, UserStartedSpeakingFrame) and self.state.hands_free:
            await self._start_segment(keep_preroll=True)
            if self.partial_interval_s > 0:
                self._partials = self.create_task(self._partial_loop())
        elif isinstance(frame, UserStoppedSpeakingFrame) and compat.segment_open(self):
            # end-of-turn detection time: from the VAD pause (which lags the speech by vad_stop_s) to the decision
            self._end_of_turn_ms = round((time.perf_counter() - self._vad_stopped_at) * 1000)
            await self._end_segment()

    async def _start_segment(self, keep_preroll: bool) -> None:
        compat.open_segment(self, keep_preroll)

    def _speech_resumed(self) -> None:
        self._vad_paused = False
        self._drop_speculation()

    def _pause_started(self, quiet_s: float) -> None:
        """The citizen paused (maybe finished): decode what they said while the pause is confirmed and judged."""
        self._vad_paused = True
        if compat.segment_open(self) and self.state.hands_free:
            self._drop_speculation()
            partial = self._partial_decode
            silence_bytes = int(quiet_s * self.sample_rate) * 2
            heard = len(compat.segment_audio(self))
            if (
                partial is not None
                and partial[1].started
                and not partial[1].future.done()
                and partial[0] >= heard - silence_bytes
            ):
                # that partial heard the whole utterance and is running: no second decode
                self._speculation = asyncio.ensure_future(shielded(partial[1]))
                return
            audio = bytes(compat.segment_audio(self)) + self._trailing_silence()
            self._speculation = asyncio.ensure_future(self._decode(audio))

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            # A decode still queued never runs; one already running finishes (its result is ignored): a pause
            # inside a sentence costs at most one wasted decode. Silero rarely hears 60 ms of quiet mid-phrase.
            self._speculation.cancel()
            self._speculation = None

    async def _decode(self, audio: bytes):
        """A final (or speculative) decode: first in the bridge's queue."""
        follow = FOLLOWED_LANGUAGES if self.state.follow_language else ()
        job = self.scheduler.final(
            self.recognizer, audio, self.sample_rate, self.state.language, owner=self, follow=follow
        )
        return await job.future

    async def _language_switch(self, transcript) -> str | None:
        """Language following: the turn was heard in another followed language. The client is told here, before
        the turn's `transcript final`; the controller makes it the session's language (LanguageHeardFrame)."""
        spoken = transcript.language
        if not self.state.follow_language or spoken == self.state.language or spoken not in FOLLOWED_LANGUAGES:
            return None
        confidence = float(transcript.details.get("detected", {}).get("probability", 0.0))
        message = protocol.language_changed(spoken, self.state.language, confidence)
        await self.push_frame(OutputTransportMessageUrgentFrame(message=message))
        await self.push_frame(LanguageHeardFrame(language=spoken, confidence=confidence), FrameDirection.UPSTREAM)
        return spoken

    async def _end_segment(self) -> None:
        if self._partials is not None:
            await self.cancel_task(self._partials)
            self._partials = None
        speculation, self._speculation = self._speculation, None
        if speculation is not None and self._vad_paused:
            segment = SpeculatedSegment(bytes(compat.segment_audio(self)))
            segment.task = speculation
            await compat.hand_over_segment(self, segment)
            return
        if speculation is not None:
            speculation.cancel()
        await compat.close_segment(self)

    async def process_audio_frame(self, frame: InputAudioRawFrame, direction: FrameDirection):
        if isinstance(frame, AudioEndMarkerFrame):
            if compat.segment_open(self):
                await self._end_segment()
            return
        await super().process_audio_frame(frame, direction)

    async def _partial_loop(self) -> None:
        decoded = 0
        interval = self.partial_interval_s
        while True:
            await asyncio.sleep(interval)
            if self._vad_paused:
                continue  # a pause may be the end: keep the CPU for the speculative decode
            audio = bytes(compat.segment_audio(self))
            if len(audio) - decoded < MIN_PARTIAL_AUDIO_S * self.sample_rate * 2:
                continue
            follow = FOLLOWED_LANGUAGES if self.state.follow_language else ()  # a partial may become the final
            job = self.scheduler.partial(
                self.recognizer, audio, self.sample_rate, self.state.language, owner=self, follow=follow
            )
            if job is None:  # the recogniser is busy with finals: try again later, less often
                interval = min(interval * 2, MAX_PARTIAL_INTERVAL_S)
                continue
            self._partial_decode = (len(audio), job)
            try:
                result = await shielded(job)  # it may become the speculation: never cancel it from here
            except asyncio.CancelledError:
                if not job.started:
                    cancel(job)  # the turn ended before it ran: it never will
                raise
            except Exception:
                _LOG.exception("partial ASR failed")
                continue
            finally:
                self._partial_decode = None
            if result is None:  # dropped for a final decode
                interval = min(interval * 2, MAX_PARTIAL_INTERVAL_S)
                continue
            decoded, interval = len(audio), self.partial_interval_s
            if result.text and compat.segment_open(self):
                await self.push_frame(
                    OutputTransportMessageUrgentFrame(
                        message={
                            "type": "transcript",
                            "kind": "partial",
                            "text": result.text,
                            "confidence": result.confidence,
                        }
                    )
                )

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=protocol.state("thinking")))
        try:
            if isinstance(audio, SpeculatedSegment):
                transcript = await audio.task
            else:
                transcript = await self._decode(audio)
        except VoiceError as exc:  # the audio or the session's language, not a fault: one line, no traceback
            _LOG.warning("session %s: ASR refused: %s", self.state.session_id, exc)
            yield self.errors.frame("asr_failed", f"recognition failed: {exc}")
            yield OutputTransportMessageUrgentFrame(message=protocol.state("idle"))
            return
        except Exception:  # a decode failure must not end the session
            _LOG.exception("ASR failed")
            # the details go to the log only; the client gets a generic message (ASVS 16.5.1)
            yield self.errors.frame("asr_failed", "recognition failed; please type or try again")
            yield OutputTransportMessageUrgentFrame(message=protocol.state("idle"))
            return
        transcript = self.corrector.correct_transcript(transcript)
        if "heard" in transcript.details:
            _LOG.info(
                "session %s: corrected %s -> %s",
                self.state.session_id,
                loggable(transcript.details["heard"]),
                loggable(transcript.text),
            )
        _LOG.info(
            "session %s: ASR %d ms (%d ms audio): %s",
            self.state.session_id,
            transcript.elapsed_ms,
            transcript.duration_ms,
            loggable(transcript.text),
        )
        if self.recorder is not None:
            await asyncio.to_thread(self.recorder.save, self.state, audio, self.sample_rate, transcript.text)
        end_of_turn_ms, self._end_of_turn_ms = self._end_of_turn_ms, None
        spoken = await self._language_switch(transcript) if transcript.text else None
        yield HeardFrame(
            transcript.text,
            "citizen",
            time_now_iso8601(),
            result=transcript,
            end_of_turn_ms=end_of_turn_ms,
            spoken_language=spoken,
        )
