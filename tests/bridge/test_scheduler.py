"""The bridge's shared speech queues: what a citizen waits for runs first, what can wait is dropped or waits.

No servers and no models: a stand-in recogniser / voice records the order in which the queue ran its jobs,
and a gate holds the worker busy so several jobs are queued at once (no timing is asserted).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from avatar_bridge.asr_scheduler import FINAL, PARTIAL, DecodeScheduler, DecodeSettings, cancel
from avatar_bridge.tts_pool import SynthesisPool


@dataclass
class GatedRecognizer:
    """Records each decode's audio; the first decode waits until the test opens the gate."""

    ran: list[bytes] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)

    def transcribe(self, audio: bytes, sample_rate: int, language: str | None = None, follow=()):
        self.running.set()
        self.gate.wait(30)
        if audio == b"boom":
            raise RuntimeError("decoder failed")
        self.ran.append(audio)
        return f"text of {audio.decode()}"


async def _until(event: threading.Event) -> None:
    await asyncio.to_thread(event.wait, 30)


def run(coro):
    return asyncio.run(coro)


def test_a_final_decode_runs_before_partials_that_were_queued_first_and_drops_them():
    async def scenario():
        asr, rec = DecodeScheduler(DecodeSettings(max_partials=4)), GatedRecognizer()
        busy = asr.partial(rec, b"p-running", 16000, "en", owner="kiosk-a")  # occupies the worker
        await _until(rec.running)
        waiting = asr.partial(rec, b"p-waiting", 16000, "en", owner="kiosk-b")
        final = asr.final(rec, b"final", 16000, "en", owner="kiosk-c")
        rec.gate.set()
        results = await asyncio.gather(busy.future, waiting.future, final.future)
        return rec.ran, results

    ran, (busy, waiting, final) = run(scenario())
    assert ran == [b"p-running", b"final"]  # the running partial finishes; the waiting one never runs
    assert busy == "text of p-running" and final == "text of final"
    assert waiting is None  # dropped: the session learns there was no room and tries later


def test_no_partial_is_taken_while_a_final_waits_or_runs():
    async def scenario():
        asr, rec = DecodeScheduler(), GatedRecognizer()
        final = asr.final(rec, b"final", 16000, "en", owner="kiosk-a")
        await _until(rec.running)
        refused = asr.partial(rec, b"partial", 16000, "en", owner="kiosk-b")
        rec.gate.set()
        await final.future
        return refused, asr.counters

    refused, counters = run(scenario())
    assert refused is None
    assert counters[f"{PARTIAL}_refused"] == 1 and counters[f"{FINAL}_run"] == 1


def test_a_newer_partial_of_the_same_session_replaces_its_stale_one_and_the_partial_queue_is_bounded():
    async def scenario():
        asr, rec = DecodeScheduler(DecodeSettings(max_partials=2)), GatedRecognizer()
        first = asr.partial(rec, b"a-1", 16000, "en", owner="kiosk-a")
        await _until(rec.running)
        stale = asr.partial(rec, b"b-1", 16000, "en", owner="kiosk-b")
        fresh = asr.partial(rec, b"b-2", 16000, "en", owner="kiosk-b")  # replaces b-1
        other = asr.partial(rec, b"c-1", 16000, "en", owner="kiosk-c")
        over = asr.partial(rec, b"d-1", 16000, "en", owner="kiosk-d")  # two already wait: no room
        rec.gate.set()
        done = await asyncio.gather(first.future, stale.future, fresh.future, other.future)
        return rec.ran, done, over

    ran, (_, stale, fresh, other), over = run(scenario())
    assert stale is None and fresh == "text of b-2" and other == "text of c-1"
    assert over is None
    assert ran == [b"a-1", b"b-2", b"c-1"]


def test_a_cancelled_speculative_decode_that_has_not_started_never_runs():
    async def scenario():
        asr, rec = DecodeScheduler(), GatedRecognizer()
        first = asr.final(rec, b"kiosk-a turn", 16000, "en", owner="kiosk-a")
        await _until(rec.running)
        speculation = asr.final(rec, b"kiosk-b pause", 16000, "en", owner="kiosk-b")
        cancel(speculation)  # the citizen went on talking
        last = asr.final(rec, b"kiosk-b turn", 16000, "en", owner="kiosk-b")
        rec.gate.set()
        await asyncio.gather(first.future, last.future)
        return rec.ran

    assert run(scenario()) == [b"kiosk-a turn", b"kiosk-b turn"]


def test_a_failing_decode_reaches_its_session_and_the_queue_goes_on():
    async def scenario():
        asr, rec = DecodeScheduler(), GatedRecognizer()
        rec.gate.set()
        broken = asr.final(rec, b"boom", 16000, "en", owner="kiosk-a")
        with pytest.raises(RuntimeError, match="decoder failed"):
            await broken.future
        return await asr.final(rec, b"next", 16000, "en", owner="kiosk-b").future

    assert run(scenario()) == "text of next"


@dataclass
class GatedVoice:
    spoken: list[str] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)

    def synthesize_sentence(self, sentence: str, rate: float, language: str | None):
        self.running.set()
        self.gate.wait(30)
        self.spoken.append(sentence)
        return sentence


def test_first_sentences_of_replies_are_synthesised_before_later_sentences_of_other_replies():
    async def scenario():
        pool, voice = SynthesisPool(later_slack_s=60), GatedVoice()
        tasks = [asyncio.ensure_future(pool.synthesize(voice, "A, first", 1.0, "en", 0))]
        await _until(voice.running)
        tasks.append(asyncio.ensure_future(pool.synthesize(voice, "A, second", 1.0, "en", 1)))
        await asyncio.sleep(0)  # queued in this order: A's second sentence, then B's first
        tasks.append(asyncio.ensure_future(pool.synthesize(voice, "B, first", 1.0, "en", 0)))
        await asyncio.sleep(0)
        voice.gate.set()
        await asyncio.gather(*tasks)
        return voice.spoken

    assert run(scenario()) == ["A, first", "B, first", "A, second"]


def test_a_sentence_of_an_interrupted_reply_is_not_synthesised():
    async def scenario():
        pool, voice = SynthesisPool(), GatedVoice()
        first = asyncio.ensure_future(pool.synthesize(voice, "A, first", 1.0, "en", 0))
        await _until(voice.running)
        barged = asyncio.ensure_future(pool.synthesize(voice, "B, first", 1.0, "en", 0))
        await asyncio.sleep(0)
        barged.cancel()  # the citizen talked over B before its synthesis started
        after = asyncio.ensure_future(pool.synthesize(voice, "C, first", 1.0, "en", 0))
        await asyncio.sleep(0)
        voice.gate.set()
        await asyncio.gather(first, after)
        return voice.spoken

    assert run(scenario()) == ["A, first", "C, first"]
