"""Domain biasing for Whisper: a prompt built from the knowledge base's vocabulary.

Whisper has never heard "hukou", "gongjijin" or "housing provident fund" often
enough to spell them; showing them in the decoder prompt makes it far more
likely to. The prompt window is small (at most 223 tokens, and every prompt
token slows decoding a little), while the knowledge base lists hundreds of
names and aliases, so terms are chosen by how much they help: first one phrase
for every word the tokenizer finds rare (split into several pieces), then the
official service names, then the remaining aliases, until the token budget is
spent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

BiasMode = Literal["prompt", "hotwords", "both", "none"]
BIAS_MODES: tuple[str, ...] = ("prompt", "hotwords", "both", "none")
DEFAULT_TOKEN_BUDGET = 150
ZH_STYLE_PROMPT = "以下是普通话的句子。"  # makes Whisper write simplified characters
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
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


def knowledge_base_terms(extra: Iterable[str] = ()) -> list[str]:
    """Hall name, service names and aliases from data/, names first, then `extra`."""
    from kb import load_knowledge_base

    kb = load_knowledge_base()
    return _dedupe([kb.hall.name, *kb.vocabulary(), *extra])


def _dedupe(terms: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for term in terms:
        cleaned = " ".join(term.split())
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


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

    rare_words: dict[str, str] = {}  # rare word -> shortest term containing it
    for term in terms:
        for word in _WORD.findall(term):
            key = word.lower()
            if len(key) >= 4 and count(" " + key) >= 3:
                best = rare_words.get(key)
                if best is None or len(term) < len(best):
                    rare_words[key] = term

    ordered = _dedupe(
        [*rare_words.values(), *(t for t in terms if t.lower() in preferred_keys), *terms]
    )
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
        chosen = select_terms(zh_terms, count_tokens, budget - 12, preferred) if mode != "none" else []
        prompt = ZH_STYLE_PROMPT + ("、".join(chosen) + "。" if chosen else "")
        return Biasing(prompt, "、".join(chosen) or None if mode in ("hotwords", "both") else None, tuple(chosen))
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
