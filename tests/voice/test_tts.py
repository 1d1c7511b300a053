"""Text-to-speech: audio, word timings and viseme timelines the avatar can lip-sync to."""

from __future__ import annotations

import numpy as np
import pytest

from voice.errors import InvalidRequestError, UnknownVoiceError, UnsupportedLanguageError, VoiceError
from voice.tts import create_engine, engine_for_language
from voice.tts.base import word_tokens
from voice.visemes import VISEMES, is_mapped, merge_symbols, viseme_for

REPLY = "Please go to window B12 on the 2nd floor. It is open 9:00–17:00. Bring your ID card."


def assert_timeline_is_lip_syncable(speech):
    """Monotonic, gap-free, only Oculus visemes, and ends with the audio (within 50 ms)."""
    assert speech.visemes, "no viseme events"
    assert speech.visemes[0].start_ms == 0
    for previous, current in zip(speech.visemes, speech.visemes[1:], strict=False):
        assert current.start_ms == previous.end_ms, f"gap or overlap between {previous} and {current}"
    for event in speech.visemes:
        assert event.viseme in VISEMES
        assert event.end_ms > event.start_ms
    assert abs(speech.visemes[-1].end_ms - speech.duration_ms) <= 50
    for phoneme in speech.phonemes:
        assert phoneme.viseme in VISEMES, f"phoneme {phoneme.phoneme!r} has no viseme"
    assert any(e.viseme != "sil" for e in speech.visemes), "the mouth never moves"


def assert_words_follow_the_text(speech):
    spoken_words = [w for w, _, _ in word_tokens(speech.text)]
    assert [w.word for w in speech.words] == spoken_words
    for previous, current in zip(speech.words, speech.words[1:], strict=False):
        assert current.start_ms >= previous.end_ms
    for word in speech.words:
        assert 0 <= word.start_ms <= word.end_ms <= speech.duration_ms
        assert speech.text[word.char_start : word.char_end] == word.word


@pytest.mark.parametrize("engine_name", ["piper", "espeak"])
def test_a_reply_is_spoken_as_pcm16_at_the_voice_rate_with_timelines(engine_name, piper, espeak):
    engine = {"piper": piper, "espeak": espeak}[engine_name]
    speech = engine.synthesize(REPLY)
    assert speech.audio.dtype == np.int16 and speech.audio.ndim == 1
    assert speech.sample_rate == 22050
    assert 3000 < speech.duration_ms < 15000
    assert np.abs(speech.audio).max() > 1000, "audio is silent"
    assert speech.text.startswith("Please go to window B twelve on the second floor.")
    assert len(speech.sentences) == 3
    assert_timeline_is_lip_syncable(speech)
    assert_words_follow_the_text(speech)


def test_word_timings_put_each_word_where_it_is_heard(piper):
    speech = piper.synthesize("Where do I transfer my hukou in the service hall?")
    words = {w.word: w for w in speech.words}
    # "transfer" is long and "I" is short: durations follow the words, not an even split.
    assert words["transfer"].duration_ms > 2 * words["I"].duration_ms
    # The respelled pinyin word keeps its written form in captions.
    assert "hukou" in words
    # Timings span the speech, not just the first half.
    assert speech.words[-1].end_ms > 0.8 * speech.duration_ms


def test_visemes_show_the_lips_closing_for_p_b_m(piper):
    speech = piper.synthesize("Baby, mum and papa.")
    assert sum(e.viseme == "PP" for e in speech.visemes) >= 4


def test_every_symbol_the_piper_voice_can_produce_has_a_viseme(piper):
    unmapped = [s for s in piper.phoneme_inventory() if not is_mapped(s)]
    assert unmapped == []


def test_the_viseme_table_covers_common_english_and_mandarin_sounds():
    assert [viseme_for(s) for s in "pfθtkʃsnɹaeiou"] == [
        "PP",
        "FF",
        "TH",
        "DD",
        "kk",
        "CH",
        "SS",
        "nn",
        "RR",
        "aa",
        "E",
        "I",
        "O",
        "U",
    ]
    assert viseme_for(" ") == "sil" and viseme_for("ɕ") == "CH" and viseme_for("ʂ") == "CH"


def test_stress_and_length_marks_are_not_mouth_shapes_of_their_own():
    units = merge_symbols([("^", 100), ("ˈ", 50), ("a", 100), ("ː", 40), ("t", 60), ("ʃ", 60), ("$", 100)], 1000)
    assert [(u.symbol, u.viseme, u.end - u.start) for u in units] == [
        ("^", "sil", 100),
        ("aː", "aa", 190),
        ("t", "CH", 60),
        ("ʃ", "CH", 60),
        ("$", "sil", 100),
    ]
    with pytest.raises(KeyError):
        merge_symbols([("☃", 10)], 1000)


def test_slower_rate_for_elderly_mode_speaks_longer(piper):
    normal = piper.synthesize("Your documents are ready at window C three.")
    slow = piper.synthesize("Your documents are ready at window C three.", rate=0.75)
    assert slow.duration_ms > normal.duration_ms * 1.15
    assert_timeline_is_lip_syncable(slow)


def test_mandarin_is_spoken_by_espeak_with_timelines(espeak):
    speech = espeak.synthesize("你好，请到二楼办理户口。需要带身份证。", language="zh")
    assert speech.voice == "cmn"
    assert speech.duration_ms > 2000
    assert_timeline_is_lip_syncable(speech)
    assert "".join(w.word for w in speech.words) == "你好请到二楼办理户口需要带身份证"


def test_engine_for_language_uses_piper_for_english_and_espeak_for_mandarin(piper):
    assert engine_for_language("en").name == "piper"
    assert engine_for_language("zh").name == "espeak"


def test_timeline_json_has_words_visemes_and_phonemes(espeak):
    timeline = espeak.synthesize("Window B12.").timeline()
    assert timeline["sample_rate"] == 22050 and timeline["duration_ms"] > 0
    assert {"word", "start_ms", "duration_ms"} <= set(timeline["words"][0])
    assert {"viseme", "start_ms", "duration_ms"} <= set(timeline["visemes"][0])
    assert {"phoneme", "start_ms", "duration_ms", "viseme"} <= set(timeline["phonemes"][0])


def test_empty_text_gives_empty_speech_not_an_error(piper):
    speech = piper.synthesize("   ")
    assert len(speech.audio) == 0 and speech.words == () and speech.visemes == ()


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda p, e: p.synthesize("hello", language="zh"), UnsupportedLanguageError),
        (lambda p, e: e.synthesize("hello", language="xx"), UnsupportedLanguageError),
        (lambda p, e: p.synthesize("hello", rate=5), InvalidRequestError),
        (lambda p, e: p.synthesize("hello " * 2000), InvalidRequestError),
        (lambda p, e: create_engine("espeak", voice="no-such-voice"), UnknownVoiceError),
        (lambda p, e: create_engine("piper", voice="en_GB-nobody-low"), UnknownVoiceError),
        (lambda p, e: create_engine("festival"), UnknownVoiceError),
    ],
    ids=["piper-zh", "espeak-xx", "rate", "too-long", "espeak-voice", "piper-voice", "engine"],
)
def test_bad_requests_raise_clear_voice_errors(piper, espeak, call, error):
    with pytest.raises(error) as info:
        call(piper, espeak)
    assert isinstance(info.value, VoiceError) and str(info.value)
