"""CSV exports for a period, through `iopbot csv ...`; each one audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Alert, AuditEvent
from bot.models.schedule import Attendance, CheckIn, ReminderConfirmation, TherapySession
from tests.factories import make_counselor, make_group, make_participant

NOV = ["--from", "2026-11-01", "--to", "2026-11-30"]


def at(day: int, hour: int = 15) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def export(runner, kind: str, *args: str) -> list[dict]:
    result = runner.invoke(args=["csv", kind, *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


@pytest.fixture
def clinic(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bo = make_participant(db_session, counselor=jordan, name="=HYPERLINK(1)")
    return {"jordan": jordan, "alex": alex, "bo": bo}


def test_attendance_export(runner, db_session, clinic):
    group = make_group(db_session, name="Evening")
    inside = TherapySession(group_id=group.id, starts_at=at(10, 23), ends_at=at(11, 2))
    outside = TherapySession(group_id=group.id, starts_at=datetime(2026, 12, 1, 5, tzinfo=UTC),
                             ends_at=datetime(2026, 12, 1, 7, tzinfo=UTC))
    db_session.add_all([inside, outside])
    db_session.flush()
    for s in (inside, outside):
        db_session.add(Attendance(session_id=s.id, participant_id=clinic["alex"].id,
                                  present=True, marked_at=s.starts_at, marked_by="staff:cli"))
    db_session.add(Attendance(session_id=inside.id, participant_id=clinic["bo"].id,
                              present=False, marked_at=at(11), marked_by="staff:cli"))
    db_session.add(ReminderConfirmation(session_id=inside.id, participant_id=clinic["bo"].id,
                                        answer="cant_make_it", answered_at=at(10)))
    db_session.commit()
    rows = export(runner, "attendance", *NOV)
    # 2026-12-01 05:00 UTC is 00:00 on Dec 1 in New York (the clinic): outside November.
    assert [(r["session_id"], r["participant"], r["attendance"], r["reminder_answer"])
            for r in rows] == [
        (str(inside.id), "Alex Rivera", "present", ""),
        (str(inside.id), "'=HYPERLINK(1)", "absent", "cant_make_it")]
    assert rows[0]["session_start"] == "2026-11-10T18:00-05:00"  # clinic time
    assert rows[0]["group"] == "Evening"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "export.written"))
    assert event.detail == {"export": "attendance", "first": "2026-11-01",
                            "last": "2026-11-30", "rows": 2}
    assert event.actor == "staff:cli"


def add_checkins(db_session, person, cravings, start=date(2026, 11, 1), missed=()):
    for i, craving in enumerate(cravings):
        day = start + timedelta(days=i)
        asked = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=22)
        answered = craving is not None
        db_session.add(CheckIn(
            participant_id=person.id, local_date=day, asked_at=asked, prompted_at=asked,
            closes_at=asked + timedelta(hours=4), step="done" if answered else "craving",
            craving=craving, used=False if answered else None, mood=3 if answered else None,
            answered_at=asked if answered else None, completed_at=asked if answered else None,
            missed=i in missed))
    db_session.commit()


def test_checkin_adherence_export(runner, db_session, clinic):
    add_checkins(db_session, clinic["alex"], [2, None, 4, None], missed=(1, 3))
    add_checkins(db_session, clinic["bo"], [1])
    add_checkins(db_session, clinic["bo"], [9], start=date(2026, 12, 5))  # outside
    rows = export(runner, "checkin-adherence", *NOV)
    assert [(r["participant_id"], r["asked"], r["answered"], r["missed"], r["response_rate"])
            for r in rows] == [(str(clinic["alex"].id), "4", "2", "2", "0.50"),
                               (str(clinic["bo"].id), "1", "1", "0", "1.00")]
    assert rows[0]["counselor"] == "Jordan Lee"


def test_craving_trend_export(runner, db_session, clinic):
    add_checkins(db_session, clinic["alex"], [2, 4, None, 9] + [1] * 6)
    rows = export(runner, "craving-trend", "--from", "2026-11-01", "--to", "2026-11-10")
    assert [r["craving"] for r in rows] == ["2", "4", "9", "1", "1", "1", "1", "1", "1"]
    assert [r["craving_avg7"] for r in rows][:3] == ["2.0", "3.0", "5.0"]
    assert rows[-1]["craving_avg7"] == f"{(9 + 6) / 7:.1f}"  # the last seven answers only
    assert rows[2]["date"] == "2026-11-04" and rows[0]["used"] == "no"


def test_alerts_export_with_time_to_acknowledge(runner, db_session, clinic):
    jordan = clinic["jordan"]
    acked = Alert(dedupe_key="a", participant_id=clinic["alex"].id, counselor_id=jordan.id,
                  level="crisis", kind="crisis", reasons=[], state="acknowledged",
                  created_at=at(5), acknowledged_at=at(5) + timedelta(minutes=7, seconds=30),
                  acknowledged_by=jordan.id)
    waiting = Alert(dedupe_key="b", participant_id=clinic["bo"].id, counselor_id=jordan.id,
                    level="concern", kind="missed_checkins", reasons=[], state="open",
                    created_at=at(6))
    old = Alert(dedupe_key="c", participant_id=clinic["bo"].id, level="urgent", kind="triage",
                reasons=[], state="open", created_at=datetime(2026, 10, 1, tzinfo=UTC))
    db_session.add_all([acked, waiting, old])
    db_session.commit()
    rows = export(runner, "alerts", *NOV)
    assert [(r["alert_id"], r["level"], r["minutes_to_ack"], r["acknowledged_by"])
            for r in rows] == [(str(acked.id), "crisis", "7.5", "Jordan Lee"),
                               (str(waiting.id), "concern", "", "")]


def test_export_to_a_file_and_errors(runner, db_session, clinic, tmp_path):
    out = tmp_path / "a.csv"
    result = runner.invoke(args=["csv", "alerts", *NOV, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 row(s) written" in result.output
    assert out.read_text().startswith("alert_id,created_at,level")
    bad = runner.invoke(args=["csv", "alerts", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert bad.exit_code == 1 and "--to must not be before --from" in bad.output
    bad = runner.invoke(args=["csv", "alerts", "--from", "Nov 1", "--to", "2026-11-01"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    bad = runner.invoke(args=["csv", "alerts", *NOV, "--out", str(tmp_path / "no" / "x")])
    assert bad.exit_code == 1 and "cannot write" in bad.output
    assert "Traceback" not in bad.output


def test_weekly_report(runner, db_session, clinic):
    # Weeks of Mon 2 Nov and Mon 9 Nov 2026; the period is 1-14 Nov (Sun 1 Nov is in the
    # week of 26 Oct).
    jordan = clinic["jordan"]
    for person in (clinic["alex"], clinic["bo"]):
        person.enrolled_at = datetime(2026, 10, 1, tzinfo=UTC)
    clinic["bo"].status, clinic["bo"].discharged_at = "discharged", at(5)
    db_session.commit()
    add_checkins(db_session, clinic["alex"], [3, None, 5, 2], start=date(2026, 11, 2))
    s = TherapySession(starts_at=at(10, 23), ends_at=at(11, 1))
    db_session.add(s)
    db_session.flush()
    db_session.add_all([
        Attendance(session_id=s.id, participant_id=clinic["alex"].id, present=True,
                   marked_at=at(11), marked_by="staff:cli"),
        Attendance(session_id=s.id, participant_id=clinic["bo"].id, present=False,
                   marked_at=at(11), marked_by="staff:cli")])
    for key, minutes in (("x", 4), ("y", 10), ("z", None)):
        db_session.add(Alert(
            dedupe_key=key, participant_id=clinic["alex"].id, counselor_id=jordan.id,
            level="urgent" if key != "z" else "crisis", kind="triage", reasons=[],
            state="open" if minutes is None else "acknowledged", created_at=at(3),
            acknowledged_at=None if minutes is None else at(3) + timedelta(minutes=minutes)))
    db_session.commit()
    result = runner.invoke(args=["report", "--from", "2026-11-01", "--to", "2026-11-14"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert lines[0][0] == "week"
    assert lines[1:] == [
        ["2026-10-26", "2", "-", "-", "0", "0", "0", "-"],
        ["2026-11-02", "2", "75%", "-", "1", "2", "0", "7.0"],
        ["2026-11-09", "1", "-", "50%", "0", "0", "0", "-"],
    ]
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "report.viewed"))
