"""Streaming synthesis: the first sentence plays before the reply is finished, and barge-in stops it."""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
import pytest

from voice.errors import UnsupportedLanguageError
from voice.streaming import SpeechChunk, stream_speech
from voice.tts.base import TTSEngine

REPLY = (
    "For the newborn bundle, bring both parents' ID cards and the birth certificate to window D03. "
    "The service is free. It takes 5 working days. You can also apply in the Harbor City app."
)


async def collect(stream):
    return [chunk async for chunk in stream]


async def test_a_reply_streams_sentence_by_sentence_in_order(piper):
    chunks = await collect(stream_speech(piper, REPLY))
    assert [c.sentence_index for c in chunks] == list(range(len(chunks)))
    assert len(chunks) == 5  # the long first sentence is cut after its first clause
    assert chunks[0].text == "For the newborn bundle,"
    assert [c.is_last for c in chunks] == [False] * 4 + [True]
    for chunk in chunks:
        assert isinstance(chunk, SpeechChunk) and chunk.audio.dtype == np.int16 and chunk.sample_rate == 22050
        assert chunk.words and chunk.visemes
        assert chunk.visemes[0].start_ms == 0
        assert abs(chunk.visemes[-1].end_ms - chunk.duration_ms) <= 50
        assert all(0 <= w.start_ms <= w.end_ms <= chunk.duration_ms for w in chunk.words)
    # Chunks play back to back: each offset is where the previous chunk ended.
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert abs(current.offset_ms - (previous.offset_ms + previous.duration_ms)) <= 1


async def test_the_first_chunk_arrives_before_the_rest_is_synthesised(piper):
    stream = stream_speech(piper, REPLY, lookahead=1)
    first = await stream.__anext__()
    assert first.sentence_index == 0
    # At most the first sentence plus one sentence of look-ahead has been synthesised.
    assert stream.synthesized <= 2 < len(stream.sentences)
    assert stream.time_to_first_audio_ms is not None
    await stream.aclose()


async def test_cancel_stops_synthesis_and_iteration(piper):
    stream = stream_speech(piper, REPLY, lookahead=1)
    received = []
    async for chunk in stream:
        received.append(chunk)
        stream.cancel()  # barge-in while the first sentence plays
    assert len(received) == 1
    assert stream.cancelled
    # Wait for the producer itself to end (not a guessed sleep): had cancel() not stopped it, it would
    # run through every sentence before ending, and the count below would show it.
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(stream._producer), 60)
    assert stream.synthesized <= 2 < len(stream.sentences), "synthesis went on after cancel()"
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_cancelling_the_consuming_task_stops_the_producer(piper):
    stream = stream_speech(piper, REPLY)
    started = asyncio.Event()

    async def play():
        async for _ in stream:
            started.set()
            await asyncio.sleep(3600)  # "playing" until barge-in

    task = asyncio.create_task(play())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await stream.aclose()
    assert stream._producer is not None and stream._producer.done()
    assert stream.synthesized < len(stream.sentences)


async def test_leaving_the_context_manager_cancels(piper):
    async with stream_speech(piper, REPLY) as stream:
        async for _ in stream:
            break
    assert stream.cancelled


async def test_streaming_audio_matches_one_shot_synthesis_length(espeak):
    chunks = await collect(stream_speech(espeak, REPLY, first_clause_words=None))
    whole = espeak.synthesize(REPLY)
    streamed_ms = sum(c.duration_ms for c in chunks)
    assert abs(streamed_ms - whole.duration_ms) <= 20 * len(chunks)
    assert [c.text for c in chunks] == list(whole.sentences)


async def test_engine_errors_reach_the_consumer():
    class Broken(TTSEngine):
        name = "broken"

        def _synthesize_sentence(self, sentence, rate, language):
            raise RuntimeError("engine exploded")

    with pytest.raises(RuntimeError, match="engine exploded"):
        await collect(stream_speech(Broken(), "One. Two."))


def test_bad_language_is_refused_before_streaming_starts(piper):
    with pytest.raises(UnsupportedLanguageError):
        stream_speech(piper, "你好", language="zh")


async def test_empty_reply_streams_nothing(piper):
    assert await collect(stream_speech(piper, "  ")) == []
