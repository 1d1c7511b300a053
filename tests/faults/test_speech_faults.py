"""The recogniser or the synthesiser raising: the documented error, the text still shown, the session goes on.

The engines are the real ones wrapped so that one method raises (as a corrupt model file, an out-of-memory
error or a bug in a new engine version would); the bridge and the dialogue servers are real.
"""

from __future__ import annotations

import pytest

from avatar_bridge.app import Engines
from testkit.kiosk import Kiosk, start_bridge
from testkit.speech import speech_pcm16k


class Broken:
    """A real engine whose `method` raises; everything else is the engine's own."""

    def __init__(self, engine, method: str):
        self._engine, self._method = engine, method

    def __getattr__(self, name: str):
        if name == self._method:

            def fail(*args, **kwargs):
                raise RuntimeError(f"injected fault in {name}")

            return fail
        return getattr(self._engine, name)


@pytest.fixture(scope="module")
def broken_bridges(engines, dialogue):
    """One bridge whose recogniser raises, one whose synthesiser raises (each sharing the other real engine)."""
    asr = Engines(Broken(engines.recognizer, "transcribe"), engines.tts)
    tts = Engines(engines.recognizer, Broken(engines.tts, "synthesize_sentence"))
    made = {"asr": asr, "tts": tts}
    servers = {name: start_bridge(e, rasa_url=dialogue.rasa_url, rasa_deadline_s=30.0) for name, e in made.items()}
    yield servers
    for server in servers.values():
        server.stop()


def test_recogniser_raising_gives_asr_failed_and_typing_still_works(broken_bridges, engines):
    with Kiosk(broken_bridges["asr"].url) as kiosk:
        kiosk.hello()
        kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
        pcm = speech_pcm16k(engines.tts, "What do I need to bring for a passport?")
        for i in range(0, len(pcm), 3200):  # 100 ms frames, as the kiosk page sends them
            kiosk.send(pcm[i : i + 3200])
        kiosk.send({"type": "audio_end"})
        error = kiosk.wait("error")
        assert error["code"] == "asr_failed"
        assert "injected" not in error["message"], "the details stay in the log, not on the kiosk"
        kiosk.wait("state", state="idle")
        turn = kiosk.turn("how do I apply for a passport?")
        assert turn["bot"]["card"]["service_id"] == "passport_travel_permit"
        assert turn["speech"], "the reply to the typed question is spoken"


def test_synthesiser_raising_gives_tts_failed_and_the_text_is_shown(broken_bridges):
    with Kiosk(broken_bridges["tts"].url) as kiosk:
        kiosk.hello()
        for question, service in (
            ("how do I apply for a passport?", "passport_travel_permit"),
            (  # the next turn too: the session survived the first failure
                "my wife just had a baby, what do I need to do?",
                "newborn_bundle",
            ),
        ):
            start = len(kiosk.messages)
            kiosk.send({"type": "text", "text": question})
            bot = kiosk.wait("bot_message")
            assert bot["card"]["service_id"] == service and bot["text"], "the answer is on screen"
            error = kiosk.wait("error")
            assert error["code"] == "tts_failed" and "injected" not in error["message"]
            kiosk.wait("metrics", utterance_id=bot["utterance_id"])
            kiosk.wait("state", state="idle")
            assert not [m for m in kiosk.messages[start:] if m["type"] == "speech"], "nothing half-spoken"
            assert bot["utterance_id"] not in kiosk.audio
