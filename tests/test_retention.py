"""Message-body retention: old words blanked, records kept, audited; CLI and daily sweep."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from sqlalchemy import select

from bot.models import Alert, AuditEvent, MessageLog, OutboxMessage
from bot.models.family import Consent, Disclosure
from bot.program import load_program
from bot.settings import SettingsError
from schedules.sweep import run_sweeps
from tests.factories import make_care_team
from tests.test_family_support import code_from


def keep_for(runtime, monkeypatch, days):
    """Set the clinic's retention.message_bodies_days for this runtime."""
    monkeypatch.setattr(runtime, "program", replace(runtime.program, keep_message_bodies_days=days))


@pytest.fixture
def history(db_session, text_in, runner, clock):
    """A crisis text (alert, pages, log) and a family invitation 40 days ago, and a text today."""
    team = make_care_team(db_session)
    alex = team["alex"]
    text_in(alex.phone, "I have the pills counted out")
    result = runner.invoke(args=[
        "family", "invite", "--participant", alex.phone, "--name", "Rosa Rivera",
        "--phone", "+14155550777", "--relationship", "mother", "--share", "attendance",
        "--expires", "2027-06-30",
    ])
    assert result.exit_code == 0, result.output
    consent = db_session.scalars(select(Consent)).one()
    asked = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"family:consent:{consent.id}")).one()
    text_in(alex.phone, f"yes {code_from(asked.body)}")  # signed: the invitation is disclosed
    runner.invoke(args=["dispatch"])  # the pages and the invitation are sent
    clock.advance(days=40)
    text_in(alex.phone, "7")
    return team


def bodies(db_session, model):
    return {row.id: row.body for row in db_session.scalars(select(model))}


def test_default_keeps_everything(history, runner, db_session):
    before = bodies(db_session, MessageLog)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "message bodies are kept" in result.output
    assert bodies(db_session, MessageLog) == before


def test_old_bodies_are_blanked_and_records_kept(history, runner, db_session, runtime, monkeypatch):
    keep_for(runtime, monkeypatch, 30)
    disclosures = bodies(db_session, Disclosure)
    consents = {c.id: c.consent_text for c in db_session.scalars(select(Consent))}
    alerts = {a.id: (a.level, a.summary) for a in db_session.scalars(select(Alert))}
    assert disclosures and consents and alerts
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("retention: blanked ")

    cutoff = runtime.now().timestamp() - 30 * 86400
    log = list(db_session.scalars(select(MessageLog)))
    old = [m for m in log if m.created_at.timestamp() < cutoff]
    new = [m for m in log if m.created_at.timestamp() >= cutoff]
    assert old and new
    assert all(m.body == "" for m in old)
    assert all(m.body for m in new)  # today's "7" and its reply keep their words
    assert all(m.phone and m.direction and m.state for m in old)  # metadata kept
    outbox = list(db_session.scalars(select(OutboxMessage)))
    assert any(m.body == "" for m in outbox)
    assert all(m.body for m in outbox if m.state in ("pending", "sending"))
    # The accounting of disclosures, consents and alerts keep their own retention.
    assert bodies(db_session, Disclosure) == disclosures
    assert {c.id: c.consent_text for c in db_session.scalars(select(Consent))} == consents
    assert {a.id: (a.level, a.summary) for a in db_session.scalars(select(Alert))} == alerts
    events = list(db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.blank_bodies")))
    assert len(events) == 1
    assert events[0].actor == "cli" and events[0].detail["message_log"] == len(old)

    again = runner.invoke(args=["retention", "run"])
    assert "blanked 0 logged and 0 outbox" in again.output
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "retention.blank_bodies", AuditEvent.id != events[0].id)) is None


def test_daily_sweep_runs_once_a_day(history, runtime, db_session, clock, monkeypatch):
    keep_for(runtime, monkeypatch, 30)
    first = run_sweeps(runtime, clock())
    assert first["retention.blanked"] > 0
    assert "retention.blanked" not in run_sweeps(runtime, clock.advance(hours=23))
    clock.advance(hours=2)
    assert run_sweeps(runtime, clock())["retention.blanked"] == 0  # a day on: ran, nothing new
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.blank_bodies")).all()
    assert [e.actor for e in events] == ["system"]


def write_program(tmp_path, **extra):
    """A copy of the packaged program file with `extra` top-level settings."""
    from importlib.resources import files

    source = files("config")
    raw = yaml.safe_load(source.joinpath("program.yaml").read_text())
    raw.update(extra)
    (tmp_path / "messages").mkdir(exist_ok=True)
    for name in ("messages",):
        for item in source.joinpath(name).iterdir():
            (tmp_path / name / item.name).write_text(item.read_text())
    for name in ("triage.yaml", "escalation.yaml"):
        (tmp_path / name).write_text(source.joinpath(name).read_text())
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ({}, None), ({"message_bodies_days": 2190}, 2190),
     ({"message_bodies_days": "keep"}, None)],
)
def test_setting_parses(tmp_path, value, expected):
    extra = {} if value is None else {"retention": value}
    assert load_program(write_program(tmp_path, **extra)).keep_message_bodies_days == expected


@pytest.mark.parametrize("bad", [0, -5, "30 days", 1.5, True])
def test_bad_setting_names_itself(tmp_path, bad):
    with pytest.raises(SettingsError, match="retention.message_bodies_days"):
        load_program(write_program(tmp_path, retention={"message_bodies_days": bad}))
