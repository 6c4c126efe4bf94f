"""Journey: over-long names and locations get a one-line CLI error, never a database crash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import Counselor, Group, Participant
from bot.models.schedule import TherapySession
from tests.factories import make_counselor, make_group, make_participant

LONG = "x" * 500


def one_line_error(result) -> str:
    """The CLI's error line, asserting it failed cleanly (exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.output.strip().splitlines()
    return line


@pytest.mark.parametrize("what", ["participant", "counselor"])
def test_long_person_name_is_refused(runner, db_session, what):
    counselor = make_counselor(db_session)
    args = {"participant": ["participant", "add", "--name", LONG, "--phone", "+14155550777",
                            "--counselor", counselor.phone, "--timezone", "America/New_York"],
            "counselor": ["counselor", "add", "--name", LONG, "--phone", "+14155550777"]}[what]
    assert "at most 120 characters" in one_line_error(runner.invoke(args=args))
    assert db_session.scalar(select(func.count()).select_from(Participant)) == 0
    assert db_session.scalar(select(func.count()).select_from(Counselor)) == 1


def test_long_name_with_spaces_is_trimmed_and_emoji_name_is_kept(runner, db_session):
    counselor = make_counselor(db_session)
    result = runner.invoke(args=["participant", "add", "--name", "  Ana   🌻 ", "--phone",
                                 "+14155550778", "--counselor", counselor.phone,
                                 "--timezone", "America/New_York"])
    assert result.exit_code == 0, result.output
    assert db_session.scalars(select(Participant.name)).one() == "Ana 🌻"


def test_long_group_name_and_locations_are_refused(runner, db_session):
    group_args = ["group", "add", "--timezone", "America/New_York", "--weekly",
                  "mon 18:00-21:00"]
    assert "at most 80" in one_line_error(runner.invoke(args=[*group_args, "--name", LONG]))
    assert "at most 200" in one_line_error(
        runner.invoke(args=[*group_args, "--name", "Evening", "--location", LONG]))
    assert db_session.scalar(select(func.count()).select_from(Group)) == 0
    make_group(db_session, name="Tue")
    person = make_participant(db_session)
    result = runner.invoke(args=["session", "add", "--participant", person.phone, "--start",
                                 "2026-12-01T10:00", "--end", "2026-12-01T11:00",
                                 "--location", LONG])
    assert "at most 200" in one_line_error(result)
    assert db_session.scalar(select(func.count()).select_from(TherapySession)) == 0
