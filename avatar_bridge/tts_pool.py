"""One synthesis queue for every kiosk session of the bridge: first sentences first.

A citizen waits for the first sentence of a reply; the later ones only have to
arrive before the sentence ahead of them has been played (audio goes out at
about twice real time, and a sentence lasts a second or more). So when several
replies are synthesised at once, a first sentence runs before later sentences
submitted up to `later_slack_s` earlier (earliest deadline first, so a later
sentence that has waited that long goes ahead and speech does not stall).
A sentence whose reply was interrupted before it started is never synthesised.

Stock phrases are synthesised before anyone waits for them (`prepare`): the apology is said exactly when
something else has failed, often under load, when a fresh synthesis is slowest; measured with a hung dialogue
core, synthesising it put 0.5-1.5 s between the apology on screen and the apology heard.
"""

from __future__ import annotations

from avatar_bridge.work_queue import WorkQueue
from voice.streaming import stream_speech
from voice.tts.base import Speech, TTSEngine

FIRST, LATER = "tts_first", "tts_later"


def _key(engine: TTSEngine, sentence: str, rate: float, language: str | None) -> tuple:
    """A stock phrase's identity: the engine object itself (engines are loaded once per process), what, how fast."""
    return (id(engine), sentence, round(rate, 4), language)


class SynthesisPool:
    def __init__(self, later_slack_s: float = 0.5, queue: WorkQueue | None = None):
        self.later_slack_s = later_slack_s
        self.queue = queue or WorkQueue("tts", workers=1)
        self._ready: dict[tuple[int, str, float, str | None], Speech] = {}  # stock phrases, synthesised in advance

    def prepare(self, engine: TTSEngine, text: str, rate: float, language: str | None) -> int:
        """Synthesise `text` now (blocking: at start-up), cut into the very sentences a reply stream of it asks
        for, so saying it later waits for no synthesis. Returns the sentences added."""
        added = 0
        stream = stream_speech(engine, text, rate=rate, language=language)  # plans the sentences, starts nothing
        for sentence in stream.sentences:
            key = _key(engine, sentence, rate, stream.language)
            if key not in self._ready:
                self._ready[key] = engine.synthesize_sentence(sentence, rate, stream.language)
                added += 1
        return added

    async def synthesize(
        self, engine: TTSEngine, sentence: str, rate: float, language: str | None, index: int
    ) -> Speech:
        """voice.streaming's `synthesize` hook: sentence `index` of a reply, queued by urgency."""
        ready = self._ready.get(_key(engine, sentence, rate, language))
        if ready is not None:
            return ready
        kind, slack = (FIRST, 0.0) if index == 0 else (LATER, self.later_slack_s)
        job = self.queue.submit(lambda: engine.synthesize_sentence(sentence, rate, language), kind, slack)
        return await job.future

    @property
    def counters(self):
        return self.queue.counters
