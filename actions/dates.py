"""Read the date, time and name a citizen says for an appointment.

Citizens say "tomorrow", "next Monday", "3 December", "12/10" or "2026-12-10",
and "10", "10:30", "2 pm", "half past two". Anything we cannot read with
confidence is rejected (None) so the form re-asks instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip


def _month(word: str) -> int | None:
    word = word.lower()
    for i, name in enumerate(MONTHS, start=1):
        if len(word) >= 3 and name.startswith(word):
            return i
    return None


def _future_year(today: dt.date, month: int, day: int) -> dt.date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """A calendar date from everyday words, or None if it cannot be read."""
    t = text.lower().strip()
    t = re.sub(r"[,.!?]", " ", t)
    t = re.sub(r"\b(on|the|for|please|of|i'd like|i would like|let's say|how about)\b", " ", t)
    t = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", t)
    t = re.sub(r"\s+", " ", t).strip()
    if not t:
        return None
    if t in ("today", "this morning", "this afternoon"):
        return today
    if "day after tomorrow" in t:
        return today + dt.timedelta(days=2)
    if "tomorrow" in t:
        return today + dt.timedelta(days=1)
    if "yesterday" in t:
        return today - dt.timedelta(days=1)
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    m = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", t)
    if m:  # month/day as written in English-language UI; year optional
        month, day = int(m[1]), int(m[2])
        if m[3]:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
        return _future_year(today, month, day)
    m = re.search(r"\b(\d{1,2}) ([a-z]+)(?: (\d{4}))?\b", t) or None
    if m and _month(m[2]):
        month, day = _month(m[2]), int(m[1])
        if m[3]:
            try:
                return dt.date(int(m[3]), month, day)  # type: ignore[arg-type]
            except ValueError:
                return None
        return _future_year(today, month, day)  # type: ignore[arg-type]
    m = re.search(r"\b([a-z]+) (\d{1,2})(?: (\d{4}))?\b", t)
    if m and _month(m[1]):
        month, day = _month(m[1]), int(m[2])
        if m[3]:
            try:
                return dt.date(int(m[3]), month, day)  # type: ignore[arg-type]
            except ValueError:
                return None
        return _future_year(today, month, day)  # type: ignore[arg-type]
    for i, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}[a-z]*\b", t):
            ahead = (i - today.weekday()) % 7
            if "next" in t.split() and ahead == 0:
                ahead = 7
            if ahead == 0:
                ahead = 7 if "this" not in t.split() else 0
            return today + dt.timedelta(days=ahead)
    return None


_WORD_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "noon": 12,
}  # fmt: skip


def parse_time(text: str) -> dt.time | None:
    """A clock time from "10", "10:30", "2 pm", "half past two", or None."""
    t = text.lower().strip()
    t = t.replace(".", ":") if re.search(r"\d\.\d\d", t) else t
    t = re.sub(r"\b(a\.m\.|a m)\b", "am", t)
    t = re.sub(r"\b(p\.m\.|p m)\b", "pm", t)
    half = "half past" in t
    for word, value in _WORD_HOURS.items():
        t = re.sub(rf"\b{word}\b", str(value), t)
    m = re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|o'?clock|in the morning|in the afternoon)?\b", t)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    suffix = m[3] or ""
    if "afternoon" in t and hour < 12:
        suffix = "pm"
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    elif not suffix and 1 <= hour <= 6:
        hour += 12  # nobody books an appointment at 3 in the morning
    if half and minute == 0:
        minute = 30
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def clean_name(text: str) -> str | None:
    text = re.sub(r"(?i)^\s*(my name is|my name's|name is|i am|i'm|it's|it is|this is|under|call me)\s+", "", text)
    text = text.strip(" .,!")
    if not 2 <= len(text) <= 60:
        return None
    if not all(ch.isalpha() or ch in " -'·." for ch in text) or not any(ch.isalpha() for ch in text):
        return None
    return " ".join(w[:1].upper() + w[1:] for w in text.split())
