"""Mandarin speech the avatar can lip-sync and caption: espeak-ng `cmn` phonemes → visemes, one timed word per
character (the unit the captions highlight)."""

from __future__ import annotations

import pytest

from avatar_bridge.captions import DisplayAligner
from voice.cjk import cjk_tokens
from voice.tts.base import word_tokens
from voice.tts.espeak_engine import EspeakEngine
from voice.tts.libespeak import EVENT_PHONEME, EspeakLibrary
from voice.tts.mandarin import espeak_ipa, syllable_starts
from voice.visemes import VISEMES, merge_symbols

REPLY = "您好！新生儿出生“一件事”在二楼D03窗口办理，需要带户口本和身份证。"
# every pinyin initial and final at least once (八怕妈发 … 知吃是日资此四 … 阿哦鹅衣乌鱼 … 翁儿 …)
ALL_SOUNDS = (
    "八怕妈发大他那拉嘎卡哈家恰下知吃是日资此四。阿哦鹅衣乌鱼爱诶熬欧安恩昂翁儿。"
    "压耶要由烟因样英用哇我歪为弯温汪约冤云。女略虐穷窘。嗯。"
)


@pytest.fixture(scope="module")
def mandarin(espeak) -> EspeakEngine:
    return espeak


def visemes_of(engine: EspeakEngine, text: str) -> list[str]:
    """The mouth shapes in order (equal neighbours merged), pauses left out."""
    return [v.viseme for v in engine.synthesize(text, language="zh").visemes if v.viseme != "sil"]


def test_a_chinese_reply_has_a_varied_monotonic_viseme_timeline_within_the_audio(mandarin):
    speech = mandarin.synthesize(REPLY, language="zh")
    shapes = {v.viseme for v in speech.visemes}
    assert shapes <= set(VISEMES)
    assert len(shapes - {"sil"}) >= 8, f"the mouth barely changes shape: {shapes}"
    assert speech.visemes[0].start_ms == 0
    for previous, current in zip(speech.visemes, speech.visemes[1:], strict=False):
        assert current.start_ms == previous.end_ms and current.end_ms > current.start_ms
    assert abs(speech.visemes[-1].end_ms - speech.duration_ms) <= 50
    silent = sum(v.duration_ms for v in speech.visemes if v.viseme == "sil")
    assert silent < 0.25 * speech.duration_ms, "most of the reply is a closed mouth"


def test_every_chinese_character_is_one_timed_word_in_order_inside_the_audio(mandarin):
    speech = mandarin.synthesize(REPLY, language="zh")
    chinese = [ch for ch in REPLY if "\u4e00" <= ch <= "\u9fff"]
    words = [w.word for w in speech.words]
    assert [w for w in words if w != "D03"] == chinese
    assert "D03" in words, "a window name inside Chinese is one word, as written"
    for previous, current in zip(speech.words, speech.words[1:], strict=False):
        assert previous.start_ms <= previous.end_ms <= current.start_ms
    for word in speech.words:
        assert 0 <= word.start_ms <= word.end_ms <= speech.duration_ms
        assert speech.text[word.char_start : word.char_end] == word.word
    assert speech.words[-1].end_ms > 0.9 * speech.duration_ms
    assert all(w.duration_ms > 0 for w in speech.words), "a character nobody hears highlighted"


def test_a_two_character_dictionary_word_is_split_where_its_second_syllable_starts(mandarin):
    # espeak-ng times 户口 (hù kǒu) as one word; kǒu starts with the k burst, the second half is not an even split
    speech = mandarin.synthesize("户口", language="zh")
    hu, kou = speech.words
    k_onset = next(p for p in speech.phonemes if p.phoneme.startswith("k"))
    assert (hu.word, kou.word) == ("户", "口")
    assert kou.start_ms == k_onset.start_ms == hu.end_ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", ["CH", "RR"]),  # shì: retroflex sh, then its buzzing vowel, no pause inside the syllable
        ("出", ["CH", "U"]),  # chū
        ("知", ["CH", "RR"]),  # zhī
        ("日", ["CH", "RR"]),  # rì: espeak says ʐ, a voiced sh
        ("四", ["SS", "I"]),  # sì
        ("鹅", ["E"]),  # é, espeak's "o-"
        ("不", ["PP", "U"]),
        ("发", ["FF", "aa"]),
        ("女", ["nn", "U"]),  # nǚ: rounded lips
        ("家", ["CH", "I", "aa"]),  # jiā
    ],
)
def test_pinyin_initials_and_finals_take_the_mouth_shape_of_their_sound(mandarin, text, expected):
    assert visemes_of(mandarin, text) == expected


