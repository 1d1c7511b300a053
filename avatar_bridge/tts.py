"""Speech for the avatar: BotReplyFrame -> `emotion`, `gesture`, `speech` + binary audio, `speech_end`, `metrics`.

A Pipecat FrameProcessor around voice.streaming (sentence-by-sentence Piper with
phoneme/viseme and word timings). Pipecat's TTSService is not used because it
splits raw text into sentences before our normaliser runs ("No. 3", "9:00-17:00")
and its audio contexts carry no per-sentence timeline. Each sentence goes out as
a `speech` message followed by its audio frames; the output transport keeps
them in order and paces the audio. An InterruptionFrame cancels synthesis
(Pipecat cancels this processor's task; the stream's producer goes with it).

It tells the controller, upstream, when it starts and finishes a reply
(ReplyStartedFrame / ReplyFinishedFrame, which also says whether the reply was a
farewell); the controller derives "the avatar is speaking" and renews the
session after a farewell. Voice changes arrive as Pipecat's TTSUpdateSettingsFrame.
Sentences are synthesised through the bridge's shared SynthesisPool (first
sentences of replies before later ones; avatar_bridge/tts_pool.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import numpy as np
from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    Frame,
    InterruptionFrame,
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.settings import is_given

from avatar_bridge import gestures, protocol
from avatar_bridge.captions import DisplayAligner
from avatar_bridge.frames import BotReplyFrame, Errors, ReplyFinishedFrame, ReplyStartedFrame
from avatar_bridge.state import SessionState
from avatar_bridge.tts_pool import SynthesisPool
from voice.cjk import has_cjk
from voice.streaming import SpeechChunk, stream_speech
from voice.tts import engine_for_language
from voice.tts.base import TTSEngine

_LOG = logging.getLogger(__name__)


def reply_language(text: str, session_language: str) -> str:
    """The language a reply is written in, which decides the voice: Chinese characters mean Mandarin (the answer
    to a Chinese question typed in an English session, or the turn language following just switched), and a
    Mandarin session's reply with none but Latin words is English (some dialogue responses are English only)."""
    if has_cjk(text):
        return "zh"
    if session_language == "zh" and re.search(r"[A-Za-z]{2,}", text):
        return "en"
    return session_language


def voice_for(engine: TTSEngine, language: str) -> TTSEngine:
    """`engine` (the session's voice) when it speaks `language`; otherwise the best engine that does (a Mandarin
    session on a kiosk whose Piper voice is English gets espeak-ng's Mandarin), at the same sample rate."""
    if language in getattr(engine, "languages", (language,)):
        return engine
    other = engine_for_language(language)
    if other.sample_rate != engine.sample_rate:
        _LOG.warning("no %s voice at %d Hz; speaking with %s", language, engine.sample_rate, engine)
        return engine
    return other


def padded_pcm(chunk: SpeechChunk, packet_bytes: int) -> bytes:
    """PCM16 padded with silence to whole transport packets, so no packet straddles two `speech` messages."""
    audio = np.ascontiguousarray(chunk.audio, dtype=np.int16).tobytes()
    return audio + bytes(-len(audio) % packet_bytes) if packet_bytes else audio


def speech_message(
    utterance_id: str,
    seq: int,
    chunk: SpeechChunk,
    offset_ms: int,
    duration_ms: int,
    display_words: list[dict] | None = None,
) -> dict:
    off = offset_ms
    message = {
        "type": "speech",
        "utterance_id": utterance_id,
        "seq": seq,
        "sample_rate": chunk.sample_rate,
        "offset_ms": off,
        "duration_ms": duration_ms,
        "text": chunk.text,
        "visemes": [{"t_ms": off + v.start_ms, "dur_ms": v.duration_ms, "viseme": v.viseme} for v in chunk.visemes],
        "words": [{"t_ms": off + w.start_ms, "dur_ms": w.duration_ms, "word": w.word} for w in chunk.words],
    }
    if display_words is not None:  # the sentence as written, for captions (docs/protocol.md)
        message["display_words"] = display_words
    return message


