"""Domain biasing for Whisper: a prompt built from the knowledge base's vocabulary.

Whisper has never heard "hukou", "gongjijin" or "housing provident fund" often
enough to spell them; showing them in the decoder prompt makes it far more
likely to. The prompt window is small (at most 223 tokens, and every prompt
token slows decoding a little), while the knowledge base lists hundreds of
names and aliases, so terms are chosen by how much they help: first one phrase
for every word the tokenizer finds rare (split into several pieces), then the
official service names, then the remaining aliases, until the token budget is
spent.

What the prompt costs and buys was measured on synthesised questions (see
docs/voice.md): on pinyin-heavy questions WER fell from ~18 % to ~6 %, on plain
English ones it stayed within noise, and decoding got ~100 ms slower. A longer
prompt also makes Whisper more likely to invent a tail after the speech, which
`voice.asr.drop_hallucinated_tail` removes.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

_LOG = logging.getLogger(__name__)
BiasMode = Literal["prompt", "hotwords", "both", "none"]
BIAS_MODES: tuple[str, ...] = ("prompt", "hotwords", "both", "none")
DEFAULT_TOKEN_BUDGET = 60  # measured: 150 made base ~60 % slower for no accuracy gain
ZH_STYLE_PROMPT = "以下是普通话的句子。"  # makes Whisper write simplified characters
# Chinese KB names in the Mandarin prompt: off. Measured (`make bench-voice-zh`, docs/benchmarks.md): a few more names
# written, CER unchanged, ~300 ms more per question on the synthesised Mandarin test audio.
ZH_NAME_BIASING = False
ZH_TOKEN_BUDGET = 100  # Chinese costs ~1.5 tokens a character: 60 tokens held only 8 of the 24 short names
_WORD = re.compile(r"[A-Za-z]+")
_PINYIN_INITIALS = "zh ch sh b p m f d t n l g k h j q x r z c s y w".split()
_PINYIN_FINALS = set(
    "a o e i u ai ei ao ou an en ang eng ong er ia ie iao iu ian in iang ing iong ua uo uai ui uan un uang ue "
    "ueng".split()
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Biasing:
    """What the recogniser passes to faster-whisper for one language."""

    initial_prompt: str | None
    hotwords: str | None
    terms: tuple[str, ...]

    @staticmethod
    def off() -> Biasing:
        return Biasing(None, None, ())


def knowledge_base_terms(extra: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(all terms, official service names) from data/: hall name, service names and aliases, then `extra`.

    A knowledge base that fails to load is logged and gives no terms: the guide
    should still hear citizens (unbiased) while staff fix a service file.
    """
    from kb import KnowledgeBaseError, load_knowledge_base

    try:
        kb = load_knowledge_base()
    except (KnowledgeBaseError, OSError) as exc:
        _LOG.error("speech recognition runs without domain biasing: %s", exc)
        return _dedupe(extra), []
    names = [service.name for service in kb.services.values()]
    return _dedupe([kb.hall.name, *kb.vocabulary(), *extra]), names


def chinese_terms() -> tuple[list[str], list[str]]:
    """(Chinese names and aliases, one short name per service) from the knowledge base's Chinese text.

    The short names go first into Mandarin prompts: a Chinese service name costs ~1-2 tokens a
    character, so the official names ("新生儿出生“一件事”") would fill the window with five services,
    while each service's shortest alias (社保卡, 公积金, 户口) lets most of them in. A knowledge base
    without Chinese text gives none.
    """
    from kb import KnowledgeBaseError, load_knowledge_base

    try:
        kb = load_knowledge_base(lang="zh")
    except (KnowledgeBaseError, OSError, ValueError) as exc:
        _LOG.warning("no Chinese names for Mandarin recognition biasing: %s", exc)
        return [], []
    terms = [t for t in _dedupe([kb.hall.name, *kb.vocabulary()]) if _CJK.search(t)]
    short = []
    for service in kb.services.values():
        names = [n for n in service.spoken_names if _CJK.search(n) and len(n) >= 2]
        if names:
            short.append(min(names, key=len))
    return terms, _dedupe(short)


