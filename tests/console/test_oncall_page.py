"""The on-call page: who is on call now (rota, overrides, flags), and editing the rota."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, OnCallOverride, OnCallShift
from bot.services.oncall import on_call_now
from tests.factories import make_counselor

# START is Thursday 26 Nov 2026 10:00 in New York (the clinic's zone).
TOTP = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def boss(console_client):
    """A signed-in supervisor."""
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


@pytest.fixture
def team(db_session):
    """Sam (enrolled --on-call) and Riley (not)."""
    return {"sam": make_counselor(db_session, name="Sam Ortiz", on_call=True),
            "riley": make_counselor(db_session, name="Riley Chen")}


def now_section(html: str) -> str:
    """The 'On call now' panel of the page."""
    return html.split('id="now"', 1)[1].split("</section>", 1)[0]


def header_line(html: str) -> str:
    """The 'On call now' line every page shows under the top bar."""
    return html.split('class="oncall-now"', 1)[1].split("</p>", 1)[0]


def test_a_counselor_sees_who_is_on_call_but_cannot_edit(console_client, db_session, team):
    jordan = console_client(role="counselor")
    html = jordan.get("/console/oncall").get_data(as_text=True)
    assert "Sam Ortiz" in now_section(html) and "Riley Chen" not in now_section(html)
    assert "No weekly rota" in now_section(html)
    assert "Add a weekly shift" not in html and "Remove" not in html
    refused = jordan.post_form("/console/oncall/shifts", {
        "counselor": str(team["riley"].id), "days": "thu", "starts": "09:00", "ends": "17:00"})
    assert refused.status_code == 403
    assert db_session.scalars(select(OnCallShift)).all() == []


def test_rota_then_override_decide_who_is_on_call(boss, db_session, runtime, team):
    riley, sam = team["riley"], team["sam"]
    added = boss.post_form("/console/oncall/shifts", {
        "counselor": str(riley.id), "days": ["wed", "thu"], "starts": "09:00", "ends": "17:00"},
        follow_redirects=True)
    html = added.get_data(as_text=True)
    assert "Riley Chen is on call 09:00-17:00 on 2 weekday(s)." in html
    shifts = db_session.scalars(select(OnCallShift).order_by(OnCallShift.weekday)).all()
    assert [(s.weekday, s.starts, s.ends) for s in shifts] == [(2, "09:00", "17:00"),
                                                                 (3, "09:00", "17:00")]
    # With a rota, Sam's --on-call flag no longer counts: Riley is on call (10:00 Thursday).
    assert "Riley Chen" in now_section(html) and "Sam Ortiz" not in now_section(html)
    assert "Riley Chen" in header_line(html) and "Sam Ortiz" not in header_line(html)
    assert "Wednesday" in html and "09:00–17:00" in html

    # An override (clinic time) replaces the rota while it runs.
    over = boss.post_form("/console/oncall/overrides", {
        "counselor": str(sam.id), "starts_at": "2026-11-26T09:30", "ends_at": "2026-11-26T12:00",
        "note": "Riley at training"}, follow_redirects=True)
    html = over.get_data(as_text=True)
    row = db_session.scalar(select(OnCallOverride))
    assert row.starts_at == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # 09:30 in New York
    assert row.ends_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert "Sam Ortiz" in now_section(html) and "Riley Chen" not in now_section(html)
    assert "override replaces the weekly rota" in now_section(html)
    assert "Sam Ortiz" in header_line(html) and "Riley at training" in html
    assert [c.name for c in on_call_now(db_session, runtime.program, runtime.now())] == [
        "Sam Ortiz"]

    boss.post_form(f"/console/oncall/overrides/{row.id}/remove")
    html = boss.get("/console/oncall").get_data(as_text=True)
    assert "Riley Chen" in now_section(html) and "Sam Ortiz" not in now_section(html)
    for shift in shifts:
        assert boss.post_form(f"/console/oncall/shifts/{shift.id}/remove").status_code == 302
    html = boss.get("/console/oncall").get_data(as_text=True)
    assert "Sam Ortiz" in now_section(html)  # no rota left: the flag counts again
    actor = f"console:{boss.staff.id}"
    assert list(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor == actor, AuditEvent.action.like("oncall.%")).order_by(
        AuditEvent.id))) == ["oncall.shift_added", "oncall.override_added",
                             "oncall.override_removed", "oncall.shift_removed",
                             "oncall.shift_removed"]


@pytest.mark.parametrize(("form", "message"), [
    ({"days": [], "starts": "09:00", "ends": "17:00"}, "Give at least one weekday"),
    ({"days": ["mon"], "starts": "9am", "ends": "17:00"}, "9am"),
    ({"counselor": "", "days": ["mon"], "starts": "09:00", "ends": "17:00"},
     "Choose a counselor from the list"),
])
def test_shift_refusals_are_one_line_and_change_nothing(boss, db_session, team, form, message):
    data = {"counselor": str(team["riley"].id), **form}
    refused = boss.post_form("/console/oncall/shifts", data)
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert db_session.scalars(select(OnCallShift)).all() == []


@pytest.mark.parametrize(("starts", "ends", "message"), [
    ("2026-11-26T12:00", "2026-11-26T09:00", "The end must be after the start"),
    ("2026-11-20T09:00", "2026-11-21T09:00", "That override is already over"),
    ("", "2026-11-27T09:00", "Give the start date and time"),
    ("tomorrow", "2026-11-27T09:00", "The start is not a date and time"),
])
def test_override_refusals(boss, db_session, team, starts, ends, message):
    refused = boss.post_form("/console/oncall/overrides", {
        "counselor": str(team["sam"].id), "starts_at": starts, "ends_at": ends})
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert db_session.scalars(select(OnCallOverride)).all() == []


def test_deactivated_counselor_cannot_go_on_call_and_unknown_rows(boss, db_session):
    gone = make_counselor(db_session, name="Lee Gone", active=False)
    html = boss.get("/console/oncall").get_data(as_text=True)
    assert "Lee Gone" not in html  # not offered
    refused = boss.post_form("/console/oncall/shifts", {
        "counselor": str(gone.id), "days": "mon", "starts": "09:00", "ends": "17:00"})
    assert refused.status_code == 400
    assert "Lee Gone is deactivated and cannot be on call" in refused.get_data(as_text=True)
    missing = boss.post_form("/console/oncall/shifts/999/remove")
    assert missing.status_code == 400
    assert "There is no on-call shift 999" in missing.get_data(as_text=True)


def test_posts_need_the_csrf_token_and_an_editor_role(console_client, db_session, team):
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get("/console/oncall").status_code == 200
    data = {"counselor": str(team["riley"].id), "days": "thu", "starts": "09:00",
            "ends": "17:00"}
    assert admin.post("/console/oncall/shifts", data=data).status_code == 400
    assert db_session.scalars(select(OnCallShift)).all() == []
    assert admin.post_form("/console/oncall/shifts", data).status_code == 302
    shift = db_session.scalar(select(OnCallShift))
    assert admin.post(f"/console/oncall/shifts/{shift.id}/remove").status_code == 400
    assert db_session.get(OnCallShift, shift.id) is not None
    counselor = console_client(role="counselor")
    assert counselor.post_form(f"/console/oncall/shifts/{shift.id}/remove").status_code == 403
    assert db_session.get(OnCallShift, shift.id) is not None