class SpeechSynthesizer(FrameProcessor):
    def __init__(
        self,
        engine: TTSEngine,
        state: SessionState,
        rate: float = 1.0,
        on_turn=None,
        packet_bytes: int = 0,
        elderly_rate: float = 0.85,
        out_sample_rate: int | None = None,
        voices: Callable[[str | None], TTSEngine] | None = None,
        errors: Errors | None = None,
        pool: SynthesisPool | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.pool = pool or SynthesisPool()  # the bridge's shared synthesis queue; a private one when alone
        self.packet_bytes = packet_bytes  # the output transport's audio packet size
        self.engine = engine  # may be swapped per session for the kiosk's voice (same sample rate)
        self._voices = voices or (lambda voice: engine)  # voice name (None = the bridge's) -> engine
        self.errors = errors or Errors()
        self.state = state
        self.rate = rate  # unused when the session has its own rate (state.speaking_rate, from the kiosk profile)
        self.elderly_rate = elderly_rate
        self.out_sample_rate = out_sample_rate or engine.sample_rate
        self.on_turn = on_turn  # callback(stages) for the Prometheus metrics
        self._stream = None
        self._turn: tuple[str, dict] | None = None  # (utterance_id, stages) of the reply being synthesised
        self._last: tuple[str, dict] | None = None  # the last reply synthesised, whose audio may still be queued

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, InterruptionFrame):
            # An interrupted turn still reports what it measured: either it is being synthesised, or it is
            # synthesised but its audio (and the `metrics` queued behind it) is about to be dropped.
            pending, counted = self._turn, False
            if pending is None and self._last is not None:
                pending, counted = self._last, True
            self._turn = self._last = None
            if self._stream is not None:
                self._stream.cancel()
                self._stream = None
            await self.push_frame(frame, direction)
            if pending is not None and not counted:
                await self.push_frame(
                    ReplyFinishedFrame(utterance_id=pending[0], interrupted=True), FrameDirection.UPSTREAM
                )
            if pending is not None:
                uid, stages = pending
                stages = stages | {"total_ms": None}
                if self.on_turn and not counted:
                    self.on_turn(stages)
                await self.push_frame(
                    OutputTransportMessageUrgentFrame(
                        message={"type": "metrics", "utterance_id": uid, "stages": stages}
                    )
                )
        elif isinstance(frame, BotReplyFrame):
            await self._speak(frame)
        elif isinstance(frame, TTSUpdateSettingsFrame) and (frame.service is None or frame.service is self):
            if frame.delta is not None and is_given(frame.delta.voice):
                self.engine = self._voices(frame.delta.voice)
        else:
            if isinstance(frame, BotStoppedSpeakingFrame):
                self._last = None  # its audio has gone out: nothing of it is left to interrupt
            await self.push_frame(frame, direction)

    async def _msg(self, message: dict) -> None:
        await self.push_frame(OutputTransportMessageFrame(message=message))

    async def _silent_reply(self, reply: BotReplyFrame) -> None:
        """A client without audio output (the text widget): nothing is synthesised, only `metrics` and `idle`."""
        stages = dict(reply.stages) | {"total_ms": round((time.perf_counter() - reply.turn_started) * 1000)}
        await self._msg({"type": "metrics", "utterance_id": reply.utterance_id, "stages": stages})
        await self._msg(protocol.state("idle"))
        if self.on_turn:
            self.on_turn(stages)
        await self._finished(reply, spoke=False)

    async def _started(self, reply: BotReplyFrame) -> None:
        await self.push_frame(ReplyStartedFrame(utterance_id=reply.utterance_id), FrameDirection.UPSTREAM)

    async def _finished(self, reply: BotReplyFrame, spoke: bool) -> None:
        """To the controller: the reply is out; a farewell that was given ends the conversation."""
        await self.push_frame(
            ReplyFinishedFrame(utterance_id=reply.utterance_id, spoke=spoke, farewell=reply.farewell),
            FrameDirection.UPSTREAM,
        )

    async def _speak(self, reply: BotReplyFrame) -> None:
        await self._started(reply)
        if not self.state.audio_out:
            await self._silent_reply(reply)
            return
        uid = reply.utterance_id
        plan = gestures.plan(reply.cards, reply.text)
        timeline = gestures.GestureTimeline(plan.cues)
        language = reply_language(reply.text, self.state.language)
        captions = DisplayAligner(reply.text, language)
        stages = dict(reply.stages)
        self._turn = (uid, stages)
        await self._msg({"type": "emotion", "utterance_id": uid, "name": plan.emotion[0], "intensity": plan.emotion[1]})
        seq = 0
        offset_ms = 0  # where this chunk starts in the audio actually sent (padding included)
        try:
            rate = self.state.speaking_rate * (self.elderly_rate if self.state.elderly else 1.0)
            engine = voice_for(self.engine, language)
            self._stream = stream = stream_speech(
                engine, reply.text, rate=rate, language=language, synthesize=self.pool.synthesize
            )
            async for chunk in stream:
                if seq == 0:
                    await self.push_frame(TTSStartedFrame(context_id=uid))
                    stages["tts_first_ms"] = chunk.synthesis_ms
                    stages["first_speech_ms"] = round((time.perf_counter() - reply.turn_started) * 1000)
                    await self.push_frame(OutputTransportMessageUrgentFrame(message=protocol.state("speaking")))
                audio = padded_pcm(chunk, self.packet_bytes)
                duration_ms = round(len(audio) / 2 * 1000 / chunk.sample_rate)
                words = [(offset_ms + w.start_ms, w.duration_ms, w.word) for w in chunk.words]
                for cue in timeline.place(words, offset_ms, chunk.is_last):
                    await self._msg({"type": "gesture", "utterance_id": uid} | cue)
                display = captions.take([w.word for w in chunk.words], chunk.is_last)
                await self._msg(speech_message(uid, seq, chunk, offset_ms, duration_ms, display))
                offset_ms += duration_ms
                await self.push_frame(TTSAudioRawFrame(audio=audio, sample_rate=chunk.sample_rate, num_channels=1))
                seq += 1
        except Exception:
            _LOG.exception("synthesis failed")
            # the details go to the log only; the client gets a generic message (ASVS 16.5.1)
            await self.push_frame(
                self.errors.frame("tts_failed", "speech synthesis failed; the reply is shown as text")
            )
        finally:
            self._stream = None
        self._turn = None
        self._last = (uid, stages)
        stages["total_ms"] = round((time.perf_counter() - reply.turn_started) * 1000)
        if seq:
            # Queued behind the last audio: the output transport sends BotStoppedSpeakingFrame as soon as that
            # audio is out (not 0.35 s of silence later), so the controller knows the avatar has finished.
            await self.push_frame(TTSStoppedFrame(context_id=uid))
            await self._msg({"type": "speech_end", "utterance_id": uid, "interrupted": False})
        await self._msg({"type": "metrics", "utterance_id": uid, "stages": stages})
        await self._msg(protocol.state("idle"))
        if self.on_turn:
            self.on_turn(stages)
        if seq:
            await self._finished(reply, spoke=True)
        else:  # nothing was spoken (synthesis failed): a farewell that was not heard does not end the conversation
            await self._finished(BotReplyFrame(utterance_id=uid), spoke=False)
