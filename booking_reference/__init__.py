"""Appointment references: short, unambiguous when read aloud or off a screen, and found again in speech.

A reference is 3 + 3 symbols, written `K7M-4PA`, from an alphabet of 10 letters and 5 digits chosen so that
no two look alike (no 0/O, 1/I/L, 2/Z, 5/S, 8/B) and few sound alike when spoken (one "ee" letter, P; no
M/N pair). Every reference has at least one letter and one digit, so it is never an English word.
15^6 = 11 million references; the store draws them at random and retries on the rare collision.

Parsing is forgiving on purpose: a citizen may type `k7m4pa`, a USB QR scanner types the confirmation's
QR content (`.../checkin/K7M-4PA`), and speech recognition writes "k seven m four papa alpha" or
"K7M for PA". `candidates()` returns every 6-symbol window of the message that could be a reference;
the caller looks them up, so a stray "a" or "for" next to the reference costs nothing.

Standard library only: the action server issues and reads references, the model reads a message with one as a
check-in (nlu/check_in_reference.py) and the bridge serves the confirmation's check-in link, each in its own
environment, all from this one definition.
"""

from __future__ import annotations

import re
import secrets

LETTERS = "AFHKMPRWXY"
DIGITS = "34679"
ALPHABET = LETTERS + DIGITS
LENGTH = 6

# Words speech recognition (or a citizen) uses for one symbol: letter names, homophones, NATO words.
SPOKEN = {
    **{c.lower(): c for c in ALPHABET},
    "ay": "A", "eh": "A", "alpha": "A", "alfa": "A",
    "ef": "F", "eff": "F", "foxtrot": "F",
    "aitch": "H", "haitch": "H", "hotel": "H",
    "kay": "K", "kilo": "K",
    "em": "M", "mike": "M",
    "pee": "P", "pea": "P", "papa": "P",
    "ar": "R", "are": "R", "romeo": "R",
    "doubleu": "W", "double-u": "W", "whiskey": "W", "whisky": "W",
    "ex": "X", "xray": "X", "x-ray": "X",
    "why": "Y", "yankee": "Y",
    "three": "3", "tree": "3",
    "four": "4", "for": "4", "fore": "4",
    "six": "6",
    "seven": "7",
    "nine": "9", "niner": "9",
}  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z]+)?")


# Words without which a message is no check-in, whatever the language model made of "record check" or
# "daiyu renzheng": a check-in speaks of an appointment, a booking, a reference or being here. The model's
# own check-in reading (nlu/check_in_reference.py) uses them too, so they live beside the format.
CHECK_IN_SIGNS = re.compile(
    r"\b(check(ing)?[\s-]*(me\s+)?in|appointments?|book(ing|ed)?|reservations?|reference|code|qr|scan\w*|arriv\w*|here)\b"
    r"|预约|签到|报到|约|码|到了",
    re.IGNORECASE,
)


def new_reference() -> str:
    """A random reference, `K7M-4PA` (the store checks it is unused)."""
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if is_valid(raw):
            return format_reference(raw)


def is_valid(raw: str) -> bool:
    return (
        len(raw) == LENGTH
        and all(c in ALPHABET for c in raw)
        and any(c in LETTERS for c in raw)
        and any(c in DIGITS for c in raw)
    )


def format_reference(raw: str) -> str:
    return f"{raw[:3]}-{raw[3:]}"


def normalise(text: str) -> str | None:
    """`k7m4pa`, `K7M 4PA`, `K7M-4PA` -> `K7M-4PA`; None if it is not exactly one reference."""
    raw = re.sub(r"[\s-]", "", text or "").upper()
    return format_reference(raw) if is_valid(raw) else None


def _readings(token: str) -> list[str]:
    """The symbols one word may stand for: a spoken name ("kay" -> K), a run of symbols ("K7M"), or both.

    Some words are both: "kay", "why", "papa", "ay" and "ar" are letter names and also three, two or four
    symbols of a typed reference ("kay 67m" is KAY-67M), so both readings are kept and looked up.
    """
    readings = [SPOKEN[token]] if token in SPOKEN else []
    plain = token.upper().replace("-", "")
    if plain.isalnum() and all(c in ALPHABET for c in plain):
        readings.append(plain)
    return list(dict.fromkeys(readings))


MAX_READINGS = 64  # alternatives per run of symbol words; a message is never that ambiguous in practice


def candidates(text: str) -> list[str]:
    """Every formatted reference the message may contain, most likely first (whole tokens before windows)."""
    found: list[str] = []
    text = (text or "").lower().replace("double u", "doubleu").replace("x ray", "xray")
    direct = normalise(text.strip())
    if direct:
        found.append(direct)
    for match in re.finditer(r"checkin/([a-z0-9-]{6,8})", text):  # a scanned confirmation QR code (URL)
        ref = normalise(match.group(1))
        if ref:
            found.append(ref)
    alternatives: list[str] = [""]
    runs: list[str] = []
    for token in _TOKEN.findall(text):
        readings = _readings(token)
        if not readings:
            runs.extend(a for a in alternatives if a)
            alternatives = [""]
        else:
            alternatives = [a + r for a in alternatives for r in readings][:MAX_READINGS]
    runs.extend(a for a in alternatives if a)
    for run in runs:
        for start in range(0, len(run) - LENGTH + 1):
            raw = run[start : start + LENGTH]
            if is_valid(raw):
                found.append(format_reference(raw))
    return list(dict.fromkeys(found))


def spoken(reference: str) -> str:
    """How the guide reads a reference aloud: symbol by symbol, the two halves apart."""
    first, second = reference.split("-")
    return f"{' '.join(first)}, {' '.join(second)}"
