"""Word error rate with the normalisation the project scores transcripts by.

Whisper writes "B12", "9 a.m.", "licence" or "license" as it likes; none of
that is a recognition error for the guide, so reference and hypothesis are
both reduced to lower-case spoken words (numbers and codes expanded the same
way the TTS says them, US/UK spellings unified, punctuation dropped) before
the edit distance is counted. Mandarin has no spaces between words, so it is
scored by character (`cer`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from voice.normalize import SPELLED_ACRONYMS, normalize_for_speech

# Spelling variants that are the same word to a listener (keys are folded into values).
_VARIANTS = {
    "licence": "license",
    "licences": "licenses",
    "enrol": "enroll",
    "enrolment": "enrollment",
    "centre": "center",
    "harbour": "harbor",
    "programme": "program",
    "cheque": "check",
    "okay": "ok",
    "whats": "what's",
}
_CONTRACTIONS = {
    "what's": "what is",
    "where's": "where is",
    "it's": "it is",
    "i'm": "i am",
    "can't": "cannot",
    "don't": "do not",
    "i'd": "i would",
    "i've": "i have",
    "that's": "that is",
    "there's": "there is",
}


_ACRONYMS = {acronym.lower(): " ".join(acronym.lower()) for acronym in SPELLED_ACRONYMS}


def words_for_scoring(text: str) -> list[str]:
    text = re.sub(r"\b([A-Za-z])(\d{1,2})\b", r"\1 \2", text)  # "c5" as Whisper writes "window C five"
    spoken = normalize_for_speech(text).lower()
    spoken = spoken.replace("a.m.", "am").replace("p.m.", "pm").replace("a.m", "am").replace("p.m", "pm")
    spoken = re.sub(r"[‘’`]", "'", spoken)
    tokens = re.findall(r"[a-z0-9']+", spoken.replace("-", " "))
    out: list[str] = []
    for token in tokens:
        token = token.strip("'")
        token = _VARIANTS.get(token, token)
        out += _ACRONYMS.get(token, _CONTRACTIONS.get(token, token)).split()
    return [t for t in out if t]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


@dataclass(frozen=True)
class WerResult:
    errors: int
    words: int

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0


def wer(pairs: Iterable[tuple[str, str]]) -> WerResult:
    """Corpus WER over (reference, hypothesis) pairs: total edits / total reference words."""
    errors = words = 0
    for reference, hypothesis in pairs:
        ref = words_for_scoring(reference)
        errors += edit_distance(ref, words_for_scoring(hypothesis))
        words += len(ref)
    return WerResult(errors, words)


def chars_for_scoring(text: str) -> list[str]:
    """Mandarin is scored by character: full-width forms folded (NFKC), punctuation and spaces dropped,
    Latin letters lower-cased; every remaining character (汉字, letter, digit) counts as one."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [ch for ch in folded if ch.isalnum()]


def cer(pairs: Iterable[tuple[str, str]]) -> WerResult:
    """Corpus character error rate over (reference, hypothesis) pairs (`.wer` is the rate; `.words` counts
    reference characters)."""
    errors = chars = 0
    for reference, hypothesis in pairs:
        ref = chars_for_scoring(reference)
        errors += edit_distance(ref, chars_for_scoring(hypothesis))
        chars += len(ref)
    return WerResult(errors, chars)
