"""Spoken questions from a voice no tuning used reach the right service through the bridge.

A small, honest sample of benchmarks/bench_spoken.py: 12 service questions of
the held-out citizen split (spread over the services), spoken by Festival's
kal voice (Debian festvox-kallpc16k), each a push-to-talk turn in a fresh session over the real
websocket, against the real Rasa server, tiny.en and the post-recognition
correction. Scored like the benchmark: only the expected service's own card is
a hit. The floor is an accuracy, not a timing, and a regression floor: on
2026-12-02 the benchmark measured 57 % for this voice (96 questions, dialogue
model lobby-889a9dbbf104), far from the 0.90 target; raise it as understanding
improves. The benchmark reports the full figure per voice.
"""

from __future__ import annotations

from benchmarks.bench_spoken import score_card, spoken_turn
from benchmarks.voices import VoiceCache, citizen_service_questions, spread

VOICE = "festival-kal"
SAMPLE = 12
MIN_ACCURACY = 0.4


def test_held_out_spoken_questions_reach_the_expected_service(bridge, tmp_path_factory):
    cache = VoiceCache(tmp_path_factory.mktemp("voices"))
    questions = spread(citizen_service_questions(), SAMPLE)
    results = []
    for q in questions:
        turn = spoken_turn(bridge.url, cache.pcm(VOICE, q["text"]).tobytes())
        hit, outcome = score_card(turn["card"], q["service"])
        results.append((hit, q["text"], turn["heard"], outcome))
    hits = sum(hit for hit, *_ in results)
    misses = "\n".join(f"  {text!r} heard {heard!r} -> {got}" for hit, text, heard, got in results if not hit)
    assert all(heard for _, _, heard, _ in results), "every question must be heard"
    assert hits / len(results) >= MIN_ACCURACY, f"{hits}/{len(results)} reached their service; misses:\n{misses}"
