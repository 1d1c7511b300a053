"""Captions show the reply as written ("C13") while the voice says "C thirteen" (issue 12 §5)."""

from __future__ import annotations

from avatar_bridge.captions import DisplayAligner

REPLY = "Go to Window C13 in zone C. It costs ¥120 — open 9:00-17:00."


def test_written_tokens_carry_the_spoken_words_that_say_them():
    captions = DisplayAligner(REPLY)
    first = captions.take(["Go", "to", "Window", "C", "thirteen", "in", "zone", "C"], last=False)
    assert [t["word"] for t in first] == ["Go", "to", "Window", "C13", "in", "zone", "C."]
    c13 = first[3]
    assert (c13["first"], c13["last"]) == (3, 4), "C13 is said as two words"
    second = captions.take(
        ["It", "costs", "one", "hundred", "and", "twenty", "yuan", "open", "nine", "a.m", "to", "five", "p.m"],
        last=True,
    )
    assert [t["word"] for t in second] == ["It", "costs", "¥120", "—", "open", "9:00-17:00."]
    assert (second[2]["first"], second[2]["last"]) == (2, 6)
    assert (second[3]["first"], second[3]["last"]) == (None, None), "a dash is shown but not spoken"


def test_every_written_token_is_handed_out_once_even_if_the_voice_says_something_else():
    captions = DisplayAligner("Hello there, citizen.")
    got = captions.take(["completely", "different"], last=False) + captions.take(["words"], last=True)
    assert [t["word"] for t in got] == ["Hello", "there,", "citizen."]
