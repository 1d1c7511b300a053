"""The recogniser as one shared, bounded resource of the bridge: finals first, partials only when there is room.

Every kiosk session asks for two kinds of decode:

* **final** (the end of a turn, or the speculative decode started at the
  citizen's pause, which usually becomes the final one): someone is waiting
  for the reply. Run as soon as possible, first come first served.
* **partial** (hands-free captions while the citizen is still talking): nice to
  have, useless once stale. A partial is
  - refused at once while any final is waiting or running (the session
    stretches its partial interval and tries later),
  - replaced by a newer partial of the same session,
  - refused when `max_partials` partials already wait,
  - dropped from the queue when a final arrives.
  A partial that has started is never interrupted (a tiny.en decode is ~150 ms).

So the queue is bounded: at most one final per session (a new speculation
replaces the last one) plus `max_partials` partials, and sessions themselves
are bounded by the bridge's admission limit (`--max-sessions`).

Decodes run in one worker thread (Whisper already uses both cores per decode
and its calls are serialised per model). Batching concurrent finals through
CTranslate2 was measured and not kept (docs/benchmarks.md, "Capacity per box").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from avatar_bridge.work_queue import Job, WorkQueue
from voice.asr import Recognizer, Transcript

FINAL, PARTIAL = "asr_final", "asr_partial"


@dataclass
class DecodeSettings:
    max_partials: int = 2  # partial decodes waiting at once (over all sessions)
    partial_slack_s: float = 1.0  # a waiting partial runs before finals submitted more than this much later


class DecodeScheduler:
    def __init__(self, settings: DecodeSettings | None = None, queue: WorkQueue | None = None):
        self.settings = settings or DecodeSettings()
        self.queue = queue or WorkQueue("asr", workers=1)

    def final(
        self,
        recognizer: Recognizer,
        audio: bytes,
        sample_rate: int,
        language: str | None,
        owner,
        follow: Sequence[str] = (),
    ) -> Job:
        """A decode somebody waits for. Waiting partials are dropped: the CPU goes to this one. `follow`: the
        languages Whisper may detect instead of `language` (hands-free language following, voice.asr)."""
        self.queue.drop(self.queue.queued(PARTIAL))
        return self.queue.submit(_decode(recognizer, audio, sample_rate, language, follow), FINAL, 0.0, owner)

    def partial(
        self,
        recognizer: Recognizer,
        audio: bytes,
        sample_rate: int,
        language: str | None,
        owner,
        follow: Sequence[str] = (),
    ) -> Job | None:
        """A partial decode, or None when there is no room for one now (the caller tries again later)."""
        if self.queue.busy(FINAL):
            self.queue.count(f"{PARTIAL}_refused")
            return None
        self.queue.drop(self.queue.queued(PARTIAL, owner))  # this session's older partial is stale
        if len(self.queue.queued(PARTIAL)) >= self.settings.max_partials:
            self.queue.count(f"{PARTIAL}_refused")
            return None
        decode = _decode(recognizer, audio, sample_rate, language, follow)
        return self.queue.submit(decode, PARTIAL, self.settings.partial_slack_s, owner)

    @staticmethod
    async def result(job: Job) -> Transcript | None:
        """The transcript, or None when the decode was dropped before it ran."""
        return await job.future

    @property
    def counters(self):
        return self.queue.counters


def _decode(recognizer: Recognizer, audio: bytes, sample_rate: int, language: str | None, follow: Sequence[str] = ()):
    return lambda: recognizer.transcribe(audio, sample_rate, language=language, follow=follow)


def cancel(job: Job | None) -> None:
    """Forget a decode: if it has not started it never runs."""
    if job is not None and job.future is not None and not job.future.done():
        job.future.cancel()


async def shielded(job: Job) -> Transcript | None:
    """Await a decode without cancelling it when the awaiting task is cancelled (it may be shared)."""
    return await asyncio.shield(job.future)
