"""Typed near-misses of the knowledge base's own words, read as those words before a service is resolved.

Citizens type on phones and kiosk keyboards: "paspport renewel", "want to get marreid", "registr a compny".
The model's character n-grams cope with that for the intent, but the resolver's evidence does not: an exact
name is missed, TF-IDF sees an unknown word and the sentence encoder's sub-words drift. So a word is read as
a knowledge-base word when, and only when:

- it is not a word already (an English word of Debian's word lists, or a word of the knowledge base), is
  alphabetic and has at least MIN_LETTERS letters ("wat", "hk" are left alone): "purse" is never made
  "nurse", nor "plant" "plan";
- exactly one knowledge-base word is nearest to it, at one edit (a wrong, missing, extra or swapped letter)
  for words under LONG_WORD letters and at most two edits from LONG_WORD letters on.

Only the resolver's copy of the text changes: what the citizen typed stays in the conversation. English
only; Chinese input methods produce real characters, not misspellings. Candidates come from a deletion
index (the SymSpell idea), so a message costs microseconds, not a scan of the vocabulary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

log = logging.getLogger(__name__)

MIN_LETTERS = 5
LONG_WORD = 8
# A word with an apostrophe ("shouldn't", "driver's") is one word, and left alone: "shouldn" is no typo.
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


def osa_distance(a: str, b: str, limit: int) -> int:
    """Edits between a and b (substitution, insertion, deletion, adjacent swap); limit + 1 if above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


def _deletes(word: str, n: int) -> set[str]:
    out = {word}
    for k in range(1, n + 1):
        out |= {"".join(c for i, c in enumerate(word) if i not in drop) for drop in combinations(range(len(word)), k)}
    return out


def _allowed(word: str) -> int:
    return 1 if len(word) < LONG_WORD else 2


class Speller:
    """Corrects words to the knowledge base's vocabulary (see the module docstring)."""

    def __init__(self, targets: Iterable[str], known: Iterable[str] = ()) -> None:
        self.targets = {w.lower() for w in targets if w.isalpha() and len(w) >= MIN_LETTERS - 1}
        self.known = self.targets | {w.lower() for w in known}
        self._index: dict[str, set[str]] = {}
        for target in self.targets:
            for key in _deletes(target, 2 if len(target) >= LONG_WORD - 1 else 1):
                self._index.setdefault(key, set()).add(target)

    def word(self, word: str) -> str | None:
        """The one knowledge-base word this unknown word misspells, or None."""
        w = word.lower()
        if len(w) < MIN_LETTERS or not w.isalpha() or w in self.known:
            return None
        limit = _allowed(w)
        near: dict[str, int] = {}
        for key in _deletes(w, limit):
            for target in self._index.get(key, ()):
                if target not in near:
                    near[target] = osa_distance(w, target, limit)
        near = {t: d for t, d in near.items() if d <= limit and d <= _allowed(t)}
        if not near:
            return None
        best = min(near.values())
        closest = [t for t, d in near.items() if d == best]
        return closest[0] if len(closest) == 1 else None

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self.word(m.group(0)) or m.group(0), text)


def knowledge_base_words(kb: object) -> set[str]:
    """Every word of the knowledge base's citizen-facing text about services."""
    texts: list[str] = []
    for s in kb.services.values():  # type: ignore[attr-defined]
        texts += [s.name, s.summary, *s.aliases, *s.keywords, *s.situations, *(s.eligibility or [])]
    return {w.lower() for t in texts for w in _WORD.findall(t) if w.isalpha()}


WORD_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"))


def english_words(paths: Iterable[Path] = WORD_LISTS) -> set[str]:
    """Debian's word lists (wamerican, wbritish; scripts/apt-packages.txt): words that are already words."""
    found: set[str] = set()
    for path in paths:
        try:
            found |= {w.lower() for w in path.read_text(encoding="utf-8").split() if w.isalpha()}
        except OSError:
            continue
    return found


def speller_for(kb: object) -> Speller | None:
    """The English speller for this knowledge base; None (no correction) without a word list or in Chinese."""
    if getattr(kb, "lang", "en") != "en":
        return None
    english = english_words()
    if not english:
        log.warning("no English word list in %s: typed misspellings are not corrected", [str(p) for p in WORD_LISTS])
        return None
    return Speller(knowledge_base_words(kb), english)
