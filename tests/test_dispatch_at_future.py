"""`iopbot dispatch --at` a later instant must not stop the real clock's planning.

The README's try-it walk-through runs passes days ahead of the real present; afterwards the real
clock must still plan and send the check-ins due before that instant.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models import Alert
from bot.models.schedule import PlannerMark
from schedules.sweep import run_pass

PRESENT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the "real" now, before the walk-through
ALEX, SAM = "+14155550123", "+14155550199"


def checkins(twilio) -> list[dict]:
    """Daily check-in texts Alex was sent."""
    return [m for m in twilio.messages
            if m["to"] == ALEX and m["body"].startswith("Daily check-in")]


def walk_through(runner, runtime, clock) -> list[str]:
    """The README's try-it steps, as typed; returns each step's output."""
    outputs = []
    steps = [
        (["counselor", "add", "--name", "Sam Ortiz", "--phone", "415-555-0199", "--on-call"],
         None),
        (["participant", "add", "--name", "Alex Rivera", "--phone", "415-555-0123",
          "--counselor", "415-555-0199", "--timezone", "America/Chicago",
          "--checkin-time", "17:00"], None),
        (["dispatch", "--at", "2026-12-03T23:00:30Z"], None),
        (["chat", "--phone", "415-555-0123", "--at", "2026-12-03T23:05:00Z"],
         "8\nno, went to a meeting\n4\n"),
        (["dispatch", "--at", "2026-12-03T23:06:00Z"], None),
        (["alert", "list"], None),
    ]
    for args, stdin in steps:
        result = runner.invoke(args=args, input=stdin)
        runtime.clock = clock  # `chat --at` swaps the runtime's clock (its own process in life)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    return outputs


def test_the_readme_walk_through_works(runner, runtime, clock, twilio, db_session):
    clock.set(PRESENT)
    outputs = walk_through(runner, runtime, clock)
    assert len(checkins(twilio)) == 1 and "schedule.sent: 1" in outputs[2].splitlines()
    assert outputs[3].count("bot: ") >= 3  # each answer got a reply
    assert any(m["to"] == SAM for m in twilio.messages)  # the counselor's alert went out
    alerts = db_session.scalars(select(Alert)).all()
    assert len(alerts) == 1
    assert str(alerts[0].id) in outputs[5]


def test_a_future_pass_leaves_the_clock_planning_the_days_before_it(
    runner, runtime, clock, twilio, db_session
):
    clock.set(PRESENT)
    walk_through(runner, runtime, clock)
    mark = db_session.get(PlannerMark, "schedule", populate_existing=True)
    assert mark.through <= PRESENT + runtime_lookahead(runtime)
    assert mark.ran_at <= PRESENT
    assert len(checkins(twilio)) == 1
    # The real clock reaches Tuesday 1 December, 17:00 in Chicago: that day's check-in goes out.
    clock.set(datetime(2026, 12, 1, 23, 0, 30, tzinfo=UTC))
    run_pass(runtime)
    assert len(checkins(twilio)) == 2


def runtime_lookahead(runtime):
    """How far ahead the planner plans."""
    from bot.services.schedule.config import schedule_config

    return schedule_config(runtime.program).lookahead
