"""English number words, for text normalisation and for scoring transcripts.

Small and dependency-free on purpose: the speech side only needs cardinals,
ordinals, years and digit-by-digit reading, and it must read them the same way
every time so tests and the WER scorer agree with what the voice says.
"""

from __future__ import annotations

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_EXCEPTIONS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _below_thousand(n: int) -> str:
    parts = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if hundreds:
            parts.append("and")
        if rest < 20:
            parts.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            parts.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " ".join(parts)


def cardinal(n: int) -> str:
    """123 -> "one hundred and twenty-three" (British "and", as Harbor City signage reads)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 1000:
        return _ONES[n] if n < 20 else _below_thousand(n)
    parts = []
    for value, name in _SCALES:
        if n >= value:
            count, n = divmod(n, value)
            parts.append(f"{cardinal(count)} {name}")
    if n:
        parts.append(("and " if n < 100 else "") + _below_thousand(n))
    return " ".join(parts)


def ordinal(n: int) -> str:
    """3 -> "third", 21 -> "twenty-first"."""
    words = cardinal(n)
    head, sep, last = words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    if last in _ORDINAL_EXCEPTIONS:
        last = _ORDINAL_EXCEPTIONS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def year(n: int) -> str:
    """2026 -> "twenty twenty-six", 2005 -> "two thousand and five", 1998 -> "nineteen ninety-eight"."""
    if 2000 <= n < 2010 or n < 1000 or n >= 10000:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{cardinal(high)} hundred"
    return f"{cardinal(high)} {'oh ' + _ONES[low] if low < 10 else cardinal(low)}"


def digits(text: str) -> str:
    """ "0571" -> "zero five seven one": phone, ticket and receipt numbers are read digit by digit."""
    return " ".join(_ONES[int(ch)] for ch in text if ch.isdigit())


def decimal(text: str) -> str:
    """ "2.5" -> "two point five"."""
    whole, _, frac = text.partition(".")
    spoken = cardinal(int(whole or "0"))
    return f"{spoken} point {digits(frac)}" if frac else spoken