def test_every_phoneme_espeak_says_for_mandarin_has_a_viseme():
    library = EspeakLibrary.shared()
    result = library.synthesize(ALL_SOUNDS + REPLY, "cmn", 165)
    phonemes = {espeak_ipa(e.phoneme, "cmn") for e in result.events if e.kind == EVENT_PHONEME and e.phoneme}
    assert len(phonemes) > 30
    for phoneme in phonemes:
        merge_symbols([(symbol, 10) for symbol in phoneme], 1000)  # strict: an unknown symbol raises KeyError
    assert not any("." in p or "-" in p or "(" in p for p in phonemes), "an espeak mnemonic reached the face"


def test_syllables_start_at_the_initial_and_codas_stay_with_their_vowel():
    # 您好 n i n | χ ɑu ; 身份 ʂ ə n | f ə n ; 一件 j i | tɕ iɛ n ; 窗口 tʂʰ w ɑ ŋ | kʰ ou ; 安慰 a n | w ei
    assert syllable_starts(["n", "i", "n", "χ", "ˈɑu"]) == [0, 3]
    assert syllable_starts(["ʂ", "ə", "n", "f", "ə", "n"]) == [0, 3]
    assert syllable_starts(["j", "i", "tɕ", "ˈiɛ", "n"]) == [0, 2]
    assert syllable_starts(["tʂʰ", "w", "ɑ", "ŋ", "kʰ", "ˈou"]) == [0, 4]
    assert syllable_starts(["ˈa", "n", "w", "ei"]) == [0, 2]
    assert syllable_starts(["ˈər"]) == [0]


def test_caption_tokens_are_the_spoken_words_one_to_one(mandarin):
    """What the caption shows (display_words) and what is timed (words) are the same units."""
    captions = DisplayAligner(REPLY, "zh")
    sentences = mandarin.prepare(REPLY, "zh")
    shown = []
    for index, sentence in enumerate(sentences):
        words = [w.word for w in mandarin.synthesize_sentence(sentence, 1.0, "zh").words]
        display = captions.take(words, last=index == len(sentences) - 1)
        assert all(d["first"] == d["last"] for d in display), display
        written = "".join(d["word"] for d in display)
        assert [words[d["first"]] for d in display] == [w for w, _, _ in word_tokens(written)]
        shown += display
    assert "".join(d["word"] for d in shown) == REPLY


def test_chinese_text_is_cut_into_characters_with_latin_runs_whole_and_punctuation_kept():
    tokens = [t for t, _, _ in cjk_tokens("请到C01至C04窗口，“一件事”办理时间9:00-17:00，费用¥20。")]
    assert tokens[:6] == ["请", "到", "C01", "至", "C04", "窗"]
    assert "“一" in tokens and "事”" in tokens and "9:00-17:00，" in tokens and "¥20。" in tokens
    assert "".join(tokens) == "请到C01至C04窗口，“一件事”办理时间9:00-17:00，费用¥20。"
    assert [t for t, _, _ in cjk_tokens("Hello, world - ok. (see) x")] == "Hello, world - ok. (see) x".split()


def test_a_hotline_is_read_digit_by_digit_and_its_caption_token_spans_the_digits(mandarin):
    text = "请拨打热线12345，或到咨询台咨询。"
    sentences = mandarin.prepare(text, "zh")
    assert "幺二三四五" in sentences[0], "read like a phone number, not as twelve thousand …"
    words = [w.word for w in mandarin.synthesize_sentence(sentences[0], 1.0, "zh").words]
    display = DisplayAligner(text, "zh").take(words, last=True)
    hotline = next(d for d in display if d["word"].startswith("12345"))
    assert words[hotline["first"] : hotline["last"] + 1] == list("幺二三四五")


def test_mandarin_recognition_is_scored_by_character_ignoring_punctuation_and_width():
    from voice.wer import cer

    assert cer([("我想办社保卡。", "我想办社保卡")]).wer == 0.0
    assert cer([("社保卡在哪里办？", "社保卡在哪裡办")]).errors == 1  # one traditional character
    assert cer([("办Ａ01窗口", "办a01窗口")]).wer == 0.0  # full-width letters and case folded
    result = cer([("我想办社保卡", "我想判斥包卡")])
    assert (result.errors, result.words) == (3, 6)
