"""The one small interface every TTS engine implements, and what it returns.

An engine only has to synthesise one already-normalised sentence into PCM16
with word and phoneme timings; text normalisation, sentence splitting,
pauses between sentences, validation and the viseme timeline are shared here,
so Piper and espeak-ng behave the same to their callers (the CLI, streaming
and the avatar bridge) and the fallback engine is a drop-in.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from voice.cjk import cjk_tokens, has_cjk
from voice.errors import InvalidRequestError, UnsupportedLanguageError
from voice.normalize import normalize_for_speech
from voice.sentences import split_sentences
from voice.visemes import TimedSymbol

MIN_RATE = 0.5
MAX_RATE = 2.0
MAX_TEXT_CHARS = 5000  # a reply longer than this is a bug upstream, not something to read for minutes
SENTENCE_PAUSE_S = 0.3


@dataclass(frozen=True)
class WordTiming:
    """A spoken word: where it is in the audio (ms) and in the spoken text (characters)."""

    word: str
    start_ms: int
    end_ms: int
    char_start: int
    char_end: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class VisemeEvent:
    viseme: str
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class PhonemeTiming:
    phoneme: str
    start_ms: int
    end_ms: int
    viseme: str

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Speech:
    """Synthesised audio (mono PCM16 at the voice's native rate) with its timelines."""

    audio: np.ndarray
    sample_rate: int
    text: str  # what was spoken, after normalisation
    words: tuple[WordTiming, ...] = ()
    visemes: tuple[VisemeEvent, ...] = ()
    phonemes: tuple[PhonemeTiming, ...] = ()
    engine: str = ""
    voice: str = ""
    language: str = "en"
    sentences: tuple[str, ...] = field(default=())

    @property
    def duration_ms(self) -> int:
        return _ms(len(self.audio), self.sample_rate)

    def timeline(self) -> dict[str, object]:
        """JSON-ready timings: what `python -m voice speak --timeline` writes and the bridge sends."""
        return {
            "engine": self.engine,
            "voice": self.voice,
            "language": self.language,
            "sample_rate": self.sample_rate,
            "duration_ms": self.duration_ms,
            "text": self.text,
            "words": [
                {
                    "word": w.word,
                    "start_ms": w.start_ms,
                    "duration_ms": w.duration_ms,
                    "end_ms": w.end_ms,
                    "char_start": w.char_start,
                    "char_end": w.char_end,
                }
                for w in self.words
            ],
            "visemes": [
                {"viseme": v.viseme, "start_ms": v.start_ms, "duration_ms": v.duration_ms} for v in self.visemes
            ],
            "phonemes": [
                {"phoneme": p.phoneme, "start_ms": p.start_ms, "duration_ms": p.duration_ms, "viseme": p.viseme}
                for p in self.phonemes
            ],
        }


def _ms(samples: int, sample_rate: int) -> int:
    return round(samples * 1000 / sample_rate)


_TOKEN = re.compile(r"[^\s]+")
_EDGE_PUNCT = "\"'“”‘’()[]{}«»,.;:!?。，！？；：、…"


def word_tokens(text: str) -> list[tuple[str, int, int]]:
    """Words of a spoken sentence with character offsets; punctuation at the edges is not part of a word.

    Text with Chinese characters is cut as voice.cjk does (one word per character, Latin runs whole),
    the unit the captions highlight.
    """
    raw_tokens = cjk_tokens(text) if has_cjk(text) else [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)]
    tokens = []
    for raw, start, _ in raw_tokens:
        left = len(raw) - len(raw.lstrip(_EDGE_PUNCT))
        right = len(raw.rstrip(_EDGE_PUNCT))
        if right > left:
            tokens.append((raw[left:right], start + left, start + right))
    return tokens


def speech_from_units(
    audio: np.ndarray,
    sample_rate: int,
    text: str,
    units: Sequence[TimedSymbol],
    word_spans: Sequence[tuple[str, int, int, int, int]],
    engine: str,
    voice: str,
    language: str,
) -> Speech:
    """Build a Speech from sample-accurate phoneme units and word spans (word, start, end, char0, char1)."""
    total = len(audio)
    phonemes = []
    visemes: list[VisemeEvent] = []
    cursor = 0
    for unit in units:
        start, end = min(unit.start, total), min(unit.end, total)
        if end <= start:
            continue
        if start > cursor:  # a gap the engine left unexplained is silence
            visemes.append(VisemeEvent("sil", _ms(cursor, sample_rate), _ms(start, sample_rate)))
        phonemes.append(PhonemeTiming(unit.symbol, _ms(start, sample_rate), _ms(end, sample_rate), unit.viseme))
        visemes.append(VisemeEvent(unit.viseme, _ms(start, sample_rate), _ms(end, sample_rate)))
        cursor = end
    if cursor < total:
        visemes.append(VisemeEvent("sil", _ms(cursor, sample_rate), _ms(total, sample_rate)))
    words = tuple(
        WordTiming(word, _ms(start, sample_rate), _ms(max(end, start), sample_rate), c0, c1)
        for word, start, end, c0, c1 in word_spans
    )
    return Speech(
        audio=audio,
        sample_rate=sample_rate,
        text=text,
        words=words,
        visemes=tuple(_merge_visemes(visemes)),
        phonemes=tuple(phonemes),
        engine=engine,
        voice=voice,
        language=language,
        sentences=(text,) if text else (),
    )


