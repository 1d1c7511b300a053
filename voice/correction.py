"""Post-recognition correction: map near-misses of knowledge-base names back to the name, only when sure.

Whisper spells what it has rarely heard as something it knows the letters of:
"hukou" comes out as "hooko", "shebao" as "shebo", "provident" as "pravivant",
"property registration" as "proper registration". The dialogue core then sees
a word it never saw in training. This step looks at every span of one to three
transcript words and compares it with the knowledge base's spoken names and
aliases (and their rare words on their own), by spelling and by a coarse
phonetic key, and replaces the span with the knowledge-base term when it is
confident.

The rule (every condition must hold; thresholds chosen on the tuning voices and
the project's own phrases, never on the held-out split):

1. The span is not already a knowledge-base term or word, and the term has at
   least 5 letters (short aliases such as "ID" or "HPF" are too easy to hit).
2. Either (a) the span holds a word that is neither common English (a whole
   word of Whisper's own vocabulary) nor a knowledge-base word, i.e. something
   Whisper made up, and the span's other words are words of the term ("shebo
   *card*" -> "shebao card", never "register a gati" -> "registering a death");
   or (b) the span has as many words as the term, at least one of them exactly
   a word of the term (an anchor: "proper *registration*"), every other word
   resembles its counterpart (spelling similarity >= 0.6) and is not itself a
   knowledge-base word ("pension verification" is never made "pension
   certification"), and the whole span is within 0.85 of the term. A lone common English word ("proper",
   "tension", "hockey") is never changed: plain English stays as heard.
3. Similarity: spelling similarity (1 - edit distance / length, letters only)
   >= 0.75, or phonetic-key similarity >= 0.8 (keys of 3 or more sounds; "sn"
   or "hk" say too little) with spelling similarity >= 0.65.
4. The best term is clearly ahead: its score (mean of the two similarities)
   beats the best term that sounds different (another phonetic key) by at
   least 0.08. Place names Whisper may garble the same way (Shanghai,
   Shenzhen, ...) compete as decoys: when one of them wins or comes close,
   nothing is changed.

Spans are chosen greedily, best score first, without overlaps. Each correction
is reported (original span, term, score) so the bridge can log it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from voice.paths import models_dir

if TYPE_CHECKING:
    from voice.asr import Transcript

_LOG = logging.getLogger(__name__)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\S")
_LETTERS = re.compile(r"[^a-z]")
MIN_TERM_LETTERS = 5
SPELLING_MIN = 0.75
PHONETIC_MIN = 0.8
PHONETIC_SPELLING_MIN = 0.65
ANCHORED_SPELLING_MIN = 0.85
ANCHORED_WORD_MIN = 0.6
MARGIN = 0.08
MAX_SPAN = 3
# Function words and everyday words that appear in aliases ("lost ID card", "open a shop") but say nothing
# about which service is meant: never counted as domain words.
COMMON = set(
    """a after and another age baby bus card change check child children city clean code cross direct e entry
    exit face family first for good health hospital house in life living lost move moving my new no of old one
    open our out pay person personal place proof real rent return s seeing selling service services settle shop
    start stop take temporary title to town travel up getting doctor member citizen harbor flat address the at
    by with from on or is it""".split()
)
# Places citizens name that sound like pinyin service words ("Shanghai" vs "shengyu"): never a correction.
DECOYS = """Shanghai Beijing Shenzhen Guangzhou Hangzhou Chengdu Wuhan Nanjing Tianjin Chongqing Suzhou Xiamen
    Qingdao Dalian Shenyang Harbin Kunming Changsha Zhengzhou Jinan Hefei Fuzhou Macau Taiwan Canada""".split()


def _letters(text: str) -> str:
    return _LETTERS.sub("", text.lower())


_PHONETIC_RULES = [
    (re.compile(r"ph"), "f"),
    (re.compile(r"(zh|ch|tch|dg|j|q)"), "j"),
    (re.compile(r"(sh|x|z)"), "s"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"(ck|c|g|k)"), "k"),
    (re.compile(r"[bp]"), "b"),
    (re.compile(r"[dt]"), "t"),
    (re.compile(r"[fv]"), "f"),
    (re.compile(r"[lr]"), "r"),
    (re.compile(r"[mn]"), "n"),
]


@functools.lru_cache(maxsize=20000)
def phonetic_key(text: str) -> str:
    """A coarse sound skeleton: consonant classes in order, vowels and w/y/h dropped after the start.

    Deliberately forgiving ("hukou", "hooko" and "hucco" all give "hk"), since
    the spelling test and rule 2 keep it from matching real English words.
    """
    word = _letters(text)
    if not word:
        return ""
    head = "a" if word[0] in "aeiouy" else ""
    for pattern, repl in _PHONETIC_RULES:
        word = pattern.sub(repl, word)
    word = (word[0] if word[0] == "h" else "") + re.sub(r"[aeiouywh]", "", word[1:] if word[0] == "h" else word)
    collapsed = re.sub(r"(.)\1+", r"\1", word)
    return head + collapsed


def _distance(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - _distance(a, b) / max(len(a), len(b))


@dataclass(frozen=True)
class Correction:
    heard: str
    term: str
    score: float


@dataclass(frozen=True)
class Corrected:
    text: str
    corrections: tuple[Correction, ...]

    @property
    def changed(self) -> bool:
        return bool(self.corrections)


@dataclass(frozen=True)
class _Target:
    text: str
    letters: str
    key: str
    words: tuple[str, ...]
    decoy: bool = False


@functools.lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """Whole words of Whisper's vocabulary (~25 k): words Whisper knows how to spell, so it meant them."""
    for name in ("tiny.en", "base"):
        path = models_dir() / "asr" / name / "tokenizer.json"
        if path.is_file():
            vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
            return frozenset(k[1:].lower() for k in vocab if k.startswith("Ġ") and k[1:].isalpha())
    _LOG.warning("no Whisper tokenizer under %s: every word counts as unknown to the correction", models_dir())
    return frozenset()


