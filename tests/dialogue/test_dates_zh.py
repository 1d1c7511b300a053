"""Chinese ways of saying dates, times and names for an appointment are read, or rejected rather than guessed."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.dates_zh import clean_name_zh, parse_date_zh, parse_time_zh, zh_number

MONDAY = dt.date(2026, 12, 14)  # a Monday, as the test clock's day


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("今天", MONDAY),
        ("明天上午", dt.date(2026, 12, 15)),
        ("后天吧", dt.date(2026, 12, 16)),
        ("大后天", dt.date(2026, 12, 17)),
        ("下周一", dt.date(2026, 12, 21)),  # Monday of next week, not today
        ("下个星期三", dt.date(2026, 12, 23)),
        ("这周五", dt.date(2026, 12, 18)),
        ("周五", dt.date(2026, 12, 18)),
        ("礼拜天", dt.date(2026, 12, 20)),
        ("12月17号", dt.date(2026, 12, 17)),
        ("十二月二十二日", dt.date(2026, 12, 22)),
        ("1月3日", dt.date(2027, 1, 3)),  # January comes after December
        ("2027年1月5日", dt.date(2027, 1, 5)),
        ("十五号", dt.date(2026, 12, 15)),
        ("10号", dt.date(2027, 1, 10)),  # the 10th has passed this month: next month's
    ],
)
def test_chinese_dates_are_read(said, expected):
    assert parse_date_zh(said, MONDAY) == expected


@pytest.mark.parametrize("said", ["", "随便", "下下下个月", "13月40日", "二月三十日"])
def test_what_is_not_a_date_is_not_guessed(said):
    assert parse_date_zh(said, MONDAY) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("上午十点", dt.time(10, 0)),
        ("十点半", dt.time(10, 30)),
        ("下午两点", dt.time(14, 0)),
        ("两点一刻", dt.time(14, 15)),  # nobody books at 2 a.m.
        ("下午三点四十分", dt.time(15, 40)),
        ("中午十二点", dt.time(12, 0)),
        ("早上9点", dt.time(9, 0)),
        ("14:30", dt.time(14, 30)),
        ("14：30", dt.time(14, 30)),
    ],
)
def test_chinese_times_are_read(said, expected):
    assert parse_time_zh(said) == expected


@pytest.mark.parametrize("said", ["", "尽快", "二十五点", "十点七十分"])
def test_what_is_not_a_time_is_not_guessed(said):
    assert parse_time_zh(said) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("王小明", "王小明"),
        ("我叫李华", "李华"),
        ("名字是欧阳娜娜。", "欧阳娜娜"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
    ],
)
def test_chinese_names_are_kept_without_the_words_around_them(said, expected):
    assert clean_name_zh(said) == expected


@pytest.mark.parametrize("said", ["王", "123", "Li Wei", "我叫"])
def test_what_is_not_a_chinese_name_is_refused(said):
    assert clean_name_zh(said) is None


def test_chinese_numbers():
    assert [zh_number(s) for s in ("三", "十", "十五", "二十", "二十三", "两", "３１", "百")] == [
        3,
        10,
        15,
        20,
        23,
        2,
        31,
        None,
    ]
