"""Taking attendance in the console: the roster with reminder answers, one form, the alerts of
`iopbot attendance mark`, who may mark whom, and CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.models import Alert
from bot.models.schedule import Attendance, TherapySession
from bot.services.schedule.confirmations import record_confirmation
from tests.console.calendar_fixtures import *  # noqa: F403  (the clinic, boss, jordan fixtures)
from tests.console.calendar_fixtures import actions_by, html

# The clock stays at START (Thu 26 Nov, 10:00 in New York): moving it hours on would sign the
# staff out for being idle. These sessions began at 09:00 and 07:00 that morning.
STARTED = datetime(2026, 11, 26, 14, tzinfo=UTC)
EARLIER = datetime(2026, 11, 26, 12, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 15, tzinfo=UTC)  # Fri 27 Nov, 10:00: not started yet


def group_session(db_session, clinic, start=STARTED) -> TherapySession:
    row = TherapySession(group_id=clinic["group"].id, starts_at=start,
                         ends_at=start + timedelta(hours=2), status="scheduled", revision=0,
                         changed_at=start, created_at=start)
    db_session.add(row)
    db_session.flush()
    return row


def marks(db_session, session_id) -> dict[int, tuple[bool, bool]]:
    return {a.participant_id: (a.present, a.excused) for a in db_session.scalars(
        select(Attendance).where(Attendance.session_id == session_id))}


def alerts(db_session) -> list[Alert]:
    return list(db_session.scalars(select(Alert).order_by(Alert.id)))


def test_before_the_session_starts_there_is_no_form(boss, clinic, db_session):
    row = group_session(db_session, clinic, start=FRIDAY)
    page = html(boss.get(f"/console/sessions/{row.id}/attendance"))
    assert "This session has not started yet" in page and "Fri 27 Nov at 10:00" in page
    assert 'type="radio"' not in page and "Save attendance" not in page
    refused = boss.post_form(f"/console/sessions/{row.id}/attendance",
                             {f"p{clinic['alex'].id}": "present"})
    assert refused.status_code == 400 and f"session {row.id} has not started yet" in html(refused)
    assert marks(db_session, row.id) == {}


def test_roster_shows_every_member_with_their_reminder_answer(boss, clinic, db_session,
                                                               runtime, clock):
    row = group_session(db_session, clinic)
    with runtime.Session() as s, s.begin():
        therapy = s.get(TherapySession, row.id)
        record_confirmation(s, runtime.program, s.merge(clinic["bea"]), therapy, False, clock())
    page = html(boss.get(f"/console/sessions/{row.id}/attendance"))
    assert page.count('type="radio"') == 2 * 3
    bea = page.split("Bea Stone", 1)[1].split("</tr>", 1)[0]
    alex = page.split("Alex Rivera", 1)[1].split("</tr>", 1)[0]
    assert "can't make it" in bea and "no answer" in alex
    assert {e.participant_id for e in actions_by(db_session, f"console:{boss.staff.id}",
                                                 "console.view")} == {clinic["alex"].id,
                                                                      clinic["bea"].id}


def test_marking_raises_the_same_alert_as_the_cli(boss, clinic, db_session, runtime, clock,
                                                  runner):
    first = group_session(db_session, clinic)
    second = group_session(db_session, clinic, start=EARLIER)
    response = boss.post_form(f"/console/sessions/{first.id}/attendance",
                              {f"p{clinic['alex'].id}": "absent",
                               f"p{clinic['bea'].id}": "present"})
    assert response.status_code == 302
    assert marks(db_session, first.id) == {clinic["alex"].id: (False, False),
                                          clinic["bea"].id: (True, False)}
    console_alert = alerts(db_session)[-1]
    cli = runner.invoke(args=["attendance", "mark", "--session", str(second.id),
                              "--participant", clinic["alex"].phone, "--absent"])
    assert cli.exit_code == 0 and "counselor alerted" in cli.output
    cli_alert = alerts(db_session)[-1]
    assert cli_alert.id != console_alert.id
    same = ("participant_id", "counselor_id", "level", "kind", "reasons")
    assert [getattr(console_alert, f) for f in same] == [getattr(cli_alert, f) for f in same]
    assert console_alert.summary == "missed group Thu Nov 26 9:00 AM"
    page = html(boss.get(response.headers["Location"]))
    assert "Attendance saved: 1 present, 1 absent." in page and "counselor is alerted" in page
    events = actions_by(db_session, f"console:{boss.staff.id}", "attendance.marked")
    assert sorted(e.participant_id for e in events) == sorted([clinic["alex"].id,
                                                               clinic["bea"].id])


def test_announced_or_excused_absences_raise_no_alert(boss, clinic, db_session, runtime, clock):
    row = group_session(db_session, clinic)
    with runtime.Session() as s, s.begin():
        therapy = s.get(TherapySession, row.id)
        record_confirmation(s, runtime.program, s.merge(clinic["bea"]), therapy, False, clock())
    before = len(alerts(db_session))
    response = boss.post_form(f"/console/sessions/{row.id}/attendance",
                              {f"p{clinic['alex'].id}": "excused",
                               f"p{clinic['bea'].id}": "absent"})
    assert response.status_code == 302
    assert marks(db_session, row.id) == {clinic["alex"].id: (False, True),
                                        clinic["bea"].id: (False, False)}
    assert len(alerts(db_session)) == before
    page = html(boss.get(response.headers["Location"]))
    alex = page.split("Alex Rivera", 1)[1].split("</tr>", 1)[0]
    assert 'value="excused" checked' in alex
    # Re-sending the same marks changes nothing and records nothing.
    boss.post_form(f"/console/sessions/{row.id}/attendance",
                   {f"p{clinic['alex'].id}": "excused", f"p{clinic['bea'].id}": "absent"})
    assert len(actions_by(db_session, f"console:{boss.staff.id}", "attendance.marked")) == 2


def test_counselor_marks_only_their_own_participants(jordan, clinic, db_session, clock):
    row = group_session(db_session, clinic)
    page = html(jordan.get(f"/console/sessions/{row.id}/attendance"))
    assert "Alex Rivera" in page and "Bea" not in page
    assert "1 other participant in this group is on other counselors' caseloads" in page
    response = jordan.post_form(f"/console/sessions/{row.id}/attendance", {
        f"p{clinic['alex'].id}": "present", f"p{clinic['bea'].id}": "absent"})
    assert response.status_code == 302
    assert marks(db_session, row.id) == {clinic["alex"].id: (True, False)}  # Bea untouched
    assert alerts(db_session) == []


def test_counselor_cannot_open_another_counselors_appointment(jordan, clinic, db_session,
                                                              clock):
    row = TherapySession(participant_id=clinic["dana"].id, starts_at=STARTED,
                         ends_at=STARTED + timedelta(hours=1), status="scheduled", revision=0,
                         changed_at=STARTED, created_at=STARTED)
    db_session.add(row)
    db_session.flush()
    assert jordan.get(f"/console/sessions/{row.id}/attendance").status_code == 404
    assert jordan.post_form(f"/console/sessions/{row.id}/attendance",
                            {f"p{clinic['dana'].id}": "absent"}).status_code == 404
    assert marks(db_session, row.id) == {}


def test_weekly_meeting_not_yet_stored_is_stored_when_marked(boss, clinic, db_session):
    clinic["group"].weekly = "thu 09:30-12:00"  # in the meeting now (10:00 local)
    db_session.flush()
    ref = f"g{clinic['group'].id}-2026-11-26"
    assert 'type="radio"' in html(boss.get(f"/console/sessions/{ref}/attendance"))
    response = boss.post_form(f"/console/sessions/{ref}/attendance",
                              {f"p{clinic['alex'].id}": "present"})
    stored = db_session.scalars(select(TherapySession)).one()
    assert stored.occurrence_key == f"weekly:{clinic['group'].id}:2026-11-26T09:30"
    assert response.headers["Location"].endswith(f"/console/sessions/{stored.id}/attendance")
    assert marks(db_session, stored.id) == {clinic["alex"].id: (True, False)}


def test_attendance_post_without_csrf_is_400_and_changes_nothing(boss, clinic, db_session,
                                                                 clock):
    row = group_session(db_session, clinic)
    response = boss.post(f"/console/sessions/{row.id}/attendance",
                         data={f"p{clinic['alex'].id}": "absent"})
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert alerts(db_session) == []


def test_cancelled_session_has_no_roster(boss, clinic, db_session, clock):
    row = group_session(db_session, clinic)
    row.status = "cancelled"
    db_session.flush()
    page = html(boss.get(f"/console/sessions/{row.id}/attendance"))
    assert "was cancelled" in page and 'type="radio"' not in page
