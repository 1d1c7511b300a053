"""espeak-ng TTS: the fallback voice and the voice for languages Piper lacks.

Robotic but tiny, instant (RTF ~0.002) and multilingual; Mandarin uses the
`cmn` voice of the libespeak-ng 1.52 bundled by espeakng-loader. Word and
phoneme positions come straight from the library's events, so no alignment
guesswork is needed here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from voice.errors import UnknownVoiceError, UnsupportedLanguageError
from voice.lexicon import respell
from voice.tts.base import Speech, TTSEngine, speech_from_units, word_tokens
from voice.tts.libespeak import EVENT_END, EVENT_MSG_TERMINATED, EVENT_PHONEME, EVENT_WORD, EspeakLibrary
from voice.tts.mandarin import espeak_ipa, syllable_starts
from voice.visemes import merge_symbols, symbol_class

# Project language code -> espeak-ng voice. Other espeak voice names work through `voice=`.
LANGUAGE_VOICES = {
    "en": "en-us",
    "zh": "cmn",
    "yue": "yue",
    "fr": "fr",
    "de": "de",
    "es": "es",
    "ja": "ja",
    "ko": "ko",
    "ru": "ru",
    "ar": "ar",
    "vi": "vi",
    "th": "th",
}
BASE_WPM = 165
_EDGE = "\"'“”‘’()[]{}«»,.;:!?。，！？；：、… \t\n"
_CONSONANT_H = re.compile(r"(?<=[^\sˈˌaeiouɑɐæʌəɛɜɪʊɔoʊyøœ])h")  # "kh", "tɕh": aspiration, not a sound


class EspeakEngine(TTSEngine):
    """espeak-ng through libespeak-ng, any of its languages; `voice` forces one espeak voice name."""

    name = "espeak"

    def __init__(self, voice: str | None = None, language: str = "en"):
        super().__init__()
        self._lib = EspeakLibrary.shared()
        self.sample_rate = self._lib.sample_rate
        self._forced_voice = voice
        if voice is not None and not self._lib.has_voice(voice):
            raise UnknownVoiceError(f"espeak-ng has no voice {voice!r} (try en-us, en-gb, cmn, yue)")
        self.default_language = language
        self.languages = tuple(LANGUAGE_VOICES)
        self.voice = voice or LANGUAGE_VOICES.get(language, language)
        self.check_language(language)

    def voice_for(self, language: str) -> str:
        return self._forced_voice or LANGUAGE_VOICES.get(language, language)

    def check_language(self, language: str | None) -> str:
        code = (language or self.default_language).lower()
        if self._forced_voice:
            return code
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", code) or not self._lib.has_voice(self.voice_for(code)):
            raise UnsupportedLanguageError(f"espeak-ng has no voice for language {language!r}")
        return code

    def _synthesize_sentence(self, sentence: str, rate: float, language: str) -> Speech:
        english = self.voice_for(language).startswith("en")
        spoken, mapping = _respelled(sentence) if english else (sentence, None)
        result = self._lib.synthesize(spoken, self.voice_for(language), round(BASE_WPM * rate))
        total = len(result.audio)
        events = [e for e in result.events if e.kind in (EVENT_WORD, EVENT_PHONEME, EVENT_END, EVENT_MSG_TERMINATED)]

        voice = self.voice_for(language)
        symbols: list[tuple[str, int]] = []
        first = next((e.sample for e in events if e.kind == EVENT_PHONEME), total)
        if first > 0:
            symbols.append((" ", min(first, total)))
        phoneme_events = [e for e in events if e.kind == EVENT_PHONEME]
        ipa = [espeak_ipa(e.phoneme, voice) for e in phoneme_events]
        boundaries = [e.sample for e in phoneme_events[1:]] + [total]
        for phoneme, event, end in zip(ipa, phoneme_events, boundaries, strict=True):
            symbols += _split_phoneme(phoneme, max(0, min(end, total) - min(event.sample, total)))
        units = merge_symbols(symbols, self.sample_rate, strict=False)

        word_events = [e for e in events if e.kind == EVENT_WORD]
        # Phoneme events carry the text position of their word; that grouping is exact,
        # while the word events' own sample positions run slightly early.
        sounds: dict[int, list[tuple[str, int, int]]] = {}  # text position -> (phoneme, start, end)
        for phoneme, event, end in zip(ipa, phoneme_events, boundaries, strict=True):
            if phoneme:
                sounds.setdefault(event.text_position, []).append((phoneme, event.sample, min(end, total)))
        located: list[Located] = []
        for index, event in enumerate(word_events):
            begin = event.text_position - 1
            stop = word_events[index + 1].text_position - 1 if index + 1 < len(word_events) else len(spoken)
            c0, c1 = _trim(spoken, begin, stop)
            if c1 <= c0:
                continue
            if mapping is not None:
                c0, c1 = mapping(c0), mapping(c1 - 1) + 1
            located.append(Located(c0, c1, tuple(sounds.get(event.text_position, ()))))
        merged = _words_from_events(sentence, located)
        return speech_from_units(result.audio, self.sample_rate, sentence, units, merged, self.name, voice, language)


@dataclass(frozen=True)
class Located:
    """One espeak-ng word event: the written characters it covers and its sounds (phoneme, start, end samples)."""

    c0: int
    c1: int
    sounds: tuple[tuple[str, int, int], ...]

    @property
    def span(self) -> list[int] | None:
        return [self.sounds[0][1], max(end for _, _, end in self.sounds)] if self.sounds else None


def _words_from_events(sentence: str, located: list[Located]) -> list[tuple[str, int, int, int, int]]:
    """One timed word per written word (voice.tts.base.word_tokens: in Chinese, one per character).

    espeak's word events do not map one-to-one onto written words: "I-D" and a
    respelled "hoo-koh" come as two events, and in "on the" all sounds are
    filed under "on". Events inside one written word are merged; a written word
    that got no sounds of its own shares the previous word's time. In Chinese an
    event is one of espeak's dictionary words ("户口"), which covers several
    characters: its time is split between them where each syllable starts.
    """
    tokens = word_tokens(sentence)
    groups: dict[int, list] = {}  # token index -> [c0, c1, span]

    def add(index: int, span: list[int] | None) -> None:
        _, t0, t1 = tokens[index]
        group = groups.setdefault(index, [t0, t1, None])
        if span is not None:
            current = group[2]
            group[2] = list(span) if current is None else [min(current[0], span[0]), max(current[1], span[1])]

    for event in located:
        hit = [i for i, (_, t0, t1) in enumerate(tokens) if t0 < event.c1 and event.c0 < t1]
        if len(hit) > 1 and event.span is not None:
            for index, span in zip(hit, _split_span(event.sounds, len(hit)), strict=True):
                add(index, span)
        else:
            for index in hit[:1]:
                add(index, event.span)
    for index in range(len(tokens)):  # written words espeak gave no event at all
        groups.setdefault(index, [tokens[index][1], tokens[index][2], None])
    order = sorted(groups, key=lambda key: groups[key][0])

    words: list[list] = []
    for key in order:
        c0, c1, span = groups[key]
        if span is None:
            if words:  # share the previous word's time, split by length
                previous = words[-1]
                share = (previous[2] - previous[1]) * (c1 - c0) // max(1, (previous[4] - previous[3]) + (c1 - c0))
                middle = previous[2] - share
                previous[2] = middle
                span = [middle, middle + share]
            else:
                span = [0, 0]
        words.append([sentence[c0:c1], span[0], span[1], c0, c1])
    previous_end = 0
    out = []
    for word, start, end, c0, c1 in words:
        start = max(start, previous_end)
        end = max(end, start)
        previous_end = end
        out.append((word, start, end, c0, c1))
    return out


def _split_span(sounds: Sequence[tuple[str, int, int]], parts: int) -> list[list[int]]:
    """A word's time cut into `parts` (its characters): at syllable starts when there is one syllable per
    character, evenly otherwise."""
    start, end = sounds[0][1], max(stop for _, _, stop in sounds)
    syllables = syllable_starts([phoneme for phoneme, _, _ in sounds])
    if len(syllables) == parts:
        cuts = [sounds[i][1] for i in syllables[1:]]
    else:
        cuts = [start + (end - start) * k // parts for k in range(1, parts)]
    edges = [start, *cuts, end]
    return [[edges[k], max(edges[k], edges[k + 1])] for k in range(parts)]


def _trim(text: str, begin: int, stop: int) -> tuple[int, int]:
    while begin < stop and text[begin] in _EDGE:
        begin += 1
    while stop > begin and text[stop - 1] in _EDGE:
        stop -= 1
    first_space = text.find(" ", begin, stop)
    return begin, (first_space if first_space != -1 else stop)


def _split_phoneme(phoneme: str, samples: int) -> list[tuple[str, int]]:
    """espeak reports clusters ("ˈoʊ", "tɕh"); split the time over its sounds, modifiers get none."""
    if not phoneme:
        return [(" ", samples)]
    phoneme = _CONSONANT_H.sub("ʰ", phoneme)
    symbols = list(phoneme)
    sounds = []
    for i, symbol in enumerate(symbols):
        try:
            kind = symbol_class(symbol)
        except KeyError:
            kind = "suffix"
        if kind not in ("prefix", "suffix", "pause"):
            sounds.append(i)
    if not sounds:
        return [(symbols[0], samples)] + [(s, 0) for s in symbols[1:]]
    share, extra = divmod(samples, len(sounds))
    out = []
    for i, symbol in enumerate(symbols):
        if i in sounds:
            out.append((symbol, share + (1 if sounds.index(i) < extra else 0)))
        else:
            out.append((symbol, 0))
    return out


def _respelled(sentence: str) -> tuple[str, object]:
    """Sentence with lexicon respellings, plus a map from spoken character index to written index."""
    pieces: list[str] = []
    offsets: list[int] = []  # for every spoken char, its written index
    cursor = 0
    for word, start, end in word_tokens(sentence):
        pieces.append(sentence[cursor:start])
        offsets += range(cursor, start)
        spoken = respell(word)
        pieces.append(spoken)
        if spoken == word:
            offsets += range(start, end)
        else:
            offsets += [min(start + (k * (end - start)) // max(1, len(spoken)), end - 1) for k in range(len(spoken))]
        cursor = end
    pieces.append(sentence[cursor:])
    offsets += range(cursor, len(sentence))
    spoken_text = "".join(pieces)

    def to_written(index: int) -> int:
        return offsets[min(max(index, 0), len(offsets) - 1)] if offsets else 0

    return spoken_text, to_written
