"""The exports page: the same CSV as `iopbot csv KIND`, audited with the staff member."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.models import AuditEvent
from bot.models.schedule import Attendance, TherapySession
from tests.console.conftest import make_alert
from tests.factories import make_counselor, make_group, make_participant
from tests.test_family_support import add_checkin

TOTP = "JBSWY3DPEHPK3PXP"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def clinic(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bo = make_participant(db_session, counselor=jordan, name="=HYPERLINK(1)")
    group = make_group(db_session, name="Evening")
    group_session = TherapySession(group_id=group.id,
                                   starts_at=datetime(2026, 11, 10, 23, tzinfo=UTC),
                                   ends_at=datetime(2026, 11, 11, 2, tzinfo=UTC))
    db_session.add(group_session)
    db_session.flush()
    for person, present in ((alex, True), (bo, False)):
        db_session.add(Attendance(session_id=group_session.id, participant_id=person.id,
                                  present=present, marked_at=group_session.starts_at,
                                  marked_by="staff:cli"))
    add_checkin(db_session, alex.id, datetime(2026, 11, 3, 22, tzinfo=UTC), answered=True,
                craving=6, mood=3, used=False)
    add_checkin(db_session, alex.id, datetime(2026, 11, 4, 22, tzinfo=UTC), answered=False)
    make_alert(db_session, alex, level="urgent",
               created_at=datetime(2026, 11, 12, 15, tzinfo=UTC))
    db_session.flush()
    return {"alex": alex}


@pytest.fixture
def boss(console_client):
    return console_client(role="supervisor", totp_secret=TOTP)


@pytest.mark.parametrize("kind", ["attendance", "checkin-adherence", "craving-trend", "alerts"])
def test_download_is_the_same_as_the_cli(boss, runner, clinic, kind):
    response = boss.post_form("/console/exports", {"kind": kind, **NOV})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="iopbot-{kind}-2026-11-01-to-2026-11-30.csv"')
    cli = runner.invoke(args=["csv", kind, "--from", NOV["from"], "--to", NOV["to"]])
    assert cli.exit_code == 0, cli.output
    assert response.get_data(as_text=True) == cli.output
    assert response.get_data(as_text=True).count("\n") >= 2  # a header and rows


def test_attendance_rows_and_the_audit_event(boss, clinic, db_session):
    body = boss.post_form("/console/exports", {"kind": "attendance", **NOV}).get_data(
        as_text=True)
    lines = body.splitlines()
    assert lines[0].startswith("session_id,session_start,group,participant_id")
    assert len(lines) == 3 and "Alex Rivera" in body and "'=HYPERLINK(1)" in body
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "export.written"))
    assert event.staff_id == boss.staff.id and event.actor == f"console:{boss.staff.id}"
    assert event.detail == {"export": "attendance", "first": "2026-11-01",
                            "last": "2026-11-30", "rows": 2}


@pytest.mark.parametrize("form, message", [
    ({"kind": "everything", **NOV}, "Choose one of the exports."),
    ({"kind": "alerts", "from": "2026-11-30", "to": "2026-11-01"},
     "“To” must not be before “From”"),
    ({"kind": "alerts", "from": "2025-01-01", "to": "2026-11-30"}, "at most 366 days"),
    ({"kind": "alerts", "from": "last week", "to": "2026-11-30"}, "Dates must be YYYY-MM-DD."),
])
def test_bad_forms_are_explained_and_not_audited(boss, clinic, db_session, form, message):
    response = boss.post_form("/console/exports", form)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "export.written")) == 0


def test_csrf_and_roles(console_client, boss, clinic, db_session):
    assert boss.post("/console/exports", data={"kind": "attendance", **NOV}).status_code == 400
    counselor = console_client(role="counselor")
    assert counselor.get("/console/exports").status_code == 403
    assert counselor.post_form("/console/exports",
                               {"kind": "attendance", **NOV}).status_code == 403
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "export.written")) == 0
    admin = console_client(role="admin", totp_secret=TOTP)
    page = admin.get("/console/exports").get_data(as_text=True)
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page  # this month
    assert admin.post_form("/console/exports", {"kind": "alerts", **NOV}).status_code == 200
