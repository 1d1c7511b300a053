"""Streaming synthesis: speak a reply sentence by sentence, cancellable at any point.

The citizen should hear the first words as soon as the first sentence (or the
first clause of a long one) is synthesised, not after the whole reply; and when
they interrupt (barge-in) the rest must not be synthesised or played. A
producer task synthesises sentences in order in a worker thread, at most
`lookahead` sentences ahead of what the consumer has taken; `cancel()` stops it
and ends the iteration, discarding anything already queued.

    stream = stream_speech(engine, reply, rate=0.85)
    async for chunk in stream:      # SpeechChunk(audio, visemes, words, sentence_index, ...)
        await player.play(chunk)    # call stream.cancel() from elsewhere on barge-in
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from voice.sentences import ends_clause, plan_utterances
from voice.tts.base import (
    PhonemeTiming,
    Speech,
    TTSEngine,
    VisemeEvent,
    WordTiming,
    concatenate,
    silence,
)


@dataclass(frozen=True)
class SpeechChunk:
    """One sentence of a reply; timings are relative to the start of this chunk's audio.

    Every chunk but the last ends with the pause before the next sentence, so
    chunks can be played back to back; `offset_ms` places the chunk in the reply.
    """

    sentence_index: int
    text: str
    audio: np.ndarray  # int16 mono
    sample_rate: int
    words: tuple[WordTiming, ...]
    visemes: tuple[VisemeEvent, ...]
    phonemes: tuple[PhonemeTiming, ...]
    offset_ms: int
    is_last: bool
    synthesis_ms: int  # time spent synthesising this chunk

    @property
    def duration_ms(self) -> int:
        return round(len(self.audio) * 1000 / self.sample_rate)


# (engine, sentence, rate, language, sentence index) -> Speech; a server may queue syntheses its own way
Synthesize = Callable[[TTSEngine, str, float, "str | None", int], Awaitable[Speech]]


async def synthesize_in_thread(engine: TTSEngine, sentence: str, rate: float, language: str | None, index: int):
    """The default: one worker thread per call (the engine's lock serialises them)."""
    return await asyncio.to_thread(engine.synthesize_sentence, sentence, rate, language)


_DONE = object()
CLAUSE_PAUSE_S = 0.12  # after a first clause cut off for a quick start: a comma's pause, not a full stop's


class SpeechStream:
    """Async iterator of SpeechChunk; also an async context manager that cancels on exit."""

    def __init__(
        self,
        engine: TTSEngine,
        text: str,
        rate: float = 1.0,
        language: str | None = None,
        normalize: bool = True,
        lookahead: int = 1,
        first_clause_words: int | None = 8,
        synthesize: Synthesize | None = None,
    ):
        engine.check_rate(rate)
        self._synthesize = synthesize or synthesize_in_thread
        self.engine = engine
        self.rate = rate
        self.language = engine.check_language(language)
        sentences = engine.prepare(text, self.language, normalize)
        self.sentences: list[str] = plan_utterances(" ".join(sentences), first_clause_words) if sentences else []
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize=max(1, lookahead))
        self._producer: asyncio.Task[None] | None = None
        self._cancelled = False
        self._finished = False
        self.started_at: float | None = None
        self.first_chunk_at: float | None = None
        self.synthesized = 0  # sentences synthesised so far (for tests and metrics)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def time_to_first_audio_ms(self) -> int | None:
        if self.started_at is None or self.first_chunk_at is None:
            return None
        return round((self.first_chunk_at - self.started_at) * 1000)

    def cancel(self) -> None:
        """Stop now (barge-in): nothing more is synthesised or yielded. Safe to call twice."""
        self._cancelled = True
        if self._producer is not None and not self._producer.done():
            self._producer.cancel()

    async def aclose(self) -> None:
        self.cancel()
        if self._producer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer

    async def __aenter__(self) -> SpeechStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> SpeechStream:
        return self

    async def _produce(self) -> None:
        offset_samples = 0
        try:
            for index, sentence in enumerate(self.sentences):
                if self._cancelled:
                    return
                started = time.perf_counter()
                speech = await self._synthesize(self.engine, sentence, self.rate, self.language, index)
                self.synthesized += 1
                is_last = index == len(self.sentences) - 1
                if not is_last:
                    speech = concatenate(
                        [speech, self._pause(sentence)],
                        speech.sample_rate,
                        speech.engine,
                        speech.voice,
                        speech.language,
                    )
                chunk = self._chunk(index, sentence, speech, offset_samples, is_last, started)
                offset_samples += len(speech.audio)
                await self._queue.put(chunk)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # surfaced to the consumer, which sees the real error
            await self._queue.put(exc)
            return
        await self._queue.put(_DONE)

    def _pause(self, chunk: str) -> Speech:
        """The silence after a chunk: a sentence pause, or a short one inside a sentence cut at a clause."""
        if ends_clause(chunk):
            engine = self.engine
            return silence(engine.sample_rate, CLAUSE_PAUSE_S / self.rate, engine.name, engine.voice, self.language)
        return self.engine.pause(self.rate, self.language)

    @staticmethod
    def _chunk(
        index: int, text: str, speech: Speech, offset_samples: int, is_last: bool, started: float
    ) -> SpeechChunk:
        return SpeechChunk(
            sentence_index=index,
            text=text,
            audio=speech.audio,
            sample_rate=speech.sample_rate,
            words=speech.words,
            visemes=speech.visemes,
            phonemes=speech.phonemes,
            offset_ms=round(offset_samples * 1000 / speech.sample_rate),
            is_last=is_last,
            synthesis_ms=round((time.perf_counter() - started) * 1000),
        )

    async def __anext__(self) -> SpeechChunk:
        if self._cancelled or self._finished:
            raise StopAsyncIteration
        if self._producer is None:
            self.started_at = time.perf_counter()
            self._producer = asyncio.get_running_loop().create_task(self._produce())
        try:
            item = await self._queue.get()
        except asyncio.CancelledError:
            self.cancel()  # the consumer was cancelled: take the producer down with it
            raise
        if self._cancelled:
            raise StopAsyncIteration
        if item is _DONE:
            self._finished = True
            raise StopAsyncIteration
        if isinstance(item, Exception):
            self._finished = True
            raise item
        if self.first_chunk_at is None:
            self.first_chunk_at = time.perf_counter()
        return item  # type: ignore[return-value]


def stream_speech(
    engine: TTSEngine, text: str, rate: float = 1.0, language: str | None = None, **kwargs: object
) -> SpeechStream:
    """Start nothing yet: synthesis begins when iteration does."""
    return SpeechStream(engine, text, rate, language, **kwargs)  # type: ignore[arg-type]
