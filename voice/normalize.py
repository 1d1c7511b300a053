"""Rewrite reply text into what the voice should literally say.

Replies are written for the screen ("Window B12, 9:00–17:00, ¥30, see
https://..."); a TTS voice reading that verbatim says "B one two", "nine
colon zero zero" or spells out a URL. Every rule here turns one written
convention of the service hall into words, in an order that keeps rules from
fighting (phone numbers before ranges, money before plain numbers). Both TTS
engines and the WER scorer use it, so what is tested is what is spoken.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from voice import numbers

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_ABBR = {m[:3].lower(): m for m in MONTHS} | {"sept": "September"}
DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# Written abbreviations and how they are said. Keys are matched as whole words, case-sensitively.
ABBREVIATIONS = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "approx.": "approximately",
    "vs.": "versus",
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "St.": "Street",
    "Rd.": "Road",
    "Ave.": "Avenue",
    "Tel.": "telephone",
    "tel.": "telephone",
    "mins": "minutes",
    "min.": "minutes",
    "hrs": "hours",
    "km": "kilometres",
    "No.": "number",
    "no.": "number",
    "Nos.": "numbers",
}
# Acronyms said letter by letter; hyphens keep them one word for captions and word timings.
SPELLED_ACRONYMS = ("ID", "QR", "HPF", "SSC", "IIT", "HK", "SMS", "ATM", "PDF", "USB", "SS", "EMS", "APP")
_LETTER_NAMES = {"A": "eh"}  # a lone "A" is read as the article "uh"; every other capital reads as its name
URL_PHRASE = "the web address on the screen"
EMAIL_PHRASE = "the email address on the screen"

_DASH = r"\s*(?:-|–|—|~|to)\s*"
_TIME = r"(?P<{n}h>[01]?\d|2[0-3])[:：](?P<{n}m>[0-5]\d)"
_RANGE_TIMES = re.compile(_TIME.format(n="a") + _DASH + _TIME.format(n="b"))
_SINGLE_TIME = re.compile(r"(?<![\d:])" + _TIME.format(n="a") + r"(?![\d:])")
_URL = re.compile(
    r"\b(?:https?://|www\.)\S*[^\s.,;:!?)\]。，]|\b[\w-]+(?:\.[\w-]+)*\.(?:gov|com|org|net|cn|edu|example)(?:\.[a-z]{2})?(?:/\S*)?\b"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_DAY_MONTH = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[A-Z][a-z]{2,8})\.?(?:,?\s+(?P<y>\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4})\b)?")
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[\s-]?)?(?:\(?\d{2,4}\)?[\s-])?\d{3,4}[\s-]\d{4}(?!\w|\.\d)"  # 0571-8888 1234
    r"|(?<![\w.])1\d{10}(?!\w|\.\d)"  # mobile 13800138000
)
_DIGIT_CONTEXT = re.compile(
    r"\b(?P<ctx>(?:hotline|call|phone|telephone|tel|dial|ticket|queue|receipt|reference|number|code|pin|"
    r"application|tracking)(?:\s+(?:number|no\.?|is|on|at))?[:#]?\s*)(?P<num>\d{3,})\b",
    re.IGNORECASE,
)
_TICKET = re.compile(r"\b(?P<l>[A-Z])(?P<n>\d{3,})\b")
_WINDOW = re.compile(r"\b(?P<l>[A-Z])(?P<n>\d{1,2})\b")
_AMOUNT = r"(?P<amt>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"  # "1,200.50" but not "30," in "¥30, and"
_MONEY_PREFIX = re.compile(r"(?P<cur>¥|￥|\$|€|£|RMB|CNY)\s?" + _AMOUNT)
_MONEY_SUFFIX = re.compile(r"\b" + _AMOUNT + r"\s?(?P<cur>RMB|CNY|yuan|元|块)(?![A-Za-z])")
_CURRENCY_NAMES = {
    "¥": "yuan",
    "￥": "yuan",
    "RMB": "yuan",
    "CNY": "yuan",
    "yuan": "yuan",
    "元": "yuan",
    "块": "yuan",
    "$": "dollars",
    "€": "euros",
    "£": "pounds",
}
_ORDINAL = re.compile(r"\b(?P<n>\d+)(?:st|nd|rd|th)\b")
_NUM_RANGE = re.compile(r"\b(?P<a>\d+)\s*(?:-|–|—|~)\s*(?P<b>\d+)\b")
_DAY_RANGE = re.compile(
    r"\b(?P<a>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?\s*(?:-|–|—|to)\s*"
    r"(?P<b>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\b\.?"
)
_PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s?%")
_NUMBER = re.compile(r"(?<![\w.])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?P<f>\.\d+)?(?![\w])")
_BULLET = re.compile(r"^\s*(?:[-*•·▪●]|\d{1,2}[.)]|[a-z][.)])\s+(?P<item>.+)$")
_FLOOR = re.compile(r"\b(?P<n>\d{1,2})\s?/?F\b")


def _spoken_time(hour: int, minute: int, with_period: bool = True) -> str:
    if hour == 12 and minute == 0:
        return "twelve noon"
    if hour == 0 and minute == 0:
        return "midnight"
    period = "a.m." if hour < 12 else "p.m."
    h12 = hour % 12 or 12
    if minute == 0:
        words = numbers.cardinal(h12)
    elif minute < 10:
        words = f"{numbers.cardinal(h12)} oh {numbers.cardinal(minute)}"
    else:
        words = f"{numbers.cardinal(h12)} {numbers.cardinal(minute)}"
    return f"{words} {period}" if with_period else words


def _time_range(match: re.Match[str]) -> str:
    a_h, a_m = int(match["ah"]), int(match["am"])
    b_h, b_m = int(match["bh"]), int(match["bm"])
    same_half = (a_h < 12) == (b_h < 12) and not (b_h == 12 and b_m == 0)
    start = _spoken_time(a_h, a_m, with_period=not same_half or a_h == 12)
    return f"{start} to {_spoken_time(b_h, b_m)}"


def _date(day: int, month: int, year_: str | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{MONTHS[month - 1]} {numbers.ordinal(day)}"
    return f"{spoken}, {numbers.year(int(year_))}" if year_ else spoken


def _month_number(name: str) -> int | None:
    key = name.lower().rstrip(".")
    full = _MONTH_ABBR.get(key[:4] if key.startswith("sept") else key[:3])
    if full is None or not full.lower().startswith(key[:3]) or (len(key) > 3 and not full.lower().startswith(key)):
        return None
    return MONTHS.index(full) + 1


def _sub_dates(text: str) -> str:
    def iso(m: re.Match[str]) -> str:
        return _date(int(m["d"]), int(m["m"]), m["y"]) or m[0]

    def day_month(m: re.Match[str]) -> str:
        month = _month_number(m["mon"])
        return (_date(int(m["d"]), month, m["y"]) or m[0]) if month else m[0]

    text = _ISO_DATE.sub(iso, text)
    text = _DAY_MONTH.sub(day_month, text)
    return _MONTH_DAY.sub(day_month, text)


def _money(match: re.Match[str]) -> str:
    amount = match["amt"].replace(",", "")
    unit = _CURRENCY_NAMES[match["cur"]]
    whole, _, cents = amount.partition(".")
    spoken = f"{numbers.cardinal(int(whole))} {unit}"
    if cents and int(cents):
        cents = cents.ljust(2, "0")
        minor = {"yuan": "", "dollars": " cents", "euros": " cents", "pounds": " pence"}[unit]
        spoken += f" {numbers.cardinal(int(cents))}{minor}"
    if unit != "yuan" and whole == "1":
        spoken = spoken.replace(f"one {unit}", f"one {unit[:-1]}", 1)  # "one dollar", "one pound"
    return spoken


def _phone(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match[0])
    spoken = ", ".join(numbers.digits(group) for group in groups)
    return ("plus " + spoken) if match[0].lstrip().startswith("+") else spoken


def _number(match: re.Match[str]) -> str:
    raw = match["n"].replace(",", "")
    if match["f"]:
        return numbers.decimal(raw + match["f"])
    value = int(raw)
    if len(raw) > 1 and raw.startswith("0"):
        return numbers.digits(raw)
    if len(raw) == 4 and 1900 <= value <= 2099 and "," not in match["n"]:
        return numbers.year(value)
    if len(raw) >= 5 and "," not in match["n"]:
        return numbers.digits(raw)  # long bare numbers are codes (hotline 12345), not quantities
    return numbers.cardinal(value)


def _letter(letter: str) -> str:
    return _LETTER_NAMES.get(letter, letter)


def _bullets(text: str) -> str:
    """Turn list lines into "First, ... Second, ..." so a list does not become one breathless sentence."""
    out: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if not items:
            return
        for index, item in enumerate(items, 1):
            lead = "And finally" if index == len(items) and len(items) > 2 else numbers.ordinal(index).capitalize()
            item = item.strip().rstrip(";,")
            out.append(f"{lead}, {item}" + ("" if item[-1:] in ".!?" else "."))
        items.clear()

    for line in text.splitlines():
        match = _BULLET.match(line)
        if match:
            items.append(match["item"])
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def _strip_markup(text: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</p>|</li>|</div>", "\n", text, flags=re.I)
    text = re.sub(r"<li[^>]*>", "\n- ", text, flags=re.I)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", " ", text)  # images: nothing to say
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: keep the link text
    text = re.sub(r"`{1,3}([^`]*)`{1,3}", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)  # block quotes
    text = re.sub(r"^\s*(?:[-*_]\s*){3,}$", "", text, flags=re.M)  # horizontal rules
    text = re.sub(r"&nbsp;", " ", text)
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _sentences_from_lines(text: str) -> str:
    """Line breaks end a thought on screen; give each line a full stop so the voice pauses."""
    lines = [line.strip() for line in text.splitlines()]
    joined = []
    for line in lines:
        if not line:
            continue
        if line[-1] not in ".!?:;,。！？":
            line += "。" if "\u4e00" <= line[-1] <= "\u9fff" else "."
        joined.append(line)
    return " ".join(joined)


_EN_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\s+>\s+"), ", then "),  # app menu paths: "Me > My applications"
    (_RANGE_TIMES, _time_range),
    (_SINGLE_TIME, lambda m: _spoken_time(int(m["ah"]), int(m["am"]))),
    (_MONEY_PREFIX, _money),
    (_MONEY_SUFFIX, _money),
    (_PHONE, _phone),
    (_DIGIT_CONTEXT, lambda m: m["ctx"] + numbers.digits(m["num"])),
    (_TICKET, lambda m: f"{_letter(m['l'])} {numbers.digits(m['n'])}"),
    (_WINDOW, lambda m: f"{_letter(m['l'])} {numbers.cardinal(int(m['n']))}"),
    (_FLOOR, lambda m: f"floor {numbers.cardinal(int(m['n']))}"),
    (_PERCENT, lambda m: f"{numbers.decimal(m['n'])} percent"),
    (_ORDINAL, lambda m: numbers.ordinal(int(m["n"]))),
    (_NUM_RANGE, lambda m: f"{m['a']} to {m['b']}"),
    (_NUMBER, _number),
]


def _keep_full_stop(spoken: str) -> Callable[[re.Match[str]], str]:
    """Expand a dotted abbreviation, keeping its dot when it also ended the sentence ("... etc. Then")."""

    def replace(match: re.Match[str]) -> str:
        rest = match.string[match.end() :].lstrip()
        ends_sentence = match[0].endswith(".") and (not rest or rest[0].isupper())
        return spoken + ("." if ends_sentence else "")

    return replace


def _abbreviations(text: str) -> str:
    for written, spoken in ABBREVIATIONS.items():
        if written.lower().startswith("no"):
            pattern = rf"(?<![\w.]){re.escape(written)}(?=\s*\d)"  # "No. 3", not "no." ending a sentence
        else:
            pattern = rf"(?<![\w.]){re.escape(written)}(?![\w])"
        text = re.sub(pattern, _keep_full_stop(spoken), text)
    text = re.sub(
        r"\b(Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\b\.?(?![\w'])",
        lambda m: _keep_full_stop(DAYS[m[1].lower()])(m),
        text,
    )
    for acronym in SPELLED_ACRONYMS:
        text = re.sub(rf"\b{acronym}(s?)\b", lambda m, a=acronym: "-".join(a) + m[1], text)
    text = re.sub(r"\s&\s", " and ", text)
    text = re.sub(r"(?<=\w)/(?=\w)", " or ", text)
    text = re.sub(r"\bapprox\b\.?", "approximately", text)
    text = re.sub(r"(?<=\s)[~≈](?=\s?\d)", "about ", text)
    text = re.sub(r"#(?=\d)", "number ", text)
    return text


# Phone numbers, hotlines and other digit strings of five or more digits (optionally grouped by dashes or
# spaces) are read digit by digit in Chinese, with 幺 for 1 as on the phone; espeak-ng would read "12345" as a
# quantity (一万二千三百四十五).
_ZH_DIGIT_STRING = re.compile(r"(?<!\d)(?<!\d\.)\d{3,}(?:[- ]\d{3,})*(?!\.?\d)")
_ZH_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))


def _zh_digits(match: re.Match) -> str:
    number = match[0]
    if sum(ch.isdigit() for ch in number) < 5:
        return number  # "120", "2026": amounts and years are read as numbers
    return "，".join("".join(_ZH_DIGITS[d] for d in group) for group in re.split(r"[- ]", number))


def normalize_for_speech(text: str, language: str = "en") -> str:
    """Written reply -> words the voice should say, one line, sentences ending in punctuation."""
    text = _strip_markup(text)
    text = _bullets(text)
    text = _sentences_from_lines(text)
    if language.startswith("zh"):
        text = _EMAIL.sub("屏幕上的邮箱地址", text)
        text = _URL.sub("屏幕上的网址", text)
        text = _MONEY_PREFIX.sub(lambda m: m["amt"].replace(",", "") + "元", text)
        text = _ZH_DIGIT_STRING.sub(_zh_digits, text)
        return re.sub(r"\s+", " ", text).strip()
    text = _EMAIL.sub(EMAIL_PHRASE, text)
    text = _URL.sub(URL_PHRASE, text)
    text = _sub_dates(text)
    text = _DAY_RANGE.sub(lambda m: f"{DAYS[m['a'].lower()]} to {DAYS[m['b'].lower()]}", text)
    text = _abbreviations(text)
    for pattern, replacement in _EN_RULES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"[\"“”«»]", "", text)
    text = re.sub(r"\s*[–—]\s*", ", ", text)  # a dash between clauses is a pause
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"(?<=\w\w)([,.!?;:])(?=[A-Za-z])", r"\1 ", text)  # "a.m." keeps its dots
    text = re.sub(r"\.{2,}", ".", text)
    return re.sub(r"\s+", " ", text).strip()
