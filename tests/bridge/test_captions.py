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


ZH_REPLY = "办理护照请到C区C13窗口，费用120元。需要带身份证原件。"


def test_chinese_captions_give_each_character_the_spoken_word_that_says_it():
    """Chinese has no spaces: each Han character is a written token, so a spoken word of two characters
    ("办理") names two tokens, whatever split the voice uses; codes and amounts stay whole ("C13", "120")."""
    captions = DisplayAligner(ZH_REPLY, "zh")
    spoken = ["办理", "护照", "请", "到", "C", "区", "C", "十三", "窗口", "费用", "一百二十", "元"]
    first = captions.take(spoken, last=False)
    written = [t["word"] for t in first]
    assert "".join(written) == "办理护照请到C区C13窗口，费用120元。", "every character once, in order"
    assert written[:4] == ["办", "理", "护", "照"] and "C13" in written and "窗" in written and "口，" in written
    said_by = {t["word"]: (t["first"], t["last"]) for t in first}
    assert said_by["办"] == said_by["理"] == (0, 0), "both characters of 办理 are said by its one spoken word"
    assert said_by["窗"] == said_by["口，"] == (8, 8)
    assert said_by["C13"][0] in (6, 7) and said_by["C13"][1] == 7, "C13 is said by 'C 十三'"
    second = captions.take(["需要", "带", "身", "份", "证", "原件"], last=True)
    assert [t["word"] for t in second] == ["需", "要", "带", "身", "份", "证", "原", "件。"]
    assert [(t["first"], t["last"]) for t in second][:5] == [(0, 0), (0, 0), (1, 1), (2, 2), (3, 3)]


def test_digits_a_voice_splits_differently_still_find_their_written_number():
    captions = DisplayAligner("费用120元。", "zh")
    got = captions.take(["费用", "1", "20", "元"], last=True)
    assert {t["word"]: (t["first"], t["last"]) for t in got}["120"] == (1, 2)
