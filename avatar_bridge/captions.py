"""Caption text: the reply as written ("Window C13"), aligned to the words the voice speaks ("C thirteen").

The voice reads a normalised form of the reply (voice.normalize), so the
`speech` message's `words` are spoken words. A citizen reading the captions
should see what the card shows, "C13" and "¥120", with the word being spoken
highlighted. `DisplayAligner` maps each sentence's spoken words back to the
reply's written tokens (whitespace-separated) and hands out the written
tokens sentence by sentence, each with the span of spoken words that say it.

In Chinese a token is one character with the punctuation beside it, or a run
of Latin letters and digits ("D03"): the units the voice's word timings use
(voice/cjk.py), so clients join Chinese tokens without spaces.

Alignment: every written token is normalised on its own, and that expected
word sequence is matched against the spoken words with difflib, so a
context-dependent rewrite somewhere only blurs the highlight locally.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field

from voice.cjk import cjk_tokens, has_cjk
from voice.normalize import normalize_for_speech

_LOG = logging.getLogger(__name__)
_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _key(word: str) -> str:
    return _WORD.sub("", word.lower())


def _written_tokens(text: str) -> list[str]:
    """Caption tokens: whitespace-separated words; in Chinese one character each (with its punctuation) and
    Latin runs whole (voice.cjk), the same units the voice times, so one token lights up per spoken word."""
    return [token for token, _, _ in cjk_tokens(text)] if has_cjk(text) else text.split()


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
        self.tokens = _written_tokens(self.text)
        self._expected = []
        for index, token in enumerate(self.tokens):
            try:
                spoken = normalize_for_speech(token, self.language)
            except Exception:  # a token the normaliser cannot handle is matched as written
                spoken = token
            for word in _written_tokens(spoken):
                if _key(word):
                    self._expected.append((_key(word), index))

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
        keys = [_key(w) for w in words]
        base = self._cursor
        window = self._expected[base : base + 3 * len(keys) + 20]
        matcher = difflib.SequenceMatcher(None, keys, [k for k, _ in window], autojunk=False)
        token_of: list[int | None] = [None] * len(keys)
        for block in matcher.get_matching_blocks():
            for n in range(block.size):
                token_of[block.a + n] = window[block.b + n][1]
                self._cursor = max(self._cursor, base + block.b + n + 1)
        # words the matcher left out belong to the nearest written token before them (else after them)
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
            spoken = [i for i, t in enumerate(token_of) if t == index]
            out.append({"word": self.tokens[index], "first": spoken[0] if spoken else None,
                        "last": spoken[-1] if spoken else None})  # fmt: skip
        self._next_token = max(self._next_token, end)
        return out
