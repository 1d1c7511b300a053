"""Whole turns over a real websocket against the real dialogue core, ASR and TTS."""

from __future__ import annotations

from testkit.kiosk import Kiosk
from testkit.speech import speech_pcm16k


def test_text_turn_speaks_with_visemes_words_and_a_wave(kiosk):
    session = kiosk.hello()
    assert session["session_id"] and session["audio"]["out_sample_rate"] == 22050
    turn = kiosk.turn("hello")
    bot = turn["bot"]
    assert bot["text"] and bot["card"]["kind"] == "greeting"
    kinds = [m["type"] for m in turn["all"]]
    assert kinds.index("bot_message") < kinds.index("speech") < kinds.index("speech_end") < kinds.index("metrics")
    first = turn["speech"][0]
    assert first["utterance_id"] == bot["utterance_id"] and first["seq"] == 0
    assert first["visemes"] and first["words"]
    assert {v["viseme"] for v in first["visemes"]} - {"sil"}
    pcm = kiosk.audio[bot["utterance_id"]]
    total_ms = sum(s["duration_ms"] for s in turn["speech"])
    assert abs(len(pcm) / 2 / 22050 * 1000 - total_ms) <= len(turn["speech"])  # every sentence's audio arrived
    assert [g["name"] for g in turn["gestures"]][0] == "wave"
    end = next(m for m in turn["all"] if m["type"] == "speech_end")
    assert end == {"type": "speech_end", "utterance_id": bot["utterance_id"], "interrupted": False}
    metrics = next(m for m in turn["all"] if m["type"] == "metrics")["stages"]
    assert {"dialogue_ms", "tts_first_ms", "first_speech_ms", "total_ms"} <= set(metrics)


def test_push_to_talk_voice_turn_is_transcribed_and_answered(kiosk, engines):
    kiosk.hello()
    kiosk.send({"type": "audio_start", "sample_rate": 16000, "encoding": "pcm16"})
    pcm = speech_pcm16k(engines.tts, "What do I need to bring for a passport?")
    for i in range(0, len(pcm), 3200):
        kiosk.send(pcm[i : i + 3200])
    kiosk.send({"type": "audio_end"})
    transcript = kiosk.wait("transcript")
    assert "passport" in transcript["text"].lower()
    bot = kiosk.wait("bot_message")
    card = bot["card"]
    assert (card["kind"], card["service_id"]) == ("service", "passport_travel_permit"), card
    assert "passport" in bot["text"].lower()
    metrics = kiosk.wait("metrics")["stages"]
    assert metrics["asr_ms"] > 0


def test_point_gesture_follows_the_kiosk_position(bridge):
    seen = {}
    for kiosk_id in ("entrance", "floor2"):
        with Kiosk(bridge.url) as k:
            k.hello(kiosk_id)
            k.turn("where do I apply for a residence permit?")
            turn = k.turn("where is that?")
            card = turn["bot"]["card"]
            assert card["topic"] == "location"
            expected = card["fields"]["directions"]["gesture"]
            points = [g for g in turn["gestures"] if g["name"].startswith("point_")]
            assert [g["name"] for g in points] == [expected]
            assert points[0]["target"] == card["fields"]["location"]["windows"][0]
            # the stroke lands on a spoken word ("window", or the direction)
            words = [w for s in turn["speech"] for w in s["words"]]
            assert any(w["t_ms"] == points[0]["at_ms"] for w in words)
            seen[kiosk_id] = card["fields"]["directions"]
    assert seen["entrance"]["floor_change"] != seen["floor2"]["floor_change"]


def test_materials_list_gets_one_count_beat_per_item(kiosk):
    kiosk.hello()
    first = kiosk.turn("my wife just had a baby, what do I need to do?")
    # "Newborn one-stop service: One application for ...": the title is spoken first, on its own, so the
    # reply starts sooner; the next chunk's audio and timings follow on seamlessly
    opening, rest = first["speech"][:2]
    assert opening["text"] == "Newborn one-stop service:" and rest["text"].startswith("One application")
    assert rest["offset_ms"] == opening["offset_ms"] + opening["duration_ms"]
    assert rest["words"][0]["t_ms"] >= rest["offset_ms"] and opening["words"][-1]["t_ms"] < rest["offset_ms"]
    turn = kiosk.turn("what do I need to bring?")
    materials = turn["bot"]["card"]["fields"]["materials"]
    beats = [g for g in turn["gestures"] if g["name"] == "count"]
    assert [b["beat"] for b in beats] == list(range(1, len(beats) + 1))
    assert len(beats) == len(materials)
    times = [b["at_ms"] for b in beats]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_not_understood_gets_an_apologetic_look(kiosk):
    kiosk.hello()
    # "/nlu_fallback" is what Rasa's FallbackClassifier yields when unsure; sending it
    # makes "not understood" deterministic whatever the model thinks of nonsense.
    turn = kiosk.turn("/nlu_fallback")
    assert turn["bot"]["card"]["kind"] == "fallback"
    assert turn["gestures"][0]["name"] == "apologetic"
    emotion = next(m for m in turn["all"] if m["type"] == "emotion")
    assert emotion["name"] == "concerned"
