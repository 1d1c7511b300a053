"""What counts as a citizen's personal data, and how it is masked: one set of rules for every Python here.

The Rasa tracker store (nlu/masked_tracker_store.py, Python 3.10, Rasa's env), the trainer's views
(trainer/masking.py, the app env) and the action server all mask with these rules, so what is hidden in
the database and what is hidden on a trainer's screen cannot drift apart. Standard library only, because
the three environments share no third-party package we could rely on.

Detected: PRC resident ID-card numbers (18 characters, the last a digit or X, also written 6-8-4 with
spaces or dashes; the old 15-digit form), phone numbers (Chinese mobiles, landlines with an area code,
+86 or any other international number written with a leading "+"), and names: the values given to the
name slots (`appt_name`) and to PERSON-type entities, which the caller passes in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

ID_CARD = "[id-card]"
PHONE = "[phone]"
NAME = "[name]"
PLACEHOLDERS = frozenset({ID_CARD, PHONE, NAME})

# Slots whose values are a person's name, and entity types that carry one (none are trained today;
# a PERSON extractor added later is masked from its first day).
NAME_SLOTS = frozenset({"appt_name"})
PERSON_ENTITIES = frozenset({"PERSON", "person", "name", "appt_name"})

# 18 characters (17 digits + digit or X), optionally grouped 6-8-4, or the old 15-digit form.
_ID_RE = re.compile(r"(?<![\dA-Za-z])(?:\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx]|\d{15})(?![\dA-Za-z])")
# Mobiles (11 digits from 13x-19x, optionally +86 and spaced/dashed), landlines (area code + 7-8 digits),
# and any number written internationally: "+" then 8-15 digits in groups.
_PHONE_RE = re.compile(
    r"(?<![\d+])(?:"
    r"(?:\+?86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|\(?0\d{2,3}\)?[ -]?\d{7,8}|\d{3,4}[ -]\d{4}[ -]?\d{4})"
    r"|\+\d{1,3}(?:[ -]?\(?\d{2,4}\)?){2,5}"
    r")(?!\d)"
)
_LATIN = re.compile(r"[A-Za-z]")


def _name_pattern(name: str) -> re.Pattern[str]:
    """A name as a whole word when it is written in Latin letters ("Li" must not hide "appLIcation")."""
    escaped = re.escape(name)
    if _LATIN.match(name[0]) and _LATIN.match(name[-1]):
        escaped = rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
    return re.compile(escaped, re.IGNORECASE)


def usable_names(names: Iterable[str]) -> list[str]:
    """Names worth masking, longest first ("Wang Fang" before "Wang"); placeholders and 1-letter values skipped."""
    seen = {n.strip() for n in names if isinstance(n, str)}
    return sorted((n for n in seen if len(n) > 1 and n not in PLACEHOLDERS), key=len, reverse=True)


def mask_text(text: str | None, names: Iterable[str] = ()) -> str:
    """The text with ID-card numbers, phone numbers and the given names replaced by placeholders."""
    if not text:
        return text or ""
    out = text
    for name in usable_names(names):  # first: a name slot may hold a whole answer, numbers included
        out = _name_pattern(name).sub(NAME, out)
    out = _ID_RE.sub(ID_CARD, out)
    return _PHONE_RE.sub(PHONE, out)


def mask_value(value: Any, names: Iterable[str] = (), keep: frozenset[str] = frozenset()) -> Any:
    """Every string inside a JSON-like value masked; mapping keys, and the top-level values under `keep`, untouched.

    `keep` applies at the top only: an event's "name" is an action or slot name, a card's "name" is a person's.
    """
    names = usable_names(names)
    if isinstance(value, Mapping):
        return {k: (v if k in keep else _mask(v, names)) for k, v in value.items()}
    return _mask(value, names)


def _mask(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, names)
    if isinstance(value, Mapping):
        return {k: _mask(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, names) for v in value]
    return value


def find_personal_data(text: str) -> list[str]:
    """Kinds of personal data found in a text (used to refuse it as a training example)."""
    kinds = []
    if _ID_RE.search(text):
        kinds.append("an ID-card number")
    if _PHONE_RE.search(text):
        kinds.append("a phone number")
    return kinds


def ending(value: str, digits: int = 4) -> str:
    """The last characters of a number, for a read-back that confirms without repeating it ("ending in 1234")."""
    kept = re.sub(r"[^\dXx]", "", value)
    return kept[-digits:]
