"""Speech recognition of one finished utterance with faster-whisper.

The avatar bridge owns turn detection (Pipecat's VAD and Smart-Turn) and hands
this module a complete utterance; here we only decode it well and quickly:
model loaded once and shared, decode settings exposed for latency tuning,
domain vocabulary in the prompt, and a transcript that says how sure it is.
Calls are serialised per model with a lock, so a server may call from worker
threads (`atranscribe` does that for asyncio code) without oversubscribing the
two CPU cores a kiosk has.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from voice.audio import AudioInput, load_clip
from voice.bias import (
    BIAS_MODES,
    ZH_NAME_BIASING,
    Biasing,
    BiasMode,
    build_biasing,
    chinese_terms,
    knowledge_base_terms,
)
from voice.errors import AudioTooLongError, ModelNotInstalledError, UnsupportedLanguageError
from voice.models import require_model_dir
from voice.whisper_compat import install_window_patch as _install_window_patch
from voice.whisper_compat import window as _window

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16_000
BUNDLED_MODELS = ("base", "tiny.en")
DEFAULT_MODEL = "base"
MAX_NEW_TOKENS = 224  # prompt (<= ~100 tokens) + this must stay below Whisper's 448-token context
# Language following: switch only when Whisper names one of the followed languages with at least this
# probability. Whisper base gives clear speech its language at > 0.9; espeak-ng's robotic Mandarin often
# comes out as Thai or Latin below 0.6 (docs/voice.md), and a wrong switch costs more than a missed one.
FOLLOW_MIN_PROBABILITY = 0.7


@dataclass(frozen=True)
class DecodeOptions:
    """Decoder settings; the defaults favour latency on a 2-core kiosk.

    Beam 1 (greedy) is roughly 30 % faster than beam 5 with a small accuracy
    cost; the temperature fallback re-decodes only when greedy output looks
    like a hallucination (repetitive or very unlikely).
    """

    beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.4)  # one fallback: the full ladder cost up to 2 s, no accuracy
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    word_timestamps: bool = True
    vad_filter: bool = False  # the bridge's VAD already cut the utterance
    encoder_window: Literal["fit", "full"] = "fit"  # see _fit_frames
    hallucination_guard: bool = True  # see drop_hallucinated_tail
    silence_dbfs: float = -45.0  # loudest 30 ms frame below this -> empty transcript, no decoding


@dataclass(frozen=True)
class WordTiming:
    """A recognised word with its position in the utterance (ms) and probability."""

    word: str
    start_ms: int
    end_ms: int
    probability: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    confidence: float  # 0..1, from average log-probability and no-speech probability
    words: tuple[WordTiming, ...]
    duration_ms: int  # length of the audio
    elapsed_ms: int  # time the call took, audio decoding included
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    details: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.text


# --- Short encoder window -------------------------------------------------------------
# Whisper's encoder always sees 30 s of audio: faster-whisper pads every segment to 3000
# mel frames, so a 3 s question costs as much as a 30 s one (~80 % of the decode time on
# a 2-core CPU). CTranslate2 accepts shorter inputs, and with at least 6 s of padding
# after the speech (and a 10 s minimum) accuracy on our round-trip set was unchanged
# while base went from ~660 ms to ~210 ms per question. With less padding Whisper
# starts repeating itself, hence the margins. faster-whisper has no option for this,
# so its pad_or_trim is wrapped (voice/whisper_compat.py): the wrapper pads to a per-thread frame count when a
# Recognizer call set one, and behaves exactly as before otherwise (other users of
# faster-whisper in the same process, e.g. Pipecat's STT service, are unaffected).
FIT_MIN_FRAMES = 1000  # 10 s
FIT_MARGIN_FRAMES = 600  # 6 s
FULL_FRAMES = 3000


def _fit_frames(samples: int) -> int:
    return min(FULL_FRAMES, max(FIT_MIN_FRAMES, samples // 160 + FIT_MARGIN_FRAMES))


_MODEL_CACHE: dict[tuple[str, str, int], WhisperModel] = {}
_MODEL_LOCKS: dict[int, threading.Lock] = {}
_CACHE_LOCK = threading.Lock()


def resolve_model_dir(model: str | Path) -> Path:
    """Bundled name ("base", "tiny.en") -> models/asr/<name>; anything else is a CTranslate2 folder."""
    if isinstance(model, str) and model in BUNDLED_MODELS:
        return require_model_dir(f"asr/{model}")
    path = Path(model).expanduser()
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelNotInstalledError(
            f"{model!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}) "
            "nor a CTranslate2 Whisper folder with model.bin and config.json"
        )
    if not (path / "tokenizer.json").is_file():
        # faster-whisper would fetch a tokenizer from the hub, which kiosks cannot reach.
        raise ModelNotInstalledError(f"{path} has no tokenizer.json; copy it next to model.bin")
    return path.resolve()


def shared_model(model_dir: Path, compute_type: str = "int8", cpu_threads: int = 2) -> WhisperModel:
    """Load a model once per process; every Recognizer on the same folder shares it."""
    key = (str(model_dir), compute_type, cpu_threads)
    with _CACHE_LOCK:
        if key not in _MODEL_CACHE:
            from faster_whisper import WhisperModel

            _MODEL_CACHE[key] = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
            _MODEL_LOCKS[id(_MODEL_CACHE[key])] = threading.Lock()
            _install_window_patch()
        return _MODEL_CACHE[key]


def _loudest_frame_dbfs(samples: np.ndarray, frame: int = 480) -> float:
    if samples.size == 0:
        return -math.inf
    usable = samples[: len(samples) - len(samples) % frame] if len(samples) >= frame else samples
    frames = usable.reshape(-1, frame) if len(usable) >= frame else usable.reshape(1, -1)
    rms = float(np.sqrt(np.max(np.mean(frames.astype(np.float64) ** 2, axis=1))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


class Recognizer:
    """Transcribes finished utterances; create one per model and share it.

    `vocabulary=None` reads service names and aliases from the knowledge base
    (data/services/); pass a list to bias toward other words, or bias="none".
    """

    def __init__(
        self,
        model: str | Path = DEFAULT_MODEL,
        language: str = "en",
        decode: DecodeOptions | None = None,
        bias: BiasMode = "prompt",
        vocabulary: Sequence[str] | None = None,
        max_duration_s: float = 30.0,
        cpu_threads: int = 2,
        compute_type: str = "int8",
        zh_names: bool = ZH_NAME_BIASING,
    ):
        if bias not in BIAS_MODES:
            raise ValueError(f"unknown bias mode {bias!r}; use one of {', '.join(BIAS_MODES)}")
        self.model_name = str(model)
        self.model_dir = resolve_model_dir(model)
        self._model = shared_model(self.model_dir, compute_type, cpu_threads)
        self._lock = _MODEL_LOCKS[id(self._model)]
        self.multilingual = bool(self._model.model.is_multilingual)
        self.language = self._check_language(language)
        self.decode = decode or DecodeOptions()
        self.bias_mode: BiasMode = bias
        self.max_duration_s = max_duration_s
        self._terms: list[str] = list(vocabulary or [])
        self._preferred: list[str] = []
        if vocabulary is None and bias != "none":
            self._terms, self._preferred = knowledge_base_terms()
            if zh_names and self.multilingual:  # Mandarin prompts list Chinese KB names (ZH_NAME_BIASING)
                chinese, short = chinese_terms()
                self._terms, self._preferred = self._terms + chinese, short + self._preferred
        self._biasing: dict[str | None, Biasing] = {}

    def _check_language(self, language: str | None) -> str | None:
        """ "auto" (or None) detects; otherwise a Whisper language code the model knows."""
        if language in (None, "auto"):
            if not self.multilingual:
                return "en"  # an English-only model has nothing to detect
            return None
        code = {"zh-cn": "zh", "cmn": "zh", "mandarin": "zh", "english": "en"}.get(language.lower(), language.lower())
        supported = self._model.supported_languages
        if code not in supported:
            if not self.multilingual:
                raise UnsupportedLanguageError(
                    f"model {self.model_name!r} is English-only; "
                    f"language {language!r} needs the multilingual base model"
                )
            raise UnsupportedLanguageError(f"unknown language {language!r} for Whisper (use en, zh, auto, ...)")
        return code

    def count_tokens(self, text: str) -> int:
        return len(self._model.hf_tokenizer.encode(text, add_special_tokens=False).ids)

    def biasing(self, language: str | None) -> Biasing:
        """The prompt/hotwords used for `language`; cached because building it tokenises hundreds of terms."""
        if language not in self._biasing:
            if self.bias_mode == "none" and language != "zh":
                self._biasing[language] = Biasing.off()
            else:
                self._biasing[language] = build_biasing(
                    self._terms, self.bias_mode, language, self.count_tokens, preferred=self._preferred
                )
        return self._biasing[language]

    def transcribe(
        self,
        audio: AudioInput,
        sample_rate: int | None = None,
        language: str | None = None,
        decode: DecodeOptions | None = None,
        follow: Sequence[str] = (),
        **overrides: object,
    ) -> Transcript:
        """Transcribe one utterance: a PCM16/float array, raw PCM16 bytes, WAV bytes or a file path.

        `language` overrides the recogniser's default for this call ("auto"
        detects); `overrides` replace single DecodeOptions fields (beam_size=5).
        `follow` ("en", "zh"): the citizen may speak any of these; Whisper's language detection picks one
        when it names it with >= FOLLOW_MIN_PROBABILITY, else `language` is kept. `Transcript.language`
        is the language decoded; `details["detected"]` what detection said. English-only models ignore it.
        """
        started = time.perf_counter()
        options = replace(decode or self.decode, **overrides) if overrides else (decode or self.decode)
        lang = self.language if language is None else self._check_language(language)
        clip = load_clip(audio, sample_rate, SAMPLE_RATE)
        duration_ms = round(clip.duration_s * 1000)
        if clip.duration_s > self.max_duration_s:
            raise AudioTooLongError(clip.duration_s, self.max_duration_s)

        if _loudest_frame_dbfs(clip.samples) < options.silence_dbfs:
            elapsed = _ms_since(started)
            return Transcript("", lang or "en", 0.0, (), duration_ms, elapsed, 1.0, 0.0, {"reason": "silence"})

        followed = [self._check_language(code) for code in follow] if self.multilingual else []
        detected: dict[str, object] = {}
        with self._lock:
            _window.frames = _fit_frames(len(clip.samples)) if options.encoder_window == "fit" else None
            try:
                if followed:
                    detected = self._detect(clip.samples)
                    if detected["language"] in followed and detected["probability"] >= FOLLOW_MIN_PROBABILITY:
                        lang = str(detected["language"])
                segments, info = self._decode(clip.samples, lang, options, self.biasing(lang))
            finally:
                _window.frames = None

        kept = [s for s in segments if s.text.strip()]
        all_words = [
            WordTiming(w.word.strip(), round(w.start * 1000), round(w.end * 1000), round(float(w.probability), 4))
            for s in kept
            for w in (s.words or [])
            if w.word.strip()
        ]
        if options.word_timestamps and options.hallucination_guard:
            words_list, dropped = drop_hallucinated_tail(all_words)
            text = _join_words(words_list)
        else:
            words_list, dropped = all_words, []
            text = " ".join(s.text.strip() for s in kept).strip()
        words = tuple(words_list)
        weights = [max(s.end - s.start, 0.01) for s in kept]
        total = sum(weights) or 1.0
        avg_logprob = sum(s.avg_logprob * w for s, w in zip(kept, weights, strict=True)) / total if kept else 0.0
        no_speech = (
            sum(s.no_speech_prob * w for s, w in zip(kept, weights, strict=True)) / total
            if kept
            else max((s.no_speech_prob for s in segments), default=1.0)
        )
        confidence = math.exp(min(avg_logprob, 0.0)) * (1.0 - no_speech) if kept else 0.0
        return Transcript(
            text=text,
            language=info.language,
            confidence=round(confidence, 4),
            words=words,
            duration_ms=duration_ms,
            elapsed_ms=_ms_since(started),
            no_speech_prob=round(no_speech, 4),
            avg_logprob=round(avg_logprob, 4),
            details={
                "language_probability": round(float(info.language_probability), 4),
                "segments": len(kept),
                "dropped": [w.word for w in dropped],
            }
            | ({"detected": detected} if detected else {}),
        )

    def detect_language(self, audio: AudioInput, sample_rate: int | None = None) -> dict[str, object]:
        """Whisper's language identification of one utterance: {"language", "probability", "en", "zh"}
        (the benchmark reports how often it would switch); an English-only model always says English."""
        if not self.multilingual:
            return {"language": "en", "probability": 1.0, "en": 1.0, "zh": 0.0}
        clip = load_clip(audio, sample_rate, SAMPLE_RATE)
        with self._lock:
            _window.frames = _fit_frames(len(clip.samples))
            try:
                return self._detect(clip.samples)
            finally:
                _window.frames = None

    def _detect(self, samples: np.ndarray) -> dict[str, object]:
        """Whisper's language identification (one encoder pass; the caller holds the model lock)."""
        language, probability, ranked = self._model.detect_language(samples)
        scores = dict(ranked)
        return {
            "language": language,
            "probability": round(float(probability), 4),
            "en": round(float(scores.get("en", 0.0)), 4),
            "zh": round(float(scores.get("zh", 0.0)), 4),
        }

    def _decode(
        self, samples: np.ndarray, lang: str | None, options: DecodeOptions, bias: Biasing
    ) -> tuple[list, object]:
        segments, info = self._model.transcribe(
            samples,
            language=lang,
            beam_size=options.beam_size,
            best_of=max(1, options.beam_size),
            temperature=list(options.temperatures),
            no_speech_threshold=options.no_speech_threshold,
            log_prob_threshold=options.log_prob_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            condition_on_previous_text=False,
            initial_prompt=bias.initial_prompt,
            hotwords=bias.hotwords,
            word_timestamps=options.word_timestamps,
            without_timestamps=not options.word_timestamps,
            vad_filter=options.vad_filter,
            max_new_tokens=_max_new_tokens(len(samples) / SAMPLE_RATE),
        )
        return list(segments), info  # the generator decodes lazily: consume it while the lock is held

    async def atranscribe(self, audio: AudioInput, sample_rate: int | None = None, **kwargs: object) -> Transcript:
        """`transcribe` in a worker thread, so an asyncio server keeps serving while Whisper decodes."""
        return await asyncio.to_thread(self.transcribe, audio, sample_rate, **kwargs)  # type: ignore[arg-type]