def _merge_visemes(events: Sequence[VisemeEvent]) -> list[VisemeEvent]:
    """Contiguous, gap-free, without zero-length events, equal neighbours merged."""
    merged: list[VisemeEvent] = []
    for event in events:
        start = merged[-1].end_ms if merged else 0
        end = max(event.end_ms, start)
        if end == start:
            continue
        if merged and merged[-1].viseme == event.viseme:
            merged[-1] = VisemeEvent(event.viseme, merged[-1].start_ms, end)
        else:
            merged.append(VisemeEvent(event.viseme, start, end))
    return merged


def silence(sample_rate: int, seconds: float, engine: str = "", voice: str = "", language: str = "en") -> Speech:
    samples = int(round(seconds * sample_rate))
    audio = np.zeros(samples, dtype=np.int16)
    visemes = (VisemeEvent("sil", 0, _ms(samples, sample_rate)),) if samples else ()
    return Speech(audio, sample_rate, "", (), visemes, (), engine, voice, language)


def concatenate(
    parts: Sequence[Speech], sample_rate: int, engine: str = "", voice: str = "", language: str = "en"
) -> Speech:
    """Join sentence-level Speech objects, shifting every timing by the audio before it."""
    audio_parts = []
    words: list[WordTiming] = []
    visemes: list[VisemeEvent] = []
    phonemes: list[PhonemeTiming] = []
    texts: list[str] = []
    sentences: list[str] = []
    samples = 0
    chars = 0
    for part in parts:
        offset = _ms(samples, sample_rate)
        audio_parts.append(part.audio)
        words += [
            WordTiming(w.word, w.start_ms + offset, w.end_ms + offset, w.char_start + chars, w.char_end + chars)
            for w in part.words
        ]
        visemes += [VisemeEvent(v.viseme, v.start_ms + offset, v.end_ms + offset) for v in part.visemes]
        phonemes += [PhonemeTiming(p.phoneme, p.start_ms + offset, p.end_ms + offset, p.viseme) for p in part.phonemes]
        if part.text:
            texts.append(part.text)
            chars += len(part.text) + 1
            sentences += part.sentences
        samples += len(part.audio)
    audio = np.concatenate(audio_parts) if audio_parts else np.zeros(0, dtype=np.int16)
    voice = next((part.voice for part in parts if part.text and part.voice), voice)
    merged = _merge_visemes(visemes)
    total_ms = _ms(samples, sample_rate)
    if merged and merged[-1].end_ms != total_ms:  # rounding at the joins must not leave a gap at the end
        merged[-1] = VisemeEvent(merged[-1].viseme, merged[-1].start_ms, max(total_ms, merged[-1].start_ms))
    return Speech(
        audio,
        sample_rate,
        " ".join(texts),
        tuple(words),
        tuple(merged),
        tuple(phonemes),
        engine,
        voice,
        language,
        tuple(sentences),
    )


class TTSEngine(ABC):
    """A text-to-speech engine. Subclasses implement `_synthesize_sentence` only."""

    name: str = ""
    voice: str = ""
    sample_rate: int = 22050
    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"

    def __init__(self) -> None:
        # One synthesis at a time per engine: ONNX sessions and libespeak-ng are
        # not meant to be driven from several threads, and 2 cores gain nothing from it.
        self._lock = threading.Lock()

    def check_language(self, language: str | None) -> str:
        code = (language or self.default_language).lower()
        if code not in self.languages:
            raise UnsupportedLanguageError(
                f"TTS engine {self.name!r} (voice {self.voice!r}) cannot speak {language!r}; "
                f"it speaks {', '.join(self.languages)}"
            )
        return code

    @staticmethod
    def check_rate(rate: float) -> float:
        if not (MIN_RATE <= float(rate) <= MAX_RATE):
            raise InvalidRequestError(f"speaking rate {rate} is outside {MIN_RATE}-{MAX_RATE} (1.0 = normal)")
        return float(rate)

    def prepare(self, text: str, language: str | None = None, normalize: bool = True) -> list[str]:
        """Validate and normalise a reply; returns its sentences in speaking order."""
        if not isinstance(text, str):
            raise InvalidRequestError(f"text must be a string, not {type(text).__name__}")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidRequestError(f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS} per request")
        lang = self.check_language(language)
        spoken = normalize_for_speech(text, lang) if normalize else " ".join(text.split())
        return split_sentences(spoken)

    def synthesize(self, text: str, rate: float = 1.0, language: str | None = None, normalize: bool = True) -> Speech:
        """Speak a whole reply: normalised, sentence by sentence, with pauses between sentences."""
        rate = self.check_rate(rate)
        lang = self.check_language(language)
        sentences = self.prepare(text, lang, normalize)
        parts: list[Speech] = []
        for index, sentence in enumerate(sentences):
            if index:
                parts.append(self.pause(rate, lang))
            parts.append(self.synthesize_sentence(sentence, rate, lang))
        return concatenate(parts, self.sample_rate, self.name, self.voice, lang)

    def pause(self, rate: float = 1.0, language: str | None = None) -> Speech:
        language = language or self.default_language
        return silence(self.sample_rate, SENTENCE_PAUSE_S / rate, self.name, self.voice, language)

    def synthesize_sentence(self, sentence: str, rate: float = 1.0, language: str | None = None) -> Speech:
        """Speak one normalised sentence (no normalisation, no splitting); thread-safe."""
        rate = self.check_rate(rate)
        lang = self.check_language(language)
        if not sentence.strip():
            return silence(self.sample_rate, 0.0, self.name, self.voice, lang)
        with self._lock:
            return self._synthesize_sentence(sentence.strip(), rate, lang)

    @abstractmethod
    def _synthesize_sentence(self, sentence: str, rate: float, language: str) -> Speech:
        """Engine-specific synthesis of one sentence, called under the engine lock."""
