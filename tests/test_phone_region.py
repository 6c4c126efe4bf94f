"""Phone numbers typed without a country code are read in the clinic's region (default US)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.models import Counselor, Participant
from bot.models.family import Consent
from bot.phones import InvalidPhone, normalize_phone
from bot.program import load_program
from bot.settings import SettingsError
from tests.test_retention import write_program


@pytest.fixture
def spain(runtime, monkeypatch):
    """A clinic in Madrid whose staff type Spanish national numbers."""
    monkeypatch.setattr(runtime, "program", replace(runtime.program, phone_region="ES"))
    return runtime


def test_a_non_us_clinic_enrols_and_finds_people_by_national_number(spain, runner, db_session):
    added = runner.invoke(args=["counselor", "add", "--name", "Lucía Pérez",
                                "--phone", "612 34 56 70", "--on-call"])
    assert added.exit_code == 0, added.output
    assert "+34612345670" in added.output
    enrolled = runner.invoke(args=[
        "participant", "add", "--name", "Carmen Ruiz", "--phone", "612-345-671",
        "--counselor", "612345670", "--timezone", "Europe/Madrid", "--checkin-time", "18:00",
        "--language", "es",
    ])
    assert enrolled.exit_code == 0, enrolled.output
    carmen = db_session.scalars(select(Participant)).one()
    assert carmen.phone == "+34612345671"
    assert db_session.scalars(select(Counselor.phone)).all() == ["+34612345670"]

    invited = runner.invoke(args=[
        "family", "invite", "--participant", "612 34 56 71", "--name", "Ana Ruiz",
        "--phone", "612 34 56 72", "--relationship", "madre", "--share", "attendance",
        "--expires", "2027-06-30",
    ])
    assert invited.exit_code == 0, invited.output
    assert db_session.scalars(select(Consent.recipient_phone)).all() == ["+34612345672"]

    alerts = runner.invoke(args=["alert", "ack", "1", "--by", "612 34 56 70"])
    assert alerts.output.strip() == "Error: there is no alert 1"  # the counselor was found
    left = runner.invoke(args=["participant", "discharge", "612 34 56 71"])
    assert left.exit_code == 0, left.output
    assert db_session.get(Participant, carmen.id).status == "discharged"


def test_us_numbers_are_not_guessed_in_a_non_us_clinic(spain, runner, db_session):
    result = runner.invoke(args=["counselor", "add", "--name", "Sam", "--phone", "415-555-0199"])
    assert result.exit_code == 1
    assert "not a valid phone number" in result.output
    # A full international number works anywhere.
    ok = runner.invoke(args=["counselor", "add", "--name", "Sam", "--phone", "+1 415-555-0199"])
    assert ok.exit_code == 0 and "+14155550199" in ok.output


def test_default_region_is_us(runtime, runner):
    assert runtime.program.phone_region == "US"
    result = runner.invoke(args=["counselor", "add", "--name", "Sam", "--phone", "415-555-0199"])
    assert "+14155550199" in result.output
    with pytest.raises(InvalidPhone):
        normalize_phone("612 34 56 70")


def test_program_setting(tmp_path):
    assert load_program(write_program(tmp_path, phone_region="gb")).phone_region == "GB"
    with pytest.raises(SettingsError, match="phone_region"):
        load_program(write_program(tmp_path, phone_region="Spain"))