def _dedupe(terms: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for term in terms:
        cleaned = " ".join(term.split())
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


@functools.lru_cache(maxsize=4096)
def is_pinyin(word: str) -> bool:
    """True for toneless pinyin such as "hukou" or "gongjijin" (and a few English words that look like it).

    Pinyin service names are the words Whisper has almost never seen, so they
    go first into the small prompt window.
    """
    word = word.lower()
    if not word.isalpha() or len(word) < 4:
        return False

    def syllables(rest: str) -> bool:
        if not rest:
            return True
        # A syllable without an initial ("an", "ou") only starts a word, and starts with a, e or o.
        bare = [""] if rest == word and rest[0] in "aeo" else []
        for initial in [*bare, *_PINYIN_INITIALS]:
            if not rest.startswith(initial):
                continue
            for size in range(4, 0, -1):
                final = rest[len(initial) : len(initial) + size]
                if len(final) == size and final in _PINYIN_FINALS and syllables(rest[len(initial) + size :]):
                    return True
        return False

    return syllables(word)


def _approx_tokens(text: str) -> int:
    return max(1, round(len(text) / 3.2))


def select_terms(
    terms: Sequence[str],
    count_tokens: Callable[[str], int] | None = None,
    budget: int = DEFAULT_TOKEN_BUDGET,
    preferred: Sequence[str] = (),
) -> list[str]:
    """Pick the most useful terms that fit in `budget` prompt tokens.

    `preferred` (e.g. the official service names) come right after the
    rare-word phrases; without a tokenizer, token counts are estimated.
    """
    count = count_tokens or _approx_tokens
    terms = _dedupe(terms)
    preferred_keys = {p.lower() for p in preferred}

    frequency: dict[str, int] = {}  # pinyin word -> number of terms using it
    for term in terms:
        for word in {w.lower() for w in _WORD.findall(term)}:
            if is_pinyin(word) and min(count(word), count(" " + word)) >= 2:  # "take" is one token: English
                frequency[word] = frequency.get(word, 0) + 1
    # Words named by many aliases ("hukou" in eight) matter most; ties keep knowledge-base order.
    by_use = sorted(frequency, key=lambda w: -frequency[w])

    ordered = _dedupe([*by_use, *(t for t in terms if t.lower() in preferred_keys), *terms])
    chosen: list[str] = []
    used = 0
    for term in ordered:
        cost = count(" " + term + ",")
        if used + cost > budget:
            continue
        chosen.append(term)
        used += cost
    return chosen


def build_biasing(
    terms: Sequence[str],
    mode: BiasMode = "prompt",
    language: str | None = "en",
    count_tokens: Callable[[str], int] | None = None,
    budget: int = DEFAULT_TOKEN_BUDGET,
    preferred: Sequence[str] = (),
) -> Biasing:
    """Turn vocabulary into an initial prompt and/or hotwords for one language.

    English and auto-detect use the Latin-script terms; Mandarin uses the style
    prompt plus any terms written in Chinese characters.
    """
    if mode not in BIAS_MODES:
        raise ValueError(f"unknown bias mode {mode!r}; use one of {', '.join(BIAS_MODES)}")
    if language == "zh":
        zh_terms = [t for t in terms if _CJK.search(t)]
        zh_budget = max(budget, ZH_TOKEN_BUDGET) - 12  # the style prompt takes ~12
        chosen = select_terms(zh_terms, count_tokens, zh_budget, preferred) if mode != "none" else []
        prompt = ZH_STYLE_PROMPT + ("、".join(chosen) + "。" if chosen else "")
        hotwords = ("、".join(chosen) or None) if mode in ("hotwords", "both") else None
        return Biasing(prompt, hotwords, tuple(chosen))
    if mode == "none":
        return Biasing.off()
    latin = [t for t in terms if not _CJK.search(t)]
    chosen = select_terms(latin, count_tokens, budget, preferred)
    if not chosen:
        return Biasing.off()
    listing = ", ".join(chosen)
    prompt = f"Questions at the service centre about {listing}." if mode in ("prompt", "both") else None
    hotwords = listing if mode in ("hotwords", "both") else None
    return Biasing(prompt, hotwords, tuple(chosen))
