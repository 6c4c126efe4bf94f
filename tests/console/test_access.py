"""can_view: one rule for who may see a participant (and alert_scope for alerts), table-driven."""

from __future__ import annotations

import pytest

from bot.console.access import can_view, can_view_alert
from tests.console.conftest import make_alert, make_staff
from tests.factories import make_counselor, make_participant

# (case, role, relationship of the staff member's counselor row to the participant, sees?)
CASES = [
    ("own caseload", "counselor", "assigned", True),
    ("another counselor's participant", "counselor", "stranger", False),
    ("texted about an alert by the ladder", "counselor", "notified", True),
    ("alert assigned to them (covering)", "counselor", "alert_assigned", True),
    ("on call, open alert", "counselor", "on_call_open", True),
    ("on call, alert already resolved", "counselor", "on_call_resolved", False),
    ("on call, no alert", "counselor", "on_call_none", False),
    ("counselor account without a counselor row", "counselor", "no_row", False),
    ("supervisor sees all", "supervisor", "stranger", True),
    ("admin sees no clinical content", "admin", "stranger", False),
    ("admin even with a counselor row", "admin", "assigned", False),
]


@pytest.mark.parametrize(("case", "role", "relation", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_can_view(db_session, case, role, relation, expected):
    mine = make_counselor(db_session, name="Me", on_call=relation.startswith("on_call"))
    other = make_counselor(db_session, name="Other")
    owner = mine if relation == "assigned" else other
    alex = make_participant(db_session, counselor=owner)
    if relation == "notified":
        make_alert(db_session, alex, notified=[mine])
    elif relation == "alert_assigned":
        make_alert(db_session, alex, counselor_id=mine.id)
    elif relation == "on_call_open":
        make_alert(db_session, alex)
    elif relation == "on_call_resolved":
        make_alert(db_session, alex, state="resolved")
    if relation == "no_row":
        staff = make_staff(db_session, role=role, counselor=other)
        staff.counselor_id = None
        db_session.flush()
    else:
        staff = make_staff(db_session, role=role, counselor=mine)
    assert can_view(db_session, staff, alex) is expected
    assert can_view(db_session, staff, alex.id) is expected


def test_alerts_follow_the_participant_rule(db_session):
    """A counselor sees an alert exactly when they may see its participant, plus alerts routed
    to them about unknown numbers; nobody else's."""
    mine, other = make_counselor(db_session), make_counselor(db_session)
    staff = make_staff(db_session, role="counselor", counselor=mine)
    alex = make_participant(db_session, counselor=other)
    sam = make_participant(db_session, counselor=other)
    old = make_alert(db_session, alex, level="concern", state="resolved")
    sams = make_alert(db_session, sam)
    assert not can_view(db_session, staff, alex) and not can_view_alert(db_session, staff, old)
    make_alert(db_session, alex, level="urgent", notified=[mine])
    assert can_view(db_session, staff, alex)
    assert can_view_alert(db_session, staff, old)  # alex's history came with the routed alert
    assert not can_view_alert(db_session, staff, sams)


def test_unknown_number_alert_is_seen_by_the_counselor_it_was_texted_to(db_session):
    from bot.models import Alert, AlertEvent
    from tests.conftest import START

    mine = make_counselor(db_session)
    staff = make_staff(db_session, role="counselor", counselor=mine)
    bystander = make_staff(db_session, role="counselor")
    alert = Alert(dedupe_key="unknown:1", phone="+14155550199", level="crisis", kind="triage",
                  reasons=[], state="open", step=0, created_at=START)
    db_session.add(alert)
    db_session.flush()
    db_session.add(AlertEvent(alert_id=alert.id, at=START, action="notified",
                              counselor_id=mine.id))
    db_session.flush()
    assert can_view_alert(db_session, staff, alert)
    assert not can_view_alert(db_session, bystander, alert)
