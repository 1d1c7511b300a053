"""Citizens' ways of saying dates and times are read, or rejected rather than guessed."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.dates import clean_name, parse_date, parse_time

MONDAY = dt.date(2026, 12, 14)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("today", MONDAY),
        ("tomorrow", dt.date(2026, 12, 15)),
        ("the day after tomorrow", dt.date(2026, 12, 16)),
        ("next Tuesday", dt.date(2026, 12, 15)),
        ("on Friday please", dt.date(2026, 12, 18)),
        ("next monday", dt.date(2026, 12, 21)),
        ("3 January", dt.date(2027, 1, 3)),
        ("December 17th", dt.date(2026, 12, 17)),
        ("the 22nd of december", dt.date(2026, 12, 22)),
        ("2026-12-20", dt.date(2026, 12, 20)),
        ("12/18", dt.date(2026, 12, 18)),
        ("yesterday", dt.date(2026, 12, 13)),
    ],
)
def test_dates_are_read(said, expected):
    assert parse_date(said, MONDAY) == expected


@pytest.mark.parametrize("said", ["", "soon", "the blue one", "2026-02-30", "31 February", "13/45"])
def test_unreadable_dates_are_rejected(said):
    assert parse_date(said, MONDAY) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [("10", dt.time(10)), ("10:30", dt.time(10, 30)), ("2 pm", dt.time(14)), ("half past two", dt.time(14, 30)),
     ("9am", dt.time(9)), ("at 3 in the afternoon", dt.time(15)), ("14:00", dt.time(14))],
)  # fmt: skip
def test_times_are_read(said, expected):
    assert parse_time(said) == expected


@pytest.mark.parametrize("said", ["whenever", "25:00", "noonish maybe"])
def test_unreadable_times_are_rejected(said):
    assert parse_time(said) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [("Li Na", "Li Na"), ("my name is wang wei", "Wang Wei"), ("王伟", "王伟"), ("x", None), ("12345", None)],
)
def test_names_for_bookings(said, expected):
    assert clean_name(said) == expected
