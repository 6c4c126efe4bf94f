"""Pure family rules: scopes, update texts, codes, local-time slots, milestones, config."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.program import load_program
from bot.rules.family_scopes import (
    WeeklyFacts,
    milestone_due,
    milestone_message,
    parse_scopes,
    weekly_update,
)
from bot.services.family.codes import code_in, code_matches, hash_code, new_code
from bot.services.family.config import family_config
from bot.services.family.timing import next_open, weekly_slot

NY = ZoneInfo("America/New_York")
PROGRAM = load_program()


@pytest.mark.parametrize("text, scopes", [
    ("summary,attendance", ("attendance", "summary")),
    (" Milestones , encouragement ,", ("milestones", "encouragement")),
    ("attendance,attendance", ("attendance",)),
])
def test_parse_scopes(text, scopes):
    assert parse_scopes(text) == scopes


@pytest.mark.parametrize("text", ["", ",", "scores", "attendance,cravings", "all"])
def test_parse_scopes_refuses(text):
    with pytest.raises(ValueError):
        parse_scopes(text)


def test_weekly_update_contains_exactly_the_consented_parts():
    facts = WeeklyFacts(sessions_scheduled=3, sessions_attended=2, checkins_asked=7,
                        checkins_answered=5)
    only_attendance = weekly_update(PROGRAM, scopes=["attendance"], facts=facts,
                                    participant_first="Alex", language="en")
    assert "attended 2 of 3" in only_attendance and "check-ins" not in only_attendance
    only_summary = weekly_update(PROGRAM, scopes=["summary"], facts=facts,
                                 participant_first="Alex", language="en")
    assert "answered 5 of 7" in only_summary and "scheduled group" not in only_summary
    assert weekly_update(PROGRAM, scopes=["milestones"], facts=facts, participant_first="Alex",
                         language="en") is None
    none_scheduled = weekly_update(PROGRAM, scopes=["attendance"], facts=WeeklyFacts(),
                                   participant_first="Alex", language="es")
    assert "No hay sesiones" in none_scheduled and "42 CFR parte 2" in none_scheduled


def test_weekly_facts_are_counts_only():
    with pytest.raises(ValueError):
        WeeklyFacts(checkins_answered=-1)
    with pytest.raises(ValueError):
        WeeklyFacts(checkins_asked="7 (craving 9)")


def test_milestones():
    assert milestone_due((4, 8, 12), 3, 0) is None
    assert milestone_due((4, 8, 12), 9, 0) == 8  # only the highest newly reached
    assert milestone_due((4, 8, 12), 9, 8) is None
    assert milestone_due((4, 8, 12), 12, 8) == 12
    text = milestone_message(PROGRAM, kind="checkin_weeks", count=4, participant_first="Alex",
                             language="en")
    assert text.startswith("Riverside Health reminders: Alex has reached 4 weeks of check-ins.")
    with pytest.raises(ValueError):
        milestone_message(PROGRAM, kind="sober_days", count=4, participant_first="A",
                          language="en")


@pytest.mark.parametrize("text, code", [
    ("YES 123456", "123456"), ("yes, 123 456", "123456"), ("Sí 000123", "000123"),
    ("y 123-456.", "123456"), ("YES", None), ("yes 12345", None), ("yes 1234567", None),
    ("123456", None), ("yes please 123456", None), ("no 123456", None),
])
def test_code_in(text, code):
    assert code_in(text) == code


def test_codes_are_random_hashed_and_salted():
    codes = {new_code() for _ in range(50)}
    assert len(codes) > 45 and all(len(c) == 6 and c.isdigit() for c in codes)
    stored = hash_code("123456")
    assert "123456" not in stored and code_matches("123456", stored)
    assert not code_matches("123457", stored)
    assert hash_code("123456") != stored  # salted


def test_weekly_slot_in_local_time_across_dst():
    sunday_5pm = time(17, 0)
    # Sunday 1 Nov 2026 is the fall-back day in New York.
    assert weekly_slot(datetime(2026, 11, 1, 22, 0, tzinfo=UTC), NY, 6, sunday_5pm) == \
        datetime(2026, 11, 1, 22, 0, tzinfo=UTC)
    assert weekly_slot(datetime(2026, 11, 1, 21, 59, tzinfo=UTC), NY, 6, sunday_5pm) == \
        datetime(2026, 10, 25, 21, 0, tzinfo=UTC)  # the Sunday before, still on EDT


def test_next_open_waits_for_texting_hours():
    late = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 22:00 New York
    assert next_open(PROGRAM, NY, late) == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    early = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 07:00
    assert next_open(PROGRAM, NY, early) == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    inside = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert next_open(PROGRAM, NY, inside) == inside


def test_family_config_defaults_and_errors():
    config = family_config(PROGRAM)
    assert config.weekly_day == 6 and config.weekly_time == time(17, 0)
    assert config.milestones["checkin_weeks"] == (4, 8, 12)
    for bad in ({"weekly_update_day": "someday"}, {"weekly_update_time": "5pm"},
                {"default_timezone": "Mars/Base"}, {"milestones": {"sober_days": [30]}}):
        broken = replace(PROGRAM, raw={**PROGRAM.raw, "family": bad})
        with pytest.raises(ValueError):
            family_config(broken)
