"""Chinese text in units a caption can highlight: one character each, Latin runs whole.

Chinese is written without spaces, so "words" for captions and lip-sync timing
need a rule. The app environment has no word segmenter (jieba lives in the Rasa
environment only), and a segmenter's words would differ from espeak-ng's own
dictionary words anyway, so both sides use the unit every reader agrees on: a
character is a syllable is a token. Runs of Latin letters and digits inside
Chinese ("D03", "12345", "App") stay one token, as in English. Punctuation
belongs to the token before it (or, at the start, to the one after it), so the
tokens of a text, joined without spaces, give back the text without its spaces.

The TTS engine times one word per token (voice/tts/espeak_engine.py) and the
bridge's captions hand out the same tokens (avatar_bridge/captions.py), so a
highlighted caption token is exactly one spoken word.
"""

from __future__ import annotations

_OPENING = "“‘「『《〈（【〔([{<¥￥$"  # opening quotes, brackets and currency signs belong to the token after them


def is_cjk(char: str) -> bool:
    """A Chinese character (CJK unified ideographs, extension A, compatibility ideographs)."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def cjk_tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) in order: each Chinese character its own token, Latin/digit runs whole,
    punctuation attached to the token before it (opening quotes and brackets, and any at the start, to
    the one after it); whitespace
    separates tokens and belongs to none."""
    tokens: list[list[int]] = []  # [start, end] of each token
    latin_run = False  # the current token is a Latin/digit run that a following letter or digit extends
    current: list[int] | None = None
    pending: int | None = None  # start of punctuation waiting for the next token
    for index, char in enumerate(text):
        if char.isspace():
            if current is None and pending is not None:
                tokens.append([pending, index])  # punctuation standing alone between spaces ("-")
            current, pending = None, None
            continue
        if not is_cjk(char) and not (char.isalnum() or char == "_"):
            if current is not None and char not in _OPENING:
                current[1] = index + 1
            else:
                current, latin_run = None, False
                pending = index if pending is None else pending
            continue
        if current is not None and latin_run and not is_cjk(char):
            current[1] = index + 1  # "D03", "9:00": a run goes on through letters, digits and inner punctuation
            continue
        current = [pending if pending is not None else index, index + 1]
        tokens.append(current)
        pending = None
        latin_run = not is_cjk(char)
    if current is None and pending is not None:
        tokens.append([pending, len(text)])
    return [(text[a:b], a, b) for a, b in tokens]
