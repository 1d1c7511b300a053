"""Intent curation: example counts, last-evaluation F1, and warnings a trainer should act on.

Two warnings: intents with too few examples (the classifier cannot learn them reliably), and
examples that look alike across two intents (character 3–5-gram TF-IDF cosine similarity). Near
duplicates with different labels teach the model contradictions; they are usually a mislabel.
The vectors are hashed into a fixed width so a few thousand examples compare in milliseconds.
"""

from __future__ import annotations

import functools
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from kb.languages import BASE_LANGUAGE
from trainer.config import Settings
from trainer.language import file_language
from trainer.nludata import Example, domain_intents, load_examples, nlu_files, norm

_DIM = 1 << 13


@dataclass
class IntentSummary:
    name: str
    examples: int
    f1: float | None  # in the base language (English)
    too_few: bool
    # Per language the project has training data in: examples, last F1, and which languages have too few.
    counts: dict[str, int] = field(default_factory=dict)
    f1_by_language: dict[str, float | None] = field(default_factory=dict)
    too_few_in: list[str] = field(default_factory=list)


@dataclass
class SimilarPair:
    a: Example
    b: Example
    score: float


def _grams(text: str) -> Counter:
    padded = f" {norm(text)} "
    c: Counter = Counter()
    for n in (3, 4, 5):
        for i in range(max(1, len(padded) - n + 1)):
            c[zlib.crc32(padded[i : i + n].encode()) % _DIM] += 1
    return c


def _matrix(grams: list[Counter], idf: dict[int, float], default_idf: float) -> np.ndarray:
    m = np.zeros((len(grams), _DIM), dtype=np.float32)
    for row, c in enumerate(grams):
        for k, v in c.items():
            m[row, k] = (1 + np.log(v)) * idf.get(k, default_idf)
    m /= np.linalg.norm(m, axis=1, keepdims=True).clip(min=1e-9)
    return m


@functools.lru_cache(maxsize=4)
def _corpus(texts: tuple[str, ...]) -> tuple[np.ndarray, dict[int, float], float]:
    """TF-IDF vectors of the training examples (cached: the conversation page compares every turn)."""
    grams = [_grams(t) for t in texts]
    df = Counter(k for c in grams for k in c)
    idf = {k: float(np.log((1 + len(texts)) / (1 + v)) + 1) for k, v in df.items()}
    default_idf = float(np.log(1 + len(texts)) + 1)
    return _matrix(grams, idf, default_idf), idf, default_idf


def _vectors(texts: list[str]) -> np.ndarray:
    return _corpus(tuple(texts))[0]


def similar_pairs(examples: list[Example], threshold: float, limit: int = 100) -> list[SimilarPair]:
    """Pairs of examples under different intents whose wording is nearly the same, most alike first."""
    if len(examples) < 2:
        return []
    m = _vectors([e.text for e in examples])
    sims = m @ m.T
    labels = np.array([e.intent for e in examples])
    mask = (labels[:, None] != labels[None, :]) & np.triu(np.ones_like(sims, dtype=bool), 1) & (sims >= threshold)
    idx = np.argwhere(mask)
    pairs = [SimilarPair(examples[i], examples[j], float(sims[i, j])) for i, j in idx]
    pairs.sort(key=lambda p: p.score, reverse=True)
    return pairs[:limit]


def nearest(examples: list[Example], text: str, top: int = 3) -> list[tuple[Example, float]]:
    """The training examples most like a text (shown beside a message being annotated)."""
    if not examples:
        return []
    m, idf, default_idf = _corpus(tuple(e.text for e in examples))
    sims = m @ _matrix([_grams(text)], idf, default_idf)[0]
    order = np.argsort(-sims)[:top]
    return [(examples[i], float(sims[i])) for i in order]


def data_languages(settings: Settings) -> list[str]:
    """The languages the project has training data in, English first."""
    found = {file_language(p.stem) for p in nlu_files(settings)}
    return [BASE_LANGUAGE, *sorted(found - {BASE_LANGUAGE})]


def intent_summaries(settings: Settings, f1: dict[str, dict[str, float]] | None = None) -> list[IntentSummary]:
    """Every intent with its examples and last F1 per language; an intent is flagged when any language it
    is taught in has fewer than `min_examples` (a model cannot learn Chinese hall hours from English ones)."""
    examples = load_examples(settings)
    counts = Counter(e.intent for e in examples)
    by_lang = Counter((e.intent, e.language) for e in examples)
    langs = data_languages(settings)
    names = list(dict.fromkeys(domain_intents(settings) + sorted(counts)))
    f1 = f1 or {}
    out = []
    for n in names:
        per = {lang: by_lang.get((n, lang), 0) for lang in langs}
        few = [lang for lang in langs if per[lang] < settings.min_examples]
        scores = {lang: f1.get(lang, {}).get(n) for lang in langs}
        out.append(IntentSummary(n, counts.get(n, 0), scores.get(BASE_LANGUAGE), bool(few), per, scores, few))
    return out
