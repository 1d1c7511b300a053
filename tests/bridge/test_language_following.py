"""Hands-free language following: a kiosk that allows it answers a Mandarin question in Mandarin, switching the
session's language, and says so on screen. Real websocket, real Whisper (base, multilingual), real dialogue core.

The Mandarin question is synthesised by espeak-ng (the only offline Mandarin voice). Whisper often takes its
robotic Mandarin for Thai, so the voice and pace used here are ones Whisper identifies as Mandarin with
confidence (docs/voice.md, "Language following"); the rule itself is tested on both sides in tests/voice.
"""

from __future__ import annotations

import pytest

from testkit.dialogue import Conversation
from testkit.kiosk import Kiosk
from testkit.speech import hands_free_pcm, stream_realtime
from voice.cjk import has_cjk
from voice.tts.espeak_engine import EspeakEngine

QUESTION_ZH = "我想办社保卡"  # "I want to get a social security card"
FOLLOWING = {
    "kiosk_id": "follow",
    "position": "entrance",
    "language": "en",
    "asr_model": "base",
    "follow_language": True,
}
ENGLISH_ONLY = FOLLOWING | {"kiosk_id": "english_only", "asr_model": "tiny.en"}


@pytest.fixture(scope="module")
def following_bridge(make_bridge, dialogue):
    # The first Chinese message loads the dialogue core's Chinese side (tokenizer dictionary, Chinese knowledge
    # base, passage embeddings): on a loaded 2-core machine longer than the bridge's 10 s, so warm it up once,
    # and give this bridge room (a retry would send the question twice).
    Conversation(dialogue).say("你好")
    kiosks = {k["kiosk_id"]: k for k in (FOLLOWING, ENGLISH_ONLY)}
    return make_bridge(kiosks=kiosks, partial_interval_s=0, rasa_timeout_s=60, rasa_retries=0, rasa_deadline_s=0)


@pytest.fixture(scope="module")
def mandarin_question() -> bytes:
    return hands_free_pcm(EspeakEngine(voice="cmn+f5", language="zh"), QUESTION_ZH, rate=0.8)


def ask(kiosk: Kiosk, kiosk_id: str, pcm: bytes, **hello) -> list[dict]:
    """Speak to a hands-free kiosk; the messages of that turn, up to its reply's `metrics` (or up to the
    final transcript when nothing was heard)."""
    kiosk.hello(kiosk_id=kiosk_id, mode="hands_free", **hello)
    kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    start = len(kiosk.messages)
    stream_realtime(kiosk, pcm)
    final = kiosk.wait("transcript", kind="final")
    if final["text"].strip():
        bot = kiosk.wait("bot_message")
        kiosk.wait("metrics", utterance_id=bot["utterance_id"])
    return kiosk.messages[start:]


def hall_hours(kiosk: Kiosk) -> str:
    """A button payload says nothing of its language: the reply comes in the session's language."""
    kiosk.send({"type": "button", "payload": "/hall_hours"})
    while True:
        bot = kiosk.wait("bot_message")
        if (bot["card"] or {}).get("kind") == "hall":
            kiosk.wait("metrics", utterance_id=bot["utterance_id"])
            return bot["text"]


def test_a_mandarin_question_to_an_english_kiosk_switches_it_to_mandarin(following_bridge, mandarin_question):
    with Kiosk(following_bridge.url) as kiosk:
        turn = ask(kiosk, "follow", mandarin_question)
        kinds = [m["type"] for m in turn]
        switch = next(m for m in turn if m["type"] == "language")
        final = next(m for m in turn if m["type"] == "transcript" and m["kind"] == "final")
        bot = next(m for m in turn if m["type"] == "bot_message")
        assert switch["language"] == "zh" and switch["previous"] == "en" and switch["reason"] == "detected"
        assert switch["confidence"] >= 0.7
        assert kinds.index("language") < turn.index(final) < kinds.index("bot_message"), kinds
        assert has_cjk(final["text"]), f"heard in English: {final['text']!r}"
        assert has_cjk(bot["text"]), f"answered in English: {bot['text']!r}"
        spoken = [w["word"] for m in turn if m["type"] == "speech" for w in m["words"]]
        assert any(has_cjk(w) for w in spoken), f"not spoken in Mandarin: {spoken}"
        # the session now is Mandarin
        assert has_cjk(hall_hours(kiosk))


def test_an_english_only_kiosk_never_switches_language(following_bridge, mandarin_question):
    with Kiosk(following_bridge.url) as kiosk:
        turn = ask(kiosk, "english_only", mandarin_question)  # tiny.en: allowed to follow, cannot detect
        assert not [m for m in turn if m["type"] == "language"]
        assert not has_cjk(hall_hours(kiosk))


def test_following_is_off_when_the_client_turns_it_off(following_bridge, mandarin_question):
    with Kiosk(following_bridge.url) as kiosk:
        turn = ask(kiosk, "follow", mandarin_question, follow_language=False)
        assert not [m for m in turn if m["type"] == "language"]
        assert not has_cjk(hall_hours(kiosk))
