from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.rules.timing import QuietHours, decide
from bot.rules.weekly import InvalidPattern, occurrences, parse_weekly
from handlers.pause import PauseRequest, parse_pause

NY = ZoneInfo("America/New_York")
QUIET = QuietHours(time(9), time(20))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_parse_weekly_normalises():
    pattern = parse_weekly(" Thursday, mon,WED 18:00 - 21:30 ")
    assert str(pattern) == "mon,wed,thu 18:00-21:30"
    with pytest.raises(InvalidPattern):
        parse_weekly("")


def test_weekly_occurrences_keep_local_time_across_fall_back():
    pattern = parse_weekly("sat,sun,mon 18:00-21:00")
    found = list(occurrences(pattern, NY, date(2026, 10, 31), date(2026, 11, 2)))
    assert [o.starts_at for o in found] == [at(2026, 10, 31, 22), at(2026, 11, 1, 23),
                                           at(2026, 11, 2, 23)]


@pytest.mark.parametrize(
    ("now", "expires", "action", "when"),
    [
        (at(2026, 11, 26, 15), None, "send", at(2026, 11, 26, 15)),  # 10:00 local
        (at(2026, 11, 26, 12), None, "defer", at(2026, 11, 26, 14)),  # 07:00 -> 09:00
        (at(2026, 11, 27, 2), None, "defer", at(2026, 11, 27, 14)),  # 21:00 -> next 09:00
        (at(2026, 11, 26, 12), at(2026, 11, 26, 14), "drop", None),  # opens as it expires
        (at(2026, 11, 26, 15), at(2026, 11, 26, 15), "drop", None),  # already pointless
        (at(2026, 11, 26, 12), at(2026, 11, 26, 14, 30), "defer", at(2026, 11, 26, 14)),
    ],
)
def test_quiet_hour_decisions(now, expires, action, when):
    decision = decide(now, NY, QUIET, expires)
    assert decision.action == action
    assert decision.at == when


def test_window_that_wraps_midnight():
    night = QuietHours(time(20), time(2))
    assert night.inside(time(23)) and night.inside(time(1)) and not night.inside(time(3))
    assert night.closing(at(2026, 11, 27, 4), NY) == at(2026, 11, 27, 7)  # 23:00 -> 02:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAUSE", PauseRequest("pause")),
        ("pause 3 days", PauseRequest("pause", 3)),
        ("Pausa 2 días", PauseRequest("pause", 2)),
        ("pause for 5 days", PauseRequest("pause", 5)),
        ("RESUME", PauseRequest("resume")),
        ("Reanudar", PauseRequest("resume")),
        ("pause the music", None),
        ("I need a pause", None),
    ],
)
def test_parse_pause(text, expected):
    assert parse_pause(text) == expected
