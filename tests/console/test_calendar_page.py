"""The week calendar: what each role sees, adding, moving and cancelling sessions (with the
texts participants get, as from the CLI), reminder status, role checks and CSRF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.models import Group, OutboxMessage
from bot.models.schedule import Fire, TherapySession
from bot.services.schedule.confirmations import record_confirmation
from schedules.sweep import run_pass
from tests.console.calendar_fixtures import *  # noqa: F403  (the clinic, boss, jordan fixtures)
from tests.console.calendar_fixtures import TOTP, actions_by, html, texts_to

WEEK = "/console/calendar?week=2026-11-23"


def add_session(db_session, *, group=None, participant=None, start, hours=1.0, **kw):
    """A stored one-off session or appointment (UTC start)."""
    row = TherapySession(group_id=group.id if group else None,
                         participant_id=participant.id if participant else None,
                         starts_at=start, ends_at=start + timedelta(hours=hours),
                         status="scheduled", revision=0, changed_at=start, created_at=start,
                         **kw)
    db_session.add(row)
    db_session.flush()
    return row


def sessions(db_session) -> list[TherapySession]:
    return list(db_session.scalars(select(TherapySession).order_by(TherapySession.id)))


# --- the week view ------------------------------------------------------------------------

def test_week_shows_weekly_meetings_one_offs_and_appointments(boss, clinic, db_session):
    add_session(db_session, group=clinic["group"], start=datetime(2026, 11, 28, 15, tzinfo=UTC),
                location="Annex")
    add_session(db_session, participant=clinic["dana"],
                start=datetime(2026, 11, 27, 19, tzinfo=UTC))
    page = html(boss.get(WEEK))
    assert "Week of Mon 23 Nov 2026" in page
    days = re.findall(r'<h2 class="dayname">([^<]+)', page)
    assert [d.strip() for d in days] == ["Mon 23 Nov", "Tue 24 Nov", "Wed 25 Nov", "Thu 26 Nov",
                                         "Fri 27 Nov", "Sat 28 Nov", "Sun 29 Nov"]
    thursday = page.split("Thu 26 Nov", 1)[1].split("Fri 27 Nov", 1)[0]
    assert "18:00–21:00" in thursday and "Evening" in thursday and "weekly group" in thursday
    assert "Reminders not due yet" in thursday  # from the pattern, not stored yet
    friday = page.split("Fri 27 Nov", 1)[1].split("Sat 28 Nov", 1)[0]
    assert "14:00–15:00" in friday and "Appointment: Dana Whit" in friday
    saturday = page.split("Sat 28 Nov", 1)[1].split("Sun 29 Nov", 1)[0]
    assert "10:00–11:00" in saturday and "one-off group" in saturday and "Annex" in saturday
    # Monday's and Wednesday's meetings are over and were never stored: not invented.
    monday = page.split("Mon 23 Nov", 1)[1].split("Tue 24 Nov", 1)[0]
    assert "Evening" not in monday
    assert 'href="/console/calendar?week=2026-11-16"' in page  # previous week
    assert 'href="/console/calendar?week=2026-11-30"' in page  # next week


def test_next_week_shows_the_weekly_pattern(boss, clinic, db_session):
    page = html(boss.get("/console/calendar?week=2026-12-02"))  # any day of the week works
    assert "Week of Mon 30 Nov 2026" in page
    week = page.split('<ol class="week">', 1)[1].split("</ol>", 1)[0]
    names = ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec", "Thu 3 Dec", "Fri 4 Dec", "Sat 5 Dec",
             "Sun 6 Dec", "</ol>"]
    met = [day for day, after in zip(names, names[1:], strict=False)
           if "Evening" in (week + "</ol>").split(day, 1)[1].split(after, 1)[0]]
    assert met == ["Mon 30 Nov", "Wed 2 Dec", "Thu 3 Dec"]


def test_counselor_sees_groups_and_own_appointments_only(jordan, clinic, db_session):
    add_session(db_session, participant=clinic["chris"],
                start=datetime(2026, 11, 27, 16, tzinfo=UTC))
    add_session(db_session, participant=clinic["dana"],
                start=datetime(2026, 11, 27, 19, tzinfo=UTC))
    page = html(jordan.get(WEEK))
    assert "Appointment: Chris Moreno" in page and "Evening" in page
    assert "Dana" not in page and "Bea" not in page  # Sam's participants are never named
    assert "14:00–15:00" not in page  # and Dana's appointment is not shown at all
    views = actions_by(db_session, f"console:{jordan.staff.id}", "console.view")
    assert {v.participant_id for v in views} == {None, clinic["chris"].id}


def test_a_busy_week_lists_appointments_one_counselor_at_a_time(boss, clinic, db_session,
                                                                 monkeypatch):
    from bot.console.views import calendar as calendar_view

    add_session(db_session, participant=clinic["chris"],
                start=datetime(2026, 11, 27, 16, tzinfo=UTC))
    add_session(db_session, participant=clinic["dana"],
                start=datetime(2026, 11, 27, 19, tzinfo=UTC))
    listed = html(boss.get(WEEK))
    assert "Appointment: Chris Moreno" in listed and "Appointment: Dana Whit" in listed
    monkeypatch.setattr(calendar_view, "LIST_LIMIT", 1)
    busy = html(boss.get(WEEK))
    friday = busy.split("Fri 27 Nov", 1)[1].split("Sat 28 Nov", 1)[0]
    assert "2 individual appointments: choose a counselor above" in friday
    assert "Chris" not in busy and "Dana" not in busy and "Evening" in busy
    views = actions_by(db_session, f"console:{boss.staff.id}", "console.view")
    assert [v.participant_id for v in views if v.participant_id] == sorted(
        [clinic["chris"].id, clinic["dana"].id])  # from the first, listing, page only
    jordans = html(boss.get(f"{WEEK}&counselor={clinic['jordan'].id}"))
    assert "Appointment: Chris Moreno" in jordans and "Dana" not in jordans
    assert f"/console/calendar?week=2026-11-30&amp;counselor={clinic['jordan'].id}" in jordans


def test_reminder_status_counts_per_session(boss, clinic, db_session, runtime, clock):
    # Friday 10:00 local: its 24-hour reminder is due now, for both members.
    row = add_session(db_session, group=clinic["group"],
                      start=datetime(2026, 11, 27, 15, tzinfo=UTC))
    run_pass(runtime, clock(), paced=False)
    fires = db_session.scalars(select(Fire).where(Fire.session_id == row.id)).all()
    assert len(fires) == 2 and {f.state for f in fires} == {"done"}
    # The 2-hour reminder of another session is still to come.
    later = add_session(db_session, group=clinic["group"],
                        start=datetime(2026, 11, 28, 20, tzinfo=UTC))
    db_session.add(Fire(key=f"reminder:{later.id}:0:{clinic['alex'].id}:120", kind="reminder",
                        participant_id=clinic["alex"].id, session_id=later.id,
                        due_at=later.starts_at - timedelta(hours=2), state="pending"))
    db_session.flush()
    with runtime.Session() as s, s.begin():
        therapy = s.get(TherapySession, row.id)
        record_confirmation(s, runtime.program, s.merge(clinic["alex"]), therapy, True, clock())
        record_confirmation(s, runtime.program, s.merge(clinic["bea"]), therapy, False, clock())
    page = html(boss.get(WEEK))
    friday = page.split("Fri 27 Nov", 1)[1].split("Sat 28 Nov", 1)[0]
    sent = db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "reminder", OutboxMessage.state == "sent"))
    assert f"✉ {sent} sent" in friday and "○ 0 queued" in friday
    assert "✓ 1 confirmed" in friday and "✗ 1 can't make it" in friday
    saturday = page.split("Sat 28 Nov", 1)[1].split("Sun 29 Nov", 1)[0]
    assert "○ 1 queued" in saturday and "✉ 0 sent" in saturday
    # One reminder refused by Twilio, one still waiting for the sender.
    first, second = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)).all()
    first.state, second.state = "failed", "pending"
    db_session.flush()
    friday = html(boss.get(WEEK)).split("Fri 27 Nov", 1)[1].split("Sat 28 Nov", 1)[0]
    assert "⚠ 1 not sent" in friday and "○ 1 queued" in friday and "✉ 0 sent" in friday


def test_bad_week_is_400_and_admin_is_refused(boss, console_client, clinic):
    assert boss.get("/console/calendar?week=next").status_code == 400
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get(WEEK).status_code == 403


def test_signed_out_is_sent_to_login(client, clinic):
    response = client.get(WEEK)
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


# --- adding -------------------------------------------------------------------------------

def test_supervisor_adds_a_weekly_group(boss, db_session):
    response = boss.post_form("/console/calendar/groups", {
        "name": "Morning B", "weekly": "Tue, Fri 09:30-12:00", "timezone": "America/New_York",
        "location": "Room 5", "week": "2026-11-30"})
    assert response.status_code == 302
    group = db_session.scalars(select(Group).where(Group.name == "Morning B")).one()
    assert group.weekly == "tue,fri 09:30-12:00"
    assert [e.subject_id for e in actions_by(db_session, f"console:{boss.staff.id}",
                                             "group.added")] == [group.id]
    page = html(boss.get("/console/calendar?week=2026-11-30"))
    assert "Group Morning B added, meeting tue,fri 09:30-12:00." in page
    assert page.count("Morning B") >= 2 + 1  # tuesday, friday (+ the flash)


@pytest.mark.parametrize(("weekly", "message"), [
    ("mon,funday 18:00-21:00", "unknown day &#39;funday&#39; in weekly pattern"),
    ("mon 21:00-18:00", "ends before it starts"),
])
def test_bad_weekly_pattern_is_the_cli_line(boss, db_session, weekly, message):
    before = db_session.scalar(select(func.count()).select_from(Group))
    response = boss.post_form("/console/calendar/groups", {"name": "X", "weekly": weekly})
    assert response.status_code == 400 and message in html(response)
    assert db_session.scalar(select(func.count()).select_from(Group)) == before


def test_supervisor_adds_a_one_off_group_session(boss, clinic, db_session):
    response = boss.post_form("/console/calendar/sessions", {
        "kind": "group", "group_id": clinic["group"].id, "day": "2026-12-05", "start": "10:00",
        "end": "11:30", "location": "Annex", "week": "2026-11-23"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/calendar?week=2026-12-05")
    row = sessions(db_session)[-1]
    assert (row.group_id, row.starts_at, row.location) == (
        clinic["group"].id, datetime(2026, 12, 5, 15, tzinfo=UTC), "Annex")
    assert actions_by(db_session, f"console:{boss.staff.id}", "session.added")


@pytest.mark.parametrize(("day", "start", "end", "message"), [
    ("2026-12-05", "12:00", "11:00", "the session must end after it starts"),
    ("2026-12-03", "20:00", "22:00", "overlaps the weekly meeting on 2026-12-03"),
    ("tomorrow", "10:00", "11:00", "not an ISO-8601 date-time: &#39;tomorrowT10:00&#39;"),
])
def test_add_session_errors_are_the_cli_lines(boss, clinic, db_session, day, start, end,
                                              message):
    response = boss.post_form("/console/calendar/sessions", {
        "kind": "group", "group_id": clinic["group"].id, "day": day, "start": start,
        "end": end})
    assert response.status_code == 400
    assert f'<p class="error" role="alert">{message}' in html(response)
    assert sessions(db_session) == []


def test_counselor_adds_an_appointment_for_their_own_participant(jordan, clinic, db_session):
    response = jordan.post_form("/console/calendar/sessions", {
        "kind": "appointment", "participant_id": clinic["chris"].id, "day": "2026-11-30",
        "start": "13:00", "end": "14:00"})
    assert response.status_code == 302
    row = sessions(db_session)[-1]
    assert row.participant_id == clinic["chris"].id and row.group_id is None
    assert "Appointment with Chris Moreno added" in html(jordan.get(response.headers["Location"]))


def test_counselor_cannot_add_for_others_or_group_sessions(jordan, clinic, db_session):
    other = jordan.post_form("/console/calendar/sessions", {
        "kind": "appointment", "participant_id": clinic["dana"].id, "day": "2026-11-30",
        "start": "13:00", "end": "14:00"})
    assert other.status_code == 400 and "choose one of your participants" in html(other)
    group = jordan.post_form("/console/calendar/sessions", {
        "kind": "group", "group_id": clinic["group"].id, "day": "2026-12-05", "start": "10:00",
        "end": "11:00"})
    assert group.status_code == 403
    assert jordan.post_form("/console/calendar/groups", {"name": "Mine"}).status_code == 403
    assert sessions(db_session) == []


def test_supervisor_adds_an_appointment_by_phone(boss, clinic, db_session):
    missing = boss.post_form("/console/calendar/sessions", {
        "kind": "appointment", "phone": "+14155550999", "day": "2026-11-30", "start": "13:00",
        "end": "14:00"})
    assert missing.status_code == 400 and "no participant with phone +14155550999" in html(missing)
    ok = boss.post_form("/console/calendar/sessions", {
        "kind": "appointment", "phone": clinic["dana"].phone, "day": "2026-11-30",
        "start": "13:00", "end": "14:00"})
    assert ok.status_code == 302 and sessions(db_session)[-1].participant_id == clinic["dana"].id


# --- moving and cancelling ----------------------------------------------------------------

def test_supervisor_moves_a_group_session_and_members_are_told(boss, clinic, db_session):
    row = add_session(db_session, group=clinic["group"], start=datetime(2026, 11, 28, 15,
                                                                         tzinfo=UTC))
    response = boss.post_form(f"/console/sessions/{row.id}/move", {
        "day": "2026-11-29", "start": "11:00", "end": "12:00"})
    assert response.status_code == 302
    assert db_session.get(TherapySession, row.id).starts_at == datetime(2026, 11, 29, 16,
                                                                         tzinfo=UTC)
    for person in (clinic["alex"], clinic["bea"]):
        [body] = texts_to(db_session, person.phone, "session.moved")
        assert "Sat Nov 28 10:00 AM" in body and "Sun Nov 29 11:00 AM" in body
    page = html(boss.get(response.headers["Location"]))
    assert f"Session {row.id} moved; 2 participant(s) will be told." in page
    assert actions_by(db_session, f"console:{boss.staff.id}", "session.moved")


def test_moving_a_weekly_meeting_stores_it_under_its_occurrence(boss, clinic, db_session):
    ref = f"g{clinic['group'].id}-2026-11-30"
    page = html(boss.get(f"/console/sessions/{ref}"))
    assert "Weekly group meeting" in page and "Move session" in page
    response = boss.post_form(f"/console/sessions/{ref}/move", {
        "day": "2026-12-01", "start": "18:00", "end": "21:00"})
    assert response.status_code == 302
    row = sessions(db_session)[-1]
    assert row.occurrence_key == f"weekly:{clinic['group'].id}:2026-11-30T18:00"
    assert row.starts_at == datetime(2026, 12, 1, 23, tzinfo=UTC) and row.revision == 1
    assert len(texts_to(db_session, clinic["alex"].phone, "session.moved")) == 1
    week = html(boss.get("/console/calendar?week=2026-11-30"))
    monday = week.split("Mon 30 Nov", 1)[1].split("Tue 1 Dec", 1)[0]
    tuesday = week.split("Tue 1 Dec", 1)[1].split("Wed 2 Dec", 1)[0]
    assert "Evening" not in monday and "18:00–21:00" in tuesday  # moved, not shown twice


def test_cancel_tells_members_and_a_second_cancel_is_the_cli_line(boss, clinic, db_session):
    row = add_session(db_session, group=clinic["group"], start=datetime(2026, 11, 28, 15,
                                                                         tzinfo=UTC))
    assert boss.post_form(f"/console/sessions/{row.id}/cancel").status_code == 302
    assert db_session.get(TherapySession, row.id).status == "cancelled"
    assert texts_to(db_session, clinic["bea"].phone, "session.cancelled") == [
        "Update: group Sat Nov 28 10:00 AM is cancelled. No need to come in."]
    again = boss.post_form(f"/console/sessions/{row.id}/cancel")
    assert again.status_code == 400 and f"session {row.id} is already cancelled" in html(again)
    week = html(boss.get(WEEK))
    assert "<s>cancelled</s>" in week


def test_move_error_is_the_cli_line_and_nothing_changes(boss, clinic, db_session):
    row = add_session(db_session, group=clinic["group"], start=datetime(2026, 11, 28, 15,
                                                                         tzinfo=UTC))
    response = boss.post_form(f"/console/sessions/{row.id}/move", {
        "day": "2026-11-29", "start": "12:00", "end": "11:00"})
    assert response.status_code == 400
    assert "the session must end after it starts" in html(response)
    assert db_session.get(TherapySession, row.id).revision == 0
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_counselor_moves_own_appointment_but_not_groups_or_others(jordan, clinic, db_session):
    mine = add_session(db_session, participant=clinic["chris"],
                       start=datetime(2026, 11, 27, 16, tzinfo=UTC))
    theirs = add_session(db_session, participant=clinic["dana"],
                         start=datetime(2026, 11, 27, 19, tzinfo=UTC))
    group = add_session(db_session, group=clinic["group"],
                        start=datetime(2026, 11, 28, 15, tzinfo=UTC))
    ok = jordan.post_form(f"/console/sessions/{mine.id}/move", {
        "day": "2026-11-27", "start": "15:00", "end": "16:00"})
    assert ok.status_code == 302
    assert texts_to(db_session, clinic["chris"].phone, "session.moved")
    assert jordan.get(f"/console/sessions/{theirs.id}").status_code == 404
    assert jordan.post_form(f"/console/sessions/{theirs.id}/cancel").status_code == 404
    page = html(jordan.get(f"/console/sessions/{group.id}"))
    assert "Move session" not in page and "Supervisors move and cancel group sessions" in page
    assert jordan.post_form(f"/console/sessions/{group.id}/cancel").status_code == 403
    assert db_session.get(TherapySession, theirs.id).status == "scheduled"
    assert db_session.get(TherapySession, group.id).status == "scheduled"


# --- CSRF ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/calendar/groups", "/console/calendar/sessions",
                                  "/console/sessions/{sid}/move", "/console/sessions/{sid}/cancel"])
def test_post_without_csrf_token_is_400_and_changes_nothing(boss, clinic, db_session, path):
    row = add_session(db_session, group=clinic["group"], start=datetime(2026, 11, 28, 15,
                                                                         tzinfo=UTC))
    response = boss.post(path.format(sid=row.id), data={
        "name": "Sneaky", "weekly": "mon 10:00-11:00", "kind": "group",
        "group_id": clinic["group"].id, "day": "2026-12-07", "start": "10:00", "end": "11:00"})
    assert response.status_code == 400
    assert [(s.id, s.status, s.revision) for s in sessions(db_session)] == [
        (row.id, "scheduled", 0)]
    assert db_session.scalar(select(func.count()).select_from(Group)) == 1
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