def _max_new_tokens(duration_s: float) -> int:
    """Cap on generated tokens: fast speech is ~5 tokens/s, so a decoder looping on "." stops early."""
    return min(MAX_NEW_TOKENS, int(12 * duration_s) + 20)


_SENTENCE_END = (".", "?", "!", "。", "？", "！")
_GUARD_MEAN_PROBABILITY = 0.5
_GUARD_FIRST_PROBABILITY = 0.35


def _join_words(words: Sequence[WordTiming]) -> str:
    """Rebuild text from Whisper word pieces: "-stop" and "'s" attach to the word before them."""
    text = ""
    for word in words:
        piece = word.word
        if text and not piece.startswith(("-", "'", "’", ",", ".", "?", "!")) and not _is_cjk(piece[0]):
            text += " "
        text += piece
    return text.strip()


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def _key(words: Sequence[WordTiming]) -> tuple[str, ...]:
    return tuple("".join(ch for ch in w.word.lower() if ch.isalnum()) for w in words)


def drop_hallucinated_tail(words: Sequence[WordTiming]) -> tuple[list[WordTiming], list[WordTiming]]:
    """Remove what Whisper adds after the speech ends; returns (kept, dropped).

    On a clean end of utterance Whisper sometimes keeps talking: the sentence
    again (with zero-length timestamps), or a stray "Thank you." / "Okay." /
    "." that it made up. Measured on synthesised questions these tails have low
    word probabilities (mostly < 0.1) while real last sentences score > 0.8,
    so after the last full sentence a tail is dropped when its mean word
    probability is below 0.5 or its first word's is below 0.35, and a sentence
    that repeats the one before it is dropped outright.
    """
    kept = list(words)
    dropped: list[WordTiming] = []
    # 1. Consecutive repeated sentences ("Where do I ...? Where do I ...?").
    sentences: list[list[WordTiming]] = [[]]
    for word in kept:
        sentences[-1].append(word)
        if word.word.endswith(_SENTENCE_END):
            sentences.append([])
    result: list[list[WordTiming]] = []
    for sentence in sentences:
        if not sentence:
            continue
        if result and _key(sentence) == _key(result[-1]):
            dropped += sentence
            continue
        result.append(sentence)
    # 2. A low-probability tail after the last complete sentence.
    while len(result) > 1:
        tail = result[-1]
        mean = sum(w.probability for w in tail) / len(tail)
        if (
            mean < _GUARD_MEAN_PROBABILITY
            or tail[0].probability < _GUARD_FIRST_PROBABILITY
            or not any(ch.isalnum() for w in tail for ch in w.word)
        ):
            dropped = tail + dropped
            result.pop()
        else:
            break
    return [w for sentence in result for w in sentence], dropped


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
