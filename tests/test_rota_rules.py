"""The weekly on-call rules: days, hours and whether a shift covers a local time."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from bot.rules.rota import covers, parse_days, parse_hours


@pytest.mark.parametrize(("text", "days"), [
    ("mon", [0]), ("mon,wed", [0, 2]), ("mon-fri", [0, 1, 2, 3, 4]), ("fri-mon", [0, 4, 5, 6]),
    ("all", list(range(7))), ("Sat, Sunday", [5, 6]), ("tue,tue", [1]),
])
def test_parse_days(text, days):
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "funday", "mon-xyz", ","])
def test_parse_days_rejects(text):
    with pytest.raises(ValueError):
        parse_days(text)


def test_parse_hours():
    assert parse_hours("17:00-09:00") == (time(17), time(9))
    for bad in ("17:00", "9-5", "25:00-09:00", ""):
        with pytest.raises(ValueError):
            parse_hours(bad)


# 2026-11-23 is a Monday.
@pytest.mark.parametrize(("weekday", "starts", "ends", "local", "expected"), [
    (0, time(9), time(17), datetime(2026, 11, 23, 9, 0), True),
    (0, time(9), time(17), datetime(2026, 11, 23, 16, 59), True),
    (0, time(9), time(17), datetime(2026, 11, 23, 17, 0), False),
    (0, time(9), time(17), datetime(2026, 11, 24, 10, 0), False),
    (0, time(17), time(9), datetime(2026, 11, 23, 23, 0), True),   # overnight, same evening
    (0, time(17), time(9), datetime(2026, 11, 24, 8, 59), True),   # overnight, next morning
    (0, time(17), time(9), datetime(2026, 11, 24, 9, 0), False),
    (0, time(17), time(9), datetime(2026, 11, 23, 8, 0), False),   # Monday morning is Sunday's
    (6, time(17), time(9), datetime(2026, 11, 23, 8, 0), True),    # Sunday night wraps to Monday
    (0, time(0), time(0), datetime(2026, 11, 23, 23, 59), True),   # whole day
    (0, time(0), time(0), datetime(2026, 11, 24, 0, 0), False),
])
def test_covers(weekday, starts, ends, local, expected):
    assert covers(weekday, starts, ends, local) is expected
