"""The password policy (OWASP ASVS 5.0 V6.2): long enough, not common, not about this account.

No composition rules (no "one digit and one symbol"): length and a refusal of well-known passwords
protect better and let trainers use passphrases. The list of common passwords ships with the code
(`common_passwords.txt`, one a line, compared without case), so the check works offline; a password
is also refused when it is a listed one with digits or symbols stuck on the end ("password2024!"),
a run of one character, a digit or keyboard sequence, or when it contains the user name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12  # ASVS asks for at least 8 and recommends 15; 12 is the trainer's compromise, see the docs
MAX_LENGTH = 256  # ASVS asks that at least 64 be allowed; the cap only keeps hashing bounded
LIST = Path(__file__).with_name("common_passwords.txt")
CONTEXT_WORDS = ("lobbyguide", "lobby guide", "lobby-guide", "lobby_guide")
_SEQUENCES = ("0123456789", "9876543210", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


class WeakPassword(ValueError):
    """The password breaks the policy; the message says how, and is shown to the user as is."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def _is_sequence(text: str) -> bool:
    if len(set(text)) <= 2:
        return True
    return any(text in seq * 3 for seq in _SEQUENCES)


def check(password: str, username: str = "") -> None:
    """Raise WeakPassword with a reason if `password` breaks the policy; return None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_LENGTH} characters (a few words make a good one)")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"passwords may have at most {MAX_LENGTH} characters")
    low = password.lower()
    common = common_passwords()
    stem = re.sub(r"[\d\W_]+$", "", low)
    if low in common or stem in common or low.replace(" ", "") in common:
        raise WeakPassword("that password is on the list of commonly used passwords; choose another")
    if _is_sequence(low):
        raise WeakPassword("that password is a run or a sequence of characters; choose another")
    name = username.lower()
    if len(name) >= 4 and name in low:
        raise WeakPassword("the password must not contain the user name")
    if any(w in low for w in CONTEXT_WORDS):
        raise WeakPassword("the password must not contain the name of this service")
