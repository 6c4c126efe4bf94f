"""The counselors page: list with caseloads, add, edit, deactivate with a colleague taking over."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import Alert, AuditEvent, Counselor, OnCallShift, OutboxMessage, Participant
from bot.queries.staffing import counselor_rows
from bot.services.alerts import raise_alert
from bot.services.counselors import caseload
from bot.services.oncall import add_shifts, on_call_now
from tests.conftest import START
from tests.console.conftest import make_alert
from tests.factories import make_counselor, make_participant

TOTP = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def boss(console_client):
    """A signed-in supervisor."""
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


def audit_actions(db_session, actor: str) -> list[str]:
    """What `actor` changed (signing in and page views left out)."""
    return list(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor == actor, AuditEvent.action.not_like("staff.%"),
        AuditEvent.action != "console.view").order_by(AuditEvent.id)))


def table_row(html: str, name: str) -> str:
    """The table row that mentions `name` (after the header line that names who is on call)."""
    return html.split("<tbody>", 1)[1].split(name, 1)[1].split("</tr>", 1)[0]


def test_list_shows_caseload_phone_state_and_on_call(boss, db_session, runtime):
    jordan = make_counselor(db_session, name="Jordan Lee", phone="+14155550101")
    sam = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    make_counselor(db_session, name="Lee Gone", active=False)
    for status in ("active", "paused", "discharged"):
        make_participant(db_session, counselor=jordan, status=status)
    html = boss.get("/console/counselors").get_data(as_text=True)
    row = table_row(html, "Jordan Lee")
    assert "+14155550101" in row and "<td>2</td>" in row and "active" in row
    assert "on call" in table_row(html, "Sam Ortiz") and "on call" not in row
    assert "deactivated" in table_row(html, "Lee Gone") and "deactivated" not in row
    # The one-query caseload count agrees with the service's.
    on_call = {c.id for c in on_call_now(db_session, runtime.program, runtime.now())}
    rows = {r.id: r for r in counselor_rows(db_session, on_call)}
    assert rows[jordan.id].caseload == caseload(db_session, jordan) == 2
    assert rows[sam.id].on_call_now and not rows[jordan.id].on_call_now


def test_add_a_counselor_is_audited_and_bad_input_is_one_line(boss, db_session):
    added = boss.post_form("/console/counselors", {"name": " Riley  Chen ", "phone": "4155550177",
                                                   "supervisor": "on"})
    assert added.status_code == 302
    riley = db_session.scalar(select(Counselor).where(Counselor.phone == "+14155550177"))
    assert riley.name == "Riley Chen" and riley.supervisor and not riley.on_call
    assert audit_actions(db_session, f"console:{boss.staff.id}") == [
        "counselor.added"]
    bad = boss.post_form("/console/counselors", {"name": "Sam", "phone": "12"})
    assert bad.status_code == 400
    assert "Phone is not a valid phone number: &#39;12&#39;" in bad.get_data(as_text=True)
    twice = boss.post_form("/console/counselors", {"name": "Sam", "phone": "+14155550177"})
    assert twice.status_code == 400
    assert "+14155550177 is already enrolled as a counselor" in twice.get_data(as_text=True)
    assert 'value="Sam"' in twice.get_data(as_text=True)  # the form keeps what was typed
    assert db_session.scalar(select(Counselor.id).where(Counselor.name == "Sam")) is None


def test_edit_name_phone_supervisor_and_a_refusal_changes_nothing(boss, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee", phone="+14155550101")
    other = make_counselor(db_session, name="Sam Ortiz")
    page = boss.get(f"/console/counselors/{jordan.id}").get_data(as_text=True)
    assert 'value="Jordan Lee"' in page and 'value="+14155550101"' in page
    done = boss.post_form(f"/console/counselors/{jordan.id}",
                          {"name": "Jordan Lee-Park", "phone": "(415) 555-0102",
                           "supervisor": "on"})
    assert done.status_code == 302
    fresh = db_session.get(Counselor, jordan.id)
    assert (fresh.name, fresh.phone, fresh.supervisor) == ("Jordan Lee-Park", "+14155550102", True)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "counselor.updated"))
    assert event.actor == f"console:{boss.staff.id}"
    assert event.detail["changes"] == ["name", "phone", "supervisor"]
    # A new name with a taken phone: refused, and the name is not half-saved.
    clash = boss.post_form(f"/console/counselors/{jordan.id}",
                           {"name": "Someone Else", "phone": other.phone})
    assert clash.status_code == 400
    assert f"{other.phone} is already enrolled as a counselor" in clash.get_data(as_text=True)
    assert db_session.get(Counselor, jordan.id).name == "Jordan Lee-Park"


def test_deactivate_is_refused_while_they_have_participants(boss, db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    make_participant(db_session, counselor=jordan)
    make_participant(db_session, counselor=jordan)
    refused = boss.post_form(f"/console/counselors/{jordan.id}/deactivate", {"reassign_to": ""})
    assert refused.status_code == 400
    assert ("Jordan Lee still has 2 participant(s): choose a colleague to take them all"
            in refused.get_data(as_text=True))
    assert db_session.get(Counselor, jordan.id).active is True
    self_pick = boss.post_form(f"/console/counselors/{jordan.id}/deactivate",
                               {"reassign_to": str(jordan.id)})
    assert self_pick.status_code == 400
    assert "The colleague must be another counselor" in self_pick.get_data(as_text=True)
    nobody = boss.post_form(f"/console/counselors/{jordan.id}/deactivate",
                            {"reassign_to": "999"})
    assert nobody.status_code == 400
    assert "Choose a colleague from the list" in nobody.get_data(as_text=True)
    assert db_session.get(Counselor, jordan.id).active is True


def test_deactivate_with_a_colleague_moves_participants_and_open_alerts(boss, db_session,
                                                                      runtime):
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bo = make_participant(db_session, counselor=jordan, name="Bo Diaz")
    gone = make_participant(db_session, counselor=jordan, status="discharged")
    add_shifts(db_session, jordan, "all", "00:00-00:00", now=START)
    open_alert = raise_alert(db_session, runtime, participant=alex, level="crisis",
                             kind="triage", reasons=["x"], summary="x", now=START,
                             dedupe_key="k1").alert
    db_session.commit()
    done_alert = make_alert(db_session, bo, state="resolved")
    pending = db_session.scalar(select(OutboxMessage).where(
        OutboxMessage.to_phone == jordan.phone, OutboxMessage.state == "pending"))
    assert pending is not None  # the crisis page to Jordan, not yet sent

    page = boss.get(f"/console/counselors/{jordan.id}").get_data(as_text=True)
    assert "still has 2 participant(s)" in page and f'value="{riley.id}"' in page
    done = boss.post_form(f"/console/counselors/{jordan.id}/deactivate",
                          {"reassign_to": str(riley.id)}, follow_redirects=True)
    assert done.status_code == 200
    assert ("Jordan Lee deactivated: no more pages or on-call shifts. 2 participant(s) and 1 "
            "open alert(s) moved to Riley Chen.") in done.get_data(as_text=True)
    assert db_session.get(Counselor, jordan.id).active is False
    assert {db_session.get(Participant, p.id).counselor_id for p in (alex, bo)} == {riley.id}
    assert db_session.get(Participant, gone.id).counselor_id == jordan.id  # history stays
    assert db_session.get(Alert, open_alert.id).counselor_id == riley.id
    assert db_session.get(Alert, done_alert.id).counselor_id == jordan.id
    # No more pages: the unsent one is withdrawn, Riley is paged instead, the rota is clear.
    assert db_session.get(OutboxMessage, pending.id).state == "cancelled"
    assert db_session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_phone == riley.phone, OutboxMessage.state == "pending")) is not None
    assert db_session.scalars(select(OnCallShift)).all() == []
    assert jordan.id not in {c.id for c in on_call_now(db_session, runtime.program,
                                                        runtime.now())}
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "counselor.deactivated"))
    assert event.actor == f"console:{boss.staff.id}" and event.detail["reassigned_to"] == riley.id
    # A deactivated counselor has no forms any more, and cannot be chosen as a colleague.
    again = boss.get(f"/console/counselors/{jordan.id}").get_data(as_text=True)
    assert "/deactivate" not in again
    other = make_counselor(db_session, name="Max Fox")
    assert f'value="{jordan.id}"' not in boss.get(
        f"/console/counselors/{other.id}").get_data(as_text=True)


def test_roles_and_csrf(console_client, db_session, boss):
    jordan = make_counselor(db_session, name="Jordan Lee")
    counselor = console_client(role="counselor")
    assert counselor.get("/console/counselors").status_code == 403
    assert counselor.get(f"/console/counselors/{jordan.id}").status_code == 403
    assert counselor.post_form(f"/console/counselors/{jordan.id}/deactivate").status_code == 403
    assert counselor.post_form("/console/counselors",
                               {"name": "X Y", "phone": "4155550190"}).status_code == 403
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get("/console/counselors").status_code == 200
    assert boss.get("/console/counselors/999").status_code == 404
    # No CSRF token: 400 and nothing changes.
    assert boss.post(f"/console/counselors/{jordan.id}/deactivate").status_code == 400
    assert boss.post(f"/console/counselors/{jordan.id}",
                     data={"name": "Changed", "phone": jordan.phone}).status_code == 400
    assert boss.post("/console/counselors",
                     data={"name": "X Y", "phone": "4155550190"}).status_code == 400
    fresh = db_session.get(Counselor, jordan.id)
    assert fresh.active is True and fresh.name == "Jordan Lee"
    assert db_session.scalar(select(Counselor.id).where(Counselor.name == "X Y")) is None
    assert audit_actions(db_session, f"console:{boss.staff.id}") == []
