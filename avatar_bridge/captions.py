"""Caption text: the reply as written ("Window C13"), aligned to the words the voice speaks ("C thirteen").

The voice reads a normalised form of the reply (voice.normalize), so the
`speech` message's `words` are spoken words. A citizen reading the captions
should see what the card shows, "C13" and "¥120", with the word being spoken
highlighted. `DisplayAligner` maps each sentence's spoken words back to the
reply's written tokens and hands out the written tokens sentence by sentence,
each with the span of spoken words that say it.

Written tokens are whitespace-separated words, except in Chinese, which has no
spaces: there every Han character is a token of its own (punctuation stays with
the character before it, a run of Latin letters or digits such as "C13" stays
one token), so the page can highlight a Chinese word of any length, whether
the voice's word timings come per character or per word ("新生儿").

Alignment: every written token is normalised on its own, and that expected
sequence is matched against the spoken words with difflib, unit by unit (a
word, or one Han character: a spoken "办理" matches the tokens "办" and "理"),
so a context-dependent rewrite somewhere only blurs the highlight locally.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field

from voice.normalize import normalize_for_speech

_LOG = logging.getLogger(__name__)
_WORD = re.compile(r"[^\w]+", re.UNICODE)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
# one written token: a Han character, or a run of anything else up to the next Han character or space; the
# punctuation after it (Chinese or not) is part of it, so "材料：" and "C13，" are one token each
_TOKEN = re.compile(f"[{_HAN}][^\\w\\s]*|[^\\s{_HAN}]+")
_UNIT = re.compile(f"[{_HAN}]|[^\\s{_HAN}]+")
_PARTS = re.compile(f"[{_HAN}]|\\d|[^\\W\\d_]+")  # a Han character, a digit, a run of letters


def _key(word: str) -> str:
    return _WORD.sub("", word.lower())


def _units(word: str) -> list[str]:
    """The keys a word is matched by: itself; or, with Han characters or digits in it, each Han character,
    each run of letters and each digit, so a voice that splits "C13" or "120" differently still matches."""
    key = _key(word)
    if not _HAN_CHAR.search(word) and not any(c.isdigit() for c in key):
        return [key] if key else []
    return [u for run in _UNIT.findall(key) for u in _PARTS.findall(run)]


def written_tokens(text: str) -> list[str]:
    """The reply's tokens as the captions show them (see the module docstring)."""
    out: list[str] = []
    for chunk in text.split():
        if not _HAN_CHAR.search(chunk):
            out.append(chunk)
            continue
        out.extend(_TOKEN.findall(chunk))
    return out


@dataclass
class DisplayAligner:
    """Hands out the reply's written tokens for each spoken sentence, in order; see the module docstring."""

    text: str
    language: str = "en"
    tokens: list[str] = field(init=False)
    _expected: list[tuple[str, int]] = field(init=False)  # (spoken word key, token index)
    _cursor: int = 0  # first position in _expected not yet matched
    _next_token: int = 0  # first token not yet handed out

    def __post_init__(self) -> None:
        self.tokens = written_tokens(self.text)
        self._expected = []
        for index, token in enumerate(self.tokens):
            try:
                spoken = normalize_for_speech(token, self.language)
            except Exception:  # a token the normaliser cannot handle is matched as written
                spoken = token
            for word in spoken.split():
                self._expected.extend((unit, index) for unit in _units(word))

    def take(self, words: list[str], last: bool) -> list[dict] | None:
        """Written tokens for one sentence: [{"word": "C13", "first": 3, "last": 4}] (indices into `words`;
        both null for a token no spoken word says, e.g. a dash). The last sentence takes all remaining tokens.
        None if alignment failed: captions then show the spoken words, and speech goes on regardless."""
        try:
            return self._take(words, last)
        except Exception:
            _LOG.exception("caption alignment failed; captions show the spoken words")
            return None

    def _take(self, words: list[str], last: bool) -> list[dict]:
        units = [(unit, i) for i, w in enumerate(words) for unit in _units(w)]  # (key, spoken word index)
        base = self._cursor
        window = self._expected[base : base + 3 * len(units) + 20]
        matcher = difflib.SequenceMatcher(None, [k for k, _ in units], [k for k, _ in window], autojunk=False)
        token_of: list[int | None] = [None] * len(units)
        for block in matcher.get_matching_blocks():
            for n in range(block.size):
                token_of[block.a + n] = window[block.b + n][1]
                self._cursor = max(self._cursor, base + block.b + n + 1)
        # units the matcher left out belong to the nearest written token before them (else after them)
        known = [t for t in token_of if t is not None]
        previous = known[0] if known else None
        for i, token in enumerate(token_of):
            if token is None:
                token_of[i] = previous
            else:
                previous = token
        if last:
            end = len(self.tokens)
        elif known:
            end = max(known) + 1
        else:
            end = self._next_token
        out = []
        for index in range(self._next_token, end):
            spoken = sorted({units[i][1] for i, t in enumerate(token_of) if t == index})
            out.append({"word": self.tokens[index], "first": spoken[0] if spoken else None,
                        "last": spoken[-1] if spoken else None})  # fmt: skip
        self._next_token = max(self._next_token, end)
        return out
