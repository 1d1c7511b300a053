"""The apology is said when something else has failed, often under load: it is synthesised before anyone waits."""

from __future__ import annotations

import asyncio

import pytest

from avatar_bridge.rasa import APOLOGY
from avatar_bridge.tts_pool import SynthesisPool
from voice.streaming import stream_speech
from voice.tts.base import Speech


async def spoken(engine, text: str, pool: SynthesisPool) -> list:
    return [chunk async for chunk in stream_speech(engine, text, rate=1.0, language="en", synthesize=pool.synthesize)]


def test_a_prepared_apology_is_spoken_without_synthesising_again(engines, monkeypatch):
    pool = SynthesisPool()
    engine = engines.tts
    assert pool.prepare(engine, APOLOGY, 1.0, "en") >= 1
    assert pool.prepare(engine, APOLOGY, 1.0, "en") == 0  # kept, not made twice

    def no_synthesis(*args, **kwargs) -> Speech:
        raise AssertionError("synthesised again")

    monkeypatch.setattr(engine, "synthesize_sentence", no_synthesis)
    chunks = asyncio.run(spoken(engine, APOLOGY, pool))
    assert chunks and sum(len(c.audio) for c in chunks) > 0
    # anything else is still synthesised (here: refused by the patched engine)
    with pytest.raises(AssertionError, match="synthesised again"):
        asyncio.run(spoken(engine, "The passport office opens at nine.", pool))
