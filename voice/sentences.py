"""Split spoken text into sentences, the unit of streaming synthesis.

The first audio of a reply can start as soon as its first sentence is
synthesised, so the split decides time-to-first-audio. A long opening sentence
is therefore cut at its first clause boundary (comma, semicolon, colon) once
it has a few words: the listener hears a natural pause there anyway.
"""

from __future__ import annotations

import re

# A full stop after these is not a sentence end (normalised text keeps "a.m." and "p.m.").
_NO_BREAK_BEFORE = re.compile(r"(?:\b[ap]\.m|\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|e\.g|i\.e))\.$")
_END = re.compile(r"[.!?]+[\"')\]]*\s+|[。！？]+\s*|\n+")
_CLAUSE = re.compile(r"[,;:，；：]\s+|[，；：]")


def split_sentences(text: str) -> list[str]:
    """Sentences in order, each stripped; empty input gives an empty list."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        candidate = text[start : match.end()].strip()
        if match[0].startswith(".") and _NO_BREAK_BEFORE.search(text[start : match.start() + 1]):
            next_char = text[match.end() : match.end() + 1]
            if not next_char.isupper():
                continue
        if candidate:
            sentences.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_first_clause(sentence: str, min_words: int = 3, max_words: int = 8) -> list[str]:
    """Cut a sentence of more than `max_words` words after its first clause of at least `min_words` words.

    A colon ends a clause even after two words: replies often open with a title ("Unemployment insurance
    benefit: A monthly payment ..."), and that title alone is the quickest thing to say first.
    """
    if len(sentence.split()) <= max_words:
        return [sentence]
    for match in _CLAUSE.finditer(sentence):
        head = sentence[: match.end()].strip()
        needed = min(2, min_words) if head.endswith((":", "：")) else min_words
        if len(head.split()) >= needed:
            tail = sentence[match.end() :].strip()
            return [head, tail] if tail else [head]
    return [sentence]


def ends_clause(chunk: str) -> bool:
    """True if a planned chunk ends inside its sentence (at a comma, semicolon or colon), not at a full stop."""
    return bool(chunk) and chunk.rstrip()[-1] in ",;:，；："


def plan_utterances(text: str, first_clause_words: int | None = 8) -> list[str]:
    """Sentences to synthesise one by one; the first may be split for a faster start."""
    sentences = split_sentences(text)
    if sentences and first_clause_words:
        sentences = split_first_clause(sentences[0], max_words=first_clause_words) + sentences[1:]
    return sentences
