"""Piper neural TTS, in process, with per-phoneme alignments.

Piper (GPL-3.0-or-later, as is this project, see docs/voice.md) runs the voice
ONNX model with onnxruntime. Loaded with `include_alignments=True`, it also
reports how many audio samples each phoneme got; those drive the viseme
timeline. Word timings are not reported by Piper, and espeak-ng merges words
when it phonemises a sentence ("in the" -> "ɪnðə"), so each written word is
phonemised alone and its sounds are matched against the sentence's phoneme
stream (a sequence alignment that tolerates the small differences between a
word said alone and in context).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
from pathlib import Path

import numpy as np

from voice.errors import SynthesisError, UnknownVoiceError
from voice.lexicon import respell
from voice.models import require_model_dir
from voice.tts.base import Speech, TTSEngine, speech_from_units, word_tokens
from voice.visemes import VISEMES, TimedSymbol, merge_symbols, symbol_class

_LOG = logging.getLogger(__name__)
DEFAULT_VOICE = "en_US-joe-medium"
_CHUNK_GAP_S = 0.15  # Piper itself splits rare run-on sentences; a short breath between the pieces


def _sound_chars(phonemes: list[str]) -> list[str]:
    """Only the symbols that are sounds (no stress, length, pauses) — the units words are matched on."""
    out = []
    for symbol in phonemes:
        try:
            if symbol_class(symbol) in VISEMES:
                out.append(symbol)
        except KeyError:
            continue
    return out


class PiperEngine(TTSEngine):
    """Default neural voice: en_US-joe-medium (one US male speaker, 22050 Hz)."""

    name = "piper"

    def __init__(
        self, voice: str | Path = DEFAULT_VOICE, volume: float = 0.9, threads: int = 1, variation: float = 1.0
    ):
        """`variation` scales Piper's sampling noise: 1 is the voice's natural default,
        0 makes synthesis deterministic (same text, same samples), which tests and
        benchmarks that must not flake rely on."""
        super().__init__()
        model_path = self._resolve(voice)
        try:
            self._voice = _load_voice(model_path, threads)
        except Exception as exc:  # onnx/onnxruntime raise their own types for damaged models
            raise SynthesisError(f"cannot load Piper voice {model_path}: {exc}") from exc
        self.voice = model_path.name.removesuffix(".onnx")
        self.sample_rate = int(self._voice.config.sample_rate)
        espeak_voice = str(self._voice.config.espeak_voice or "en")
        self.default_language = espeak_voice.split("-")[0].lower()
        self.languages = (self.default_language,)
        self._volume = volume
        self._base_length_scale = float(self._voice.config.length_scale)
        self._noise_scale = float(self._voice.config.noise_scale) * variation
        self._noise_w_scale = float(self._voice.config.noise_w_scale) * variation

    @staticmethod
    def _resolve(voice: str | Path) -> Path:
        candidate = Path(voice)
        if candidate.suffix == ".onnx" or candidate.is_file():
            if not candidate.is_file() or not Path(f"{candidate}.json").is_file():
                raise UnknownVoiceError(f"Piper voice file {candidate} (and {candidate}.json next to it) not found")
            return candidate.resolve()
        folder = require_model_dir("tts/piper")
        path = folder / f"{voice}.onnx"
        if not path.is_file():
            known = sorted(p.name.removesuffix(".onnx") for p in folder.glob("*.onnx"))
            raise UnknownVoiceError(f"unknown Piper voice {voice!r}; installed: {', '.join(known) or 'none'}")
        return path

    def phoneme_inventory(self) -> list[str]:
        """Every symbol this voice model can be fed (the keys of its phoneme id map)."""
        return sorted(self._voice.config.phoneme_id_map)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one engine per process; the cache is the point
    def _word_sounds(self, word: str) -> tuple[str, ...]:
        phonemes = [p for sentence in self._voice.phonemize(respell(word)) for p in sentence]
        return tuple(_sound_chars(phonemes))

    def _synthesize_sentence(self, sentence: str, rate: float, language: str) -> Speech:
        from piper import SynthesisConfig

        tokens = word_tokens(sentence)
        spoken = sentence
        for word, start, end in reversed(tokens):  # respell right to left so offsets stay valid
            replacement = respell(word)
            if replacement != word:
                spoken = spoken[:start] + replacement + spoken[end:]
        config = SynthesisConfig(
            length_scale=self._base_length_scale / rate,
            noise_scale=self._noise_scale,
            noise_w_scale=self._noise_w_scale,
            volume=self._volume,
        )
        try:
            chunks = list(self._voice.synthesize(spoken, syn_config=config, include_alignments=True))
        except Exception as exc:
            raise SynthesisError(f"Piper failed on {sentence!r}: {exc}") from exc

        audio_parts: list[np.ndarray] = []
        symbols: list[tuple[str, int]] = []
        gap = int(_CHUNK_GAP_S / rate * self.sample_rate)
        for index, chunk in enumerate(chunks):
            if index:
                audio_parts.append(np.zeros(gap, dtype=np.int16))
                symbols.append((" ", gap))
            pcm = chunk.audio_int16_array
            audio_parts.append(pcm)
            alignments = chunk.phoneme_alignments
            if alignments:
                symbols += [(a.phoneme, int(a.num_samples)) for a in alignments]
                drift = len(pcm) - sum(int(a.num_samples) for a in alignments)
                if drift > 0:
                    symbols.append((" ", drift))
                while drift < 0 and symbols:  # alignment longer than the audio: trim from the end
                    symbol, samples = symbols.pop()
                    keep = samples + drift
                    drift = min(0, keep)
                    if keep > 0:
                        symbols.append((symbol, keep))
            else:  # alignment failed inside Piper: spread the sentence evenly over its phonemes
                _LOG.warning("Piper gave no alignments for %r; timing phonemes evenly", sentence)
                per = max(1, len(pcm) // max(1, len(chunk.phonemes)))
                symbols += [(p, per) for p in chunk.phonemes]
                symbols.append((" ", max(0, len(pcm) - per * len(chunk.phonemes))))
        audio = np.concatenate(audio_parts) if audio_parts else np.zeros(0, dtype=np.int16)
        units = merge_symbols(symbols, self.sample_rate, strict=False)
        words = self._align_words(tokens, units)
        return speech_from_units(audio, self.sample_rate, sentence, units, words, self.name, self.voice, language)

    def _align_words(
        self, tokens: list[tuple[str, int, int]], units: list[TimedSymbol]
    ) -> list[tuple[str, int, int, int, int]]:
        """Give every written word the sample span of the sounds it produced."""
        sounds = [u for u in units if u.viseme != "sil"]
        actual = [u.symbol[0] for u in sounds]
        reference: list[str] = []
        owner: list[int] = []
        for index, (word, _, _) in enumerate(tokens):
            chars = self._word_sounds(word)
            reference += chars
            owner += [index] * len(chars)
        spans: list[list[int] | None] = [None] * len(tokens)
        matcher = difflib.SequenceMatcher(None, reference, actual, autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                token = owner[block.a + k]
                act = block.b + k
                span = spans[token]
                spans[token] = [act, act] if span is None else [min(span[0], act), max(span[1], act)]
        _fill_unmatched(spans, len(sounds))
        _claim_leftovers(spans, len(sounds))

        result = []
        previous_end = sounds[0].start if sounds else 0
        for (word, c0, c1), span in zip(tokens, spans, strict=True):
            if span is None or span[0] > span[1]:
                start = end = previous_end
            else:
                start = max(sounds[span[0]].start, previous_end)
                end = max(sounds[span[1]].end, start)
            result.append((word, start, end, c0, c1))
            previous_end = end
        return result


def _load_voice(model_path: Path, threads: int):
    """PiperVoice.load with alignments, but with our own onnxruntime thread settings.

    Piper's loader leaves onnxruntime to pick its thread count (2 here, with
    spinning workers). On a 2-core kiosk that also runs Whisper and the dialogue
    server, one thread measured steadier: a first clause took 110-170 ms with one
    thread while another process kept a core busy, against 70 ms or 200-650 ms
    (bimodal) with two. Sentences after the first are synthesised while the
    first plays, so their extra time is hidden. The
    model is patched in memory to expose per-phoneme sample counts (the
    `w_ceil` tensor), exactly as `PiperVoice.load(include_alignments=True)` does.
    """
    import json

    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(model_path))
    with contextlib.suppress(ValueError):  # ValueError: already patched on disk
        add_alignment_output(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8")))
    return PiperVoice(config=config, session=session)


def _fill_unmatched(spans: list[list[int] | None], n_sounds: int) -> None:
    """Words whose sounds matched nothing share the unclaimed sounds between their neighbours."""
    i = 0
    while i < len(spans):
        if spans[i] is not None:
            i += 1
            continue
        j = i
        while j < len(spans) and spans[j] is None:
            j += 1
        lo = spans[i - 1][1] + 1 if i > 0 and spans[i - 1] else 0
        hi = spans[j][0] - 1 if j < len(spans) and spans[j] else n_sounds - 1
        free = hi - lo + 1
        count = j - i
        for k in range(count):
            if free <= 0:
                spans[i + k] = [lo, lo - 1]  # empty: zero-length word at the boundary
            else:
                a = lo + (free * k) // count
                b = lo + (free * (k + 1)) // count - 1
                spans[i + k] = [a, max(a, b)] if b >= a else [a, a - 1]
        i = j


def _claim_leftovers(spans: list[list[int] | None], n_sounds: int) -> None:
    """Sounds no word claimed (a reduced vowel in context, "tə" for "to") belong to the word before them."""
    filled = [span for span in spans if span is not None and span[0] <= span[1]]
    if not filled:
        return
    filled[0][0] = 0
    for current, following in zip(filled, filled[1:], strict=False):
        current[1] = max(current[1], following[0] - 1)
    filled[-1][1] = n_sounds - 1