def domain_words(terms: Iterable[str] | None = None) -> set[str]:
    """Words of knowledge-base names and aliases that name a service (certificate, maternity, hukou, ...)."""
    from voice.wer import words_for_scoring

    if terms is None:
        from kb import load_knowledge_base

        terms = load_knowledge_base().vocabulary()
    return {w for t in terms for w in words_for_scoring(t) if w not in COMMON and len(w) > 2}


class Corrector:
    """Replaces confident near-misses of knowledge-base terms in a transcript (see the module docstring)."""

    def __init__(self, terms: Sequence[str], english: frozenset[str] | None = None):
        self.english = common_english() if english is None else english
        vocabulary = [" ".join(t.split()) for t in terms if t.strip()]
        self.kb_words = {w.lower() for t in vocabulary for w in re.findall(r"[A-Za-z]+", t)}
        self.kb_spans = {_letters(t) for t in vocabulary}
        candidates: dict[str, str] = {}
        for term in vocabulary:
            words = term.split()
            if len(words) <= 4 and not any(ch.isdigit() for ch in term):
                candidates.setdefault(_letters(term), term.lower() if not term.isupper() else term)
            for word in re.findall(r"[A-Za-z]+", term):  # rare words alone ("provident", "hukou")
                if word.lower() not in self.english and word.lower() not in COMMON:
                    candidates.setdefault(word.lower(), word.lower())
        self.targets = [
            _Target(text, letters, phonetic_key(text), tuple(w.lower() for w in re.findall(r"[A-Za-z]+", text)))
            for letters, text in candidates.items()
            if len(letters) >= MIN_TERM_LETTERS
        ]
        self.targets += [
            _Target(d, _letters(d), phonetic_key(d), (d.lower(),), decoy=True)
            for d in DECOYS
            if _letters(d) not in candidates
        ]

    @classmethod
    def from_knowledge_base(cls) -> Corrector:
        """Vocabulary from data/ via the KB loader; a broken KB gives a corrector that changes nothing."""
        from kb import KnowledgeBaseError, load_knowledge_base

        try:
            return cls(load_knowledge_base().vocabulary())
        except (KnowledgeBaseError, OSError) as exc:
            _LOG.error("post-recognition correction is off: %s", exc)
            return cls([])

    def _best(self, span: list[str]) -> tuple[_Target, float] | None:
        letters = _letters("".join(span))
        if len(letters) < 3 or letters in self.kb_spans:
            return None
        if len(span) == 1 and letters in self.kb_words:
            return None
        words = [_letters(w) for w in span]
        unknown = [w for w in words if w and w not in self.english and w not in self.kb_words]
        key = phonetic_key(letters)
        scored: list[tuple[float, _Target]] = []
        for target in self.targets:
            longest = max(len(letters), len(target.letters))
            if abs(len(letters) - len(target.letters)) > (1 - PHONETIC_SPELLING_MIN) * longest:
                continue  # cannot reach the spelling floor
            if unknown:
                if not target.decoy and any(w not in target.words for w in words if w not in unknown):
                    continue
            elif not self._anchored(words, target, self.kb_words):
                continue
            spelling = similarity(letters, target.letters)
            if spelling < PHONETIC_SPELLING_MIN:
                continue
            phonetic = similarity(key, target.key)
            if spelling >= SPELLING_MIN or (phonetic >= PHONETIC_MIN and len(target.key) >= 3):
                scored.append(((spelling + phonetic) / 2, target))
        if not scored:
            return None
        scored.sort(key=lambda s: -s[0])
        best_score, best = scored[0]
        if best.decoy:
            return None
        rival = next((s for s, t in scored[1:] if t.key != best.key), 0.0)
        if best_score - rival < MARGIN:
            return None
        return best, best_score

    @staticmethod
    def _anchored(words: list[str], target: _Target, kb_words: set[str]) -> bool:
        if target.decoy or len(words) < 2 or len(words) != len(target.words):
            return False
        pairs = list(zip(words, target.words, strict=True))
        if not any(a == b for a, b in pairs):
            return False
        if any(a != b and a in kb_words for a, b in pairs):
            return False  # a word the knowledge base uses was heard right: "pension verification" stays
        if any(similarity(a, b) < ANCHORED_WORD_MIN for a, b in pairs):
            return False
        return similarity("".join(words), target.letters) >= ANCHORED_SPELLING_MIN

    def correct_transcript(self, transcript: Transcript) -> Transcript:
        """The transcript with its text corrected; what was heard stays in details["heard"]."""
        result = self.correct(transcript.text)
        if not result.changed:
            return transcript
        details = dict(transcript.details)
        details["heard"] = transcript.text
        details["corrections"] = [[c.heard, c.term, c.score] for c in result.corrections]
        return replace(transcript, text=result.text, details=details)

    def correct(self, text: str) -> Corrected:
        tokens = _TOKEN.findall(text)
        word_at = [i for i, tok in enumerate(tokens) if tok[0].isalpha()]
        proposals: list[tuple[float, int, int, _Target]] = []  # (score, first word, last word, term)
        for start in range(len(word_at)):
            for size in range(1, MAX_SPAN + 1):
                end = start + size
                if end > len(word_at):
                    break
                # a span never crosses punctuation: "shebo. Card" is two places
                if word_at[end - 1] - word_at[start] != size - 1:
                    break
                found = self._best([tokens[word_at[i]] for i in range(start, end)])
                if found is not None:
                    proposals.append((found[1], start, end, found[0]))
        taken: set[int] = set()
        chosen: list[tuple[int, int, _Target, float]] = []
        for score, start, end, target in sorted(proposals, key=lambda p: (-p[0], p[1] - p[2])):
            if taken & set(range(start, end)):
                continue
            taken |= set(range(start, end))
            chosen.append((start, end, target, score))
        if not chosen:
            return Corrected(text, ())
        corrections: list[Correction] = []
        replaced = list(tokens)
        for start, end, target, score in sorted(chosen, key=lambda c: -c[0]):
            first, last = word_at[start], word_at[end - 1]
            heard = " ".join(tokens[first : last + 1])
            corrections.append(Correction(heard, target.text, round(score, 3)))
            replaced[first : last + 1] = [target.text]
        corrections.reverse()
        return Corrected(_detokenize(replaced), tuple(corrections))


def _detokenize(tokens: Sequence[str]) -> str:
    out = ""
    for token in tokens:
        if out and not (len(token) == 1 and not token.isalnum() and token not in "(\"'"):
            out += " "
        out += token
    return out


@functools.lru_cache(maxsize=1)
def shared_corrector() -> Corrector:
    """One corrector per process (building it reads the knowledge base and Whisper's vocabulary)."""
    return Corrector.from_knowledge_base()


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Show what the post-recognition correction does to transcripts.")
    parser.add_argument("text", nargs="+", help="transcripts (one per argument)")
    args = parser.parse_args(argv)
    corrector = shared_corrector()
    for text in args.text:
        result = corrector.correct(text)
        print(result.text)
        for c in result.corrections:
            print(f"  {c.heard!r} -> {c.term!r} ({c.score})")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())


__all__ = ["Corrected", "Correction", "Corrector", "domain_words", "phonetic_key", "shared_corrector", "similarity"]
