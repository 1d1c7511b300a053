"""Personal data masking for every view and export: ID-card numbers, phone numbers, names given to forms.

Citizens type their phone number or ID-card number into a kiosk, and the appointment form asks for
a name (`appt_name`). Trainers need the wording of a request, not who made it, so views show
placeholders unless an admin explicitly reveals a conversation (which is audited).
"""

from __future__ import annotations

import re

ID_CARD = "[id-card]"
PHONE = "[phone]"
NAME = "[name]"

# Resident ID cards: 18 characters (17 digits + digit or X) or the old 15-digit form.
_ID_RE = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
# Mobile numbers (11 digits from 13x–19x, optionally +86 and spaced/dashed) and landlines (area code + 7–8 digits).
_PHONE_RE = re.compile(
    r"(?<![\d+])(?:\+?86[ -]?)?"
    r"(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|\(?0\d{2,3}\)?[ -]?\d{7,8}|\d{3,4}[ -]\d{4}[ -]?\d{4})(?!\d)"
)


def mask_text(text: str | None, names: set[str] | frozenset[str] = frozenset()) -> str:
    """The text with ID-card numbers, phone numbers and the given names replaced by placeholders."""
    if not text:
        return text or ""
    out = _ID_RE.sub(ID_CARD, text)
    out = _PHONE_RE.sub(PHONE, out)
    for name in sorted((n for n in names if n and len(n.strip()) > 1), key=len, reverse=True):
        out = re.sub(re.escape(name.strip()), NAME, out, flags=re.IGNORECASE)
    return out


def find_personal_data(text: str) -> list[str]:
    """Kinds of personal data found in a text (used to refuse it as a training example)."""
    kinds = []
    if _ID_RE.search(text):
        kinds.append("an ID-card number")
    if _PHONE_RE.search(text):
        kinds.append("a phone number")
    return kinds


NAME_SLOTS = frozenset({"appt_name"})
