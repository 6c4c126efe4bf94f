from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models.schedule import CheckIn, Fire
from bot.rules.timing import before, instants_between, local_to_utc
from schedules.sweep import run_pass
from tests.factories import make_group, make_participant

NY = ZoneInfo("America/New_York")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run_every(runtime, clock, start: datetime, hours: int, step_minutes: int = 30) -> None:
    moment = start
    while moment <= start + timedelta(hours=hours):
        run_pass(runtime, clock.set(moment), paced=False)
        moment += timedelta(minutes=step_minutes)


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # Spring forward: Sun 14 Mar 2027 02:00 EST -> 03:00 EDT.
        (date(2027, 3, 13), [at(2027, 3, 13, 22), at(2027, 3, 14, 21), at(2027, 3, 15, 21)]),
        # Fall back: Sun 1 Nov 2026 02:00 EDT -> 01:00 EST.
        (date(2026, 10, 31), [at(2026, 10, 31, 21), at(2026, 11, 1, 22), at(2026, 11, 2, 22)]),
    ],
)
def test_dst_days_never_skip_or_double_a_checkin(runtime, clock, db_session, twilio, first,
                                                 expected):
    person = make_participant(db_session, checkin_time="17:00")
    run_every(runtime, clock, datetime.combine(first, time(4), UTC), hours=3 * 24)
    asked = db_session.scalars(select(CheckIn).where(CheckIn.participant_id == person.id)
                               .order_by(CheckIn.local_date)).all()
    assert [c.local_date for c in asked] == [first + timedelta(days=n) for n in range(3)]
    assert [c.asked_at for c in asked] == expected  # 17:00 local every day
    assert len([m for m in twilio.messages if m["body"].startswith("Daily check-in")]) == 3
    assert len([m for m in twilio.messages if "nudge" in m["body"]]) == 3


@pytest.mark.parametrize(
    ("weekly", "first", "meeting", "reminders"),
    [
        ("sun 18:00-21:00", date(2027, 3, 13), at(2027, 3, 14, 22),
         # 24 h before = Sat 18:00 EST (23:00 UTC, 23 real hours); 2 h before = 16:00 EDT.
         [at(2027, 3, 13, 23), at(2027, 3, 14, 20)]),
        ("sun 18:00-21:00", date(2026, 10, 31), at(2026, 11, 1, 23),
         [at(2026, 10, 31, 22), at(2026, 11, 1, 21)]),
    ],
)
def test_dst_days_never_shift_a_reminder(runtime, clock, db_session, twilio, weekly, first,
                                         meeting, reminders):
    group = make_group(db_session, name="Sunday", weekly=weekly)
    person = make_participant(db_session, group_id=group.id, checkin_time="09:00")
    run_every(runtime, clock, datetime.combine(first, time(4), UTC), hours=48)
    fires = db_session.scalars(select(Fire).where(Fire.kind == "reminder",
                                                  Fire.due_at <= meeting)
                               .order_by(Fire.due_at)).all()
    assert [(f.due_at, f.state) for f in fires] == [(r, "done") for r in reminders]
    texts = [m["body"] for m in twilio.messages
             if m["to"] == person.phone and m["body"].startswith("Reminder")]
    assert texts == [f"Reminder: group Sun {meeting.astimezone(NY):%b} {meeting.astimezone(NY).day}"
                     " 6:00 PM. Reply C to confirm, N if you can't make it."] * 2


def test_local_to_utc_in_gap_and_fold():
    assert local_to_utc(date(2027, 3, 14), time(2, 30), NY) == at(2027, 3, 14, 7, 30)  # 03:30
    assert local_to_utc(date(2026, 11, 1), time(1, 30), NY) == at(2026, 11, 1, 5, 30)  # first
    assert before(at(2027, 3, 14, 22), timedelta(hours=2), NY) == at(2027, 3, 14, 20)


ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe",
         "Asia/Kolkata", "Pacific/Apia", "America/Santiago", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hhmm=st.tuples(st.integers(0, 23), st.integers(0, 59)),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1)),
    cuts=st.lists(st.integers(1, 600), min_size=1, max_size=40),
)
def test_consecutive_windows_plan_each_local_day_exactly_once(zone, hhmm, start, cuts):
    tz, wall = ZoneInfo(zone), time(*hhmm)
    moment = start.replace(tzinfo=UTC)
    found = []
    for minutes in cuts * 4:
        nxt = moment + timedelta(minutes=minutes * 7)
        found += instants_between(wall, tz, moment, nxt)
        moment = nxt
    days = [d for d, _ in found]
    assert len(days) == len(set(days))  # never doubled
    assert days == sorted(days)
    if days:  # never skipped: every local day between the first and last is there
        assert len(days) == (days[-1] - days[0]).days + 1
