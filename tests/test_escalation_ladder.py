"""The escalation ladder as pure rules: deadlines, business days, the next step, config errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.ladder import (
    deadline_after,
    ladder_from_dict,
    next_business_start,
    next_step,
)

NY = ZoneInfo("America/New_York")
DEFAULTS = yaml.safe_load(files("config").joinpath("escalation.yaml").read_text("utf-8"))
LADDER = ladder_from_dict(DEFAULTS, "America/New_York")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (local(2026, 11, 27, 19, 0), local(2026, 11, 30, 9, 30)),  # Friday evening -> Monday
        (local(2026, 11, 28, 10, 0), local(2026, 11, 30, 9, 30)),  # Saturday -> Monday
        (local(2026, 11, 29, 23, 59), local(2026, 11, 30, 9, 30)),  # Sunday night -> Monday
        (local(2026, 11, 30, 8, 0), local(2026, 12, 1, 9, 30)),  # Monday early -> Tuesday
        (local(2026, 11, 26, 10, 0), local(2026, 11, 27, 9, 30)),  # Thursday -> Friday
        (local(2026, 3, 6, 18, 0), local(2026, 3, 9, 9, 30)),  # over the DST change
    ],
)
def test_concern_deadline_is_0930_next_business_day(raised, expected):
    deadline = deadline_after(LADDER, "concern", 0, raised.astimezone(UTC))
    assert deadline == expected
    assert deadline.astimezone(NY).strftime("%H:%M") == "09:30"


def test_friday_evening_utc_instant_maps_to_monday_0930_new_york():
    friday_evening = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # Fri 19:30 in New York
    assert deadline_after(LADDER, "concern", 0, friday_evening) == datetime(
        2026, 11, 30, 14, 30, tzinfo=UTC)


def test_holidays_are_skipped():
    ladder = ladder_from_dict({**DEFAULTS, "holidays": ["2026-11-30"]}, "America/New_York")
    assert next_business_start(local(2026, 11, 27, 19, 0), ladder) == local(2026, 12, 1, 9, 30)


@pytest.mark.parametrize(("level", "minutes"), [("crisis", 10), ("urgent", 30)])
def test_minute_deadlines(level, minutes):
    at = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert deadline_after(LADDER, level, 0, at) == at + timedelta(minutes=minutes)
    assert deadline_after(LADDER, level, 1, at) == at + timedelta(minutes=minutes)


def test_the_ladder_in_order_then_nothing():
    at = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    deadline = deadline_after(LADDER, "crisis", 0, at)
    assert next_step(LADDER, "crisis", 0, deadline, deadline - timedelta(seconds=1)) is None
    actions, step = [], 0
    while True:
        taken = next_step(LADDER, "crisis", step, deadline, deadline)
        if taken is None:
            break
        actions.append(taken.action)
        step, deadline = taken.number, taken.deadline
    assert actions == ["resend", "on_call", "supervisors"]
    assert deadline is None and step == 3


def test_no_deadline_means_no_step():
    assert next_step(LADDER, "urgent", 1, None, datetime(2030, 1, 1, tzinfo=UTC)) is None


def test_concern_later_steps_use_minutes():
    monday = local(2026, 11, 30, 9, 30)
    taken = next_step(LADDER, "concern", 0, monday, monday)
    assert taken.action == "resend" and taken.deadline == monday + timedelta(minutes=120)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                    timezones=st.just(UTC)))
def test_next_business_start_is_always_a_later_weekday_at_0930(at):
    start = next_business_start(at, LADDER)
    assert start > at
    assert start.weekday() < 5
    assert (start.hour, start.minute) == (9, 30)
    assert start - at < timedelta(days=4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"levels": {"crisis": {}, "urgent": {}}}, "concern missing"),
        ({"steps": ["resend", "call_police"]}, "unknown step"),
        ({"business_days": ["funday"]}, "business_days"),
        ({"holidays": ["christmas"]}, "YYYY-MM-DD"),
        ({"business_start": "9.30"}, "HH:MM"),
    ],
)
def test_bad_config_names_the_setting(change, message):
    with pytest.raises(ValueError, match=message):
        ladder_from_dict({**DEFAULTS, **change}, "America/New_York")


@pytest.mark.parametrize("value", [0, -5, "soon", True, None])
def test_bad_deadline_is_rejected(value):
    levels = {**DEFAULTS["levels"], "urgent": {"notify": ["assigned"], "first_deadline": value,
                                               "step_deadline": 30}}
    with pytest.raises(ValueError, match="urgent.first_deadline"):
        ladder_from_dict({**DEFAULTS, "levels": levels}, "America/New_York")


def test_unknown_audience_is_rejected():
    levels = {**DEFAULTS["levels"], "crisis": {**DEFAULTS["levels"]["crisis"],
                                               "notify": ["assigned", "police"]}}
    with pytest.raises(ValueError, match="unknown audience 'police'"):
        ladder_from_dict({**DEFAULTS, "levels": levels}, "America/New_York")


def _program_copy(tmp_path, escalation_text=None, key=None):
    import shutil

    from bot.program import load_program

    source = files("config")
    folder = tmp_path / "clinic"
    (folder / "messages").mkdir(parents=True)
    for name in ("program.yaml", "triage.yaml"):
        (folder / name).write_text(source.joinpath(name).read_text("utf-8"), "utf-8")
    for item in source.joinpath("messages").iterdir():
        if item.name.endswith(".yaml"):
            shutil.copyfile(str(item), folder / "messages" / item.name)
    program_text = (folder / "program.yaml").read_text("utf-8")
    if key is not None:
        program_text = program_text.replace("escalation: escalation.yaml", f"escalation: {key}")
    (folder / "program.yaml").write_text(program_text, "utf-8")
    if escalation_text is not None:
        (folder / (key or "escalation.yaml")).write_text(escalation_text, "utf-8")
    return load_program(folder / "program.yaml")


def test_clinic_ladder_next_to_the_program_file_wins(tmp_path):
    from bot.services.escalation import escalation_path, ladder_for

    custom = files("config").joinpath("escalation.yaml").read_text("utf-8").replace(
        "first_deadline: 10 ", "first_deadline: 5 ")
    program = _program_copy(tmp_path, custom, key="our-ladder.yaml")
    assert escalation_path(program) == tmp_path / "clinic" / "our-ladder.yaml"
    assert ladder_for(program).levels["crisis"].first_deadline == 5


def test_missing_clinic_ladder_falls_back_to_the_packaged_one(tmp_path):
    from bot.services.escalation import ladder_for

    program = _program_copy(tmp_path)
    assert ladder_for(program).levels["crisis"].first_deadline == 10


def test_broken_clinic_ladder_names_the_file(tmp_path):
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match=r"escalation.yaml: levels.crisis.first_deadline"):
        _program_copy(tmp_path, "levels: {crisis: {first_deadline: soon}}\n")


def test_clinic_ladder_holds_only_its_overrides(tmp_path):
    from bot.services.escalation import ladder_for

    program = _program_copy(tmp_path, "levels: {urgent: {first_deadline: 15}}\n")
    ladder = ladder_for(program)
    assert ladder.levels["urgent"].first_deadline == 15
    assert ladder.levels["urgent"].notify == ("assigned",)  # the packaged rest
    assert ladder.levels["crisis"].first_deadline == 10


def test_ladder_edited_while_running_changes_nothing(tmp_path):
    from bot.services.escalation import ladder_for

    program = _program_copy(tmp_path, "levels: {crisis: {first_deadline: 5}}\n")
    (tmp_path / "clinic" / "escalation.yaml").write_text("levels: [broken", "utf-8")
    assert ladder_for(program).levels["crisis"].first_deadline == 5  # read once, at start-up
