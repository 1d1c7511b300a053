"""Read the date, time and name a citizen gives in Chinese for an appointment.

Citizens say 明天, 后天, 下周一, 这个星期五, 12月15号, 十五号, 2026年12月15日 and 上午十点, 下午两点半,
十点一刻, 14:30. As in actions/dates.py, anything not read with confidence is None, so the form asks
again instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"[0-9０-９]+|[零〇一二两三四五六七八九十]+"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}


def zh_number(text: str) -> int | None:
    """0-99 from 十五, 二十三, 两, 15 (full-width digits too); None for anything else."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date_zh(text: str, today: dt.date) -> dt.date | None:
    """A calendar date from everyday Chinese, or None if it cannot be read."""
    t = re.sub(r"\s+", "", text)
    if not t:
        return None
    for word, ahead in (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0), ("今日", 0)):
        if word in t:
            return today + dt.timedelta(days=ahead)
    if "昨天" in t:
        return today - dt.timedelta(days=1)
    m = re.search(rf"(?:(\d{{4}})年)?({_NUM})月({_NUM})[日号]?", t)
    if m:
        month, day = zh_number(m[2]), zh_number(m[3])
        if month is None or day is None:
            return None
        if m[1]:
            return _date(int(m[1]), month, day)
        for year in (today.year, today.year + 1):
            candidate = _date(year, month, day)
            if candidate is not None and candidate >= today:
                return candidate
        return None
    m = re.search(rf"({_NUM})[日号]", t)
    if m:  # 十五号: this month's, or next month's when it has passed
        day = zh_number(m[1])
        if day is None:
            return None
        candidate = _date(today.year, today.month, day)
        if candidate is not None and candidate >= today:
            return candidate
        month, year = (1, today.year + 1) if today.month == 12 else (today.month + 1, today.year)
        return _date(year, month, day)
    m = re.search(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天末])", t)
    if m:
        target = _WEEKDAY[m[2]]
        monday = today - dt.timedelta(days=today.weekday())
        if m[1] in ("下", "下个"):
            return monday + dt.timedelta(days=7 + target)  # 下周一: Monday of next week
        if m[1] == "下下":
            return monday + dt.timedelta(days=14 + target)
        day = monday + dt.timedelta(days=target)
        if m[1]:  # 这周五, 本周五: this week's, even if it has passed (validation then says so)
            return day
        return day if day >= today else day + dt.timedelta(days=7)  # 周五: the coming one
    return None


def parse_time_zh(text: str) -> dt.time | None:
    """A clock time from 上午十点, 下午两点半, 十点一刻, 三点四十分, 14:30, or None."""
    t = re.sub(r"\s+", "", text)
    m = re.search(r"(\d{1,2})[:：](\d{2})", t)
    if m:
        hour, minute = int(m[1]), int(m[2])
    else:
        m = re.search(rf"({_NUM})[点時时](半|一刻|三刻|({_NUM})分?)?", t)
        if not m:
            return None
        hour = zh_number(m[1])
        if hour is None:
            return None
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m[2] or "")
        if minute is None:
            minute = zh_number(m[3]) if m[3] else 0
        if minute is None:
            return None
    if any(w in t for w in ("下午", "晚上", "傍晚")) and hour < 12:
        hour += 12
    elif "中午" in t and hour < 3:
        hour += 12  # 中午一点
    elif not any(w in t for w in ("上午", "早上", "早晨", "凌晨")) and 1 <= hour <= 6:
        hour += 12  # nobody books an appointment at 3 in the morning
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


_NAME_PREFIX = re.compile(r"^(我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名|我叫|我是|叫|是|用|写)")


def clean_name_zh(text: str) -> str | None:
    """A Chinese name (2-10 characters, a middle dot allowed) without 我叫 / 名字是 around it."""
    name = _NAME_PREFIX.sub("", re.sub(r"\s+", "", text)).rstrip("。.！!，,的吧")
    name = re.sub(r"(的名字|这个名字)$", "", name)
    if not 2 <= len(name) <= 10:
        return None
    if not all("\u4e00" <= ch <= "\u9fff" or ch == "·" for ch in name):
        return None
    return name
