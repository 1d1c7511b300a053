"""Hands-free kiosks: the server's VAD and Smart-Turn decide the turns, and the citizen can talk over the avatar."""

from __future__ import annotations

import pytest

from testkit.kiosk import Kiosk
from testkit.speech import hands_free_pcm, stream_realtime

QUESTION = "What documents do I need to bring when I apply for a new passport?"


@pytest.fixture(scope="module")
def hands_free_bridge(make_bridge):
    return make_bridge(partial_interval_s=0.5)


def open_mic(kiosk: Kiosk, **hello) -> dict:
    session = kiosk.hello(mode="hands_free", **hello)
    kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    return session


def test_a_spoken_question_is_heard_transcribed_and_answered_without_a_button(hands_free_bridge, engines):
    with Kiosk(hands_free_bridge.url) as kiosk:
        open_mic(kiosk)
        stream_realtime(kiosk, hands_free_pcm(engines.tts, QUESTION))
        final = kiosk.wait("transcript", kind="final")
        bot = kiosk.wait("bot_message")
        kiosk.wait("metrics")
        kiosk.send({"type": "audio_end"})
    kinds = [(m["type"], m.get("state") or m.get("name") or m.get("kind")) for m in kiosk.messages]
    assert (
        kinds.index(("state", "listening")) < kinds.index(("gesture", "listen")) < kinds.index(("transcript", "final"))
    )
    partials = [m for m in kiosk.messages if m["type"] == "transcript" and m["kind"] == "partial"]
    assert partials and kinds.index(("transcript", "partial")) < kinds.index(("transcript", "final"))
    assert "passport" in final["text"].lower()
    assert bot["card"]["service_id"] == "passport_travel_permit" and bot["card"]["topic"] == "materials"
    metrics = next(m for m in kiosk.messages if m["type"] == "metrics")["stages"]
    assert {"end_of_turn_ms", "asr_ms", "dialogue_ms", "first_speech_ms"} <= set(metrics)
    # the avatar was silent when the citizen spoke: nothing was interrupted
    assert not [m for m in kiosk.messages if m["type"] == "speech_end" and m["interrupted"]]


def test_talking_over_the_avatar_stops_it_and_the_new_question_is_answered(hands_free_bridge, engines):
    with Kiosk(hands_free_bridge.url) as kiosk:
        open_mic(kiosk)
        kiosk.send({"type": "text", "text": "my wife just had a baby, what do I need to do?"})
        first = kiosk.wait("speech")
        while not kiosk.audio.get(first["utterance_id"]):
            kiosk.recv()
        stream_realtime(kiosk, hands_free_pcm(engines.tts, "Which documents do I need to bring for that?"))
        end = kiosk.wait("speech_end")
        received = len(kiosk.audio[first["utterance_id"]])
        transcript = kiosk.wait("transcript", kind="final")
        bot = kiosk.wait("bot_message")
        kiosk.wait("metrics", utterance_id=bot["utterance_id"])
    assert end == {"type": "speech_end", "utterance_id": first["utterance_id"], "interrupted": True}
    assert transcript["text"].lower().startswith("which documents"), transcript  # its first words were kept
    assert bot["card"]["topic"] == "materials", bot
    assert len(kiosk.audio[first["utterance_id"]]) == received  # no old audio after the interruption


def test_the_kiosks_own_voice_coming_back_quietly_does_not_interrupt_it(hands_free_bridge, engines):
    with Kiosk(hands_free_bridge.url) as kiosk:
        open_mic(kiosk)
        kiosk.send({"type": "text", "text": "hello"})
        first = kiosk.wait("speech")
        kiosk.send({"type": "playback", "utterance_id": first["utterance_id"], "state": "started"})
        stream_realtime(kiosk, hands_free_pcm(engines.tts, "Hello, how can I help you today?", gain=0.03, trail_s=0.5))
        end = kiosk.wait("speech_end")
    assert end["interrupted"] is False


def test_settings_switch_mode_and_elderly_mode_speaks_slower(bridge):
    with Kiosk(bridge.url) as kiosk:
        kiosk.hello()
        normal = kiosk.turn("hello")
        kiosk.send({"type": "settings", "mode": "walkie_talkie"})
        assert kiosk.wait("error")["code"] == "schema_violation"
        kiosk.send({"type": "settings", "elderly": True, "mode": "hands_free"})
        assert kiosk.wait("state")["state"] == "idle"
        kiosk.send(b"\x00\x00" * 320)  # hands-free: audio needs no audio_start
        slow = kiosk.turn("hello")
    assert not [m for m in kiosk.messages if m["type"] == "error" and m["code"] != "schema_violation"]
    assert slow["bot"]["text"] == normal["bot"]["text"]
    duration = {
        name: sum(s["duration_ms"] for s in turn["speech"]) for name, turn in (("normal", normal), ("elderly", slow))
    }
    assert duration["elderly"] > duration["normal"]
