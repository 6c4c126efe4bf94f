"""The family consent pages: invite (the participant still signs by text), list, revoke, and the
accounting of disclosures, within a counselor's own caseload."""

from __future__ import annotations

import csv
import html
import io

import pytest
from sqlalchemy import func, select

from bot.models import AuditEvent, OutboxMessage
from bot.models.family import Consent, Disclosure, FamilyContact
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_participant, next_phone
from tests.test_family_support import code_from, consent_text

TOTP = "JBSWY3DPEHPK3PXP"
FORM = {"name": "Maria Lopez", "relationship": "mother", "share": ["attendance", "summary"],
        "expires": "2027-06-30", "language": "en"}


@pytest.fixture
def clinic(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bo = make_participant(db_session, counselor=sam, name="Bo Chen")
    return {"jordan": jordan, "sam": sam, "alex": alex, "bo": bo}


@pytest.fixture
def jordan(console_client, clinic):
    return console_client(role="counselor", counselor=clinic["jordan"])


def _invite(client, participant, **change):
    data = {**FORM, "phone": change.pop("phone", None) or next_phone(), **change}
    return client.post_form(f"/console/family/{participant.id}/invite", data)


def _consents(db_session):
    return db_session.scalar(select(func.count(Consent.id)))


def test_invite_texts_the_participant_and_never_shows_the_code(jordan, clinic, db_session,
                                                              text_in):
    family_phone = next_phone()
    response = _invite(jordan, clinic["alex"], phone=family_phone)
    assert response.status_code == 302
    consent = db_session.scalars(select(Consent)).one()
    assert consent.state == "pending_participant"
    assert consent.created_by == f"console:{jordan.staff.id}"
    assert consent.scopes == ["attendance", "summary"]
    body = consent_text(db_session, consent.id).body
    assert body and consent_text(db_session, consent.id).to_phone == clinic["alex"].phone
    code = code_from(body)
    page = jordan.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consent request texted to Alex Rivera" in page
    assert code not in page  # staff can't sign on the participant's behalf
    assert "Maria Lopez" in page and "◐ Pending" in page
    assert "waiting for the participant to text YES" in page
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "family.consent.requested"))
    assert event.staff_id == jordan.staff.id and event.participant_id == clinic["alex"].id

    # Only the participant's own YES <code> signs; the console shows the new state.
    text_in(clinic["alex"].phone, f"YES {code}")
    page = jordan.get(f"/console/family/{clinic['alex'].id}").get_data(as_text=True)
    assert "waiting for the family member to reply YES" in page
    text_in(family_phone, "YES")
    page = jordan.get(f"/console/family/{clinic['alex'].id}").get_data(as_text=True)
    assert "● Active" in page and "attendance, summary" in page and "2027-06-30" in page


def test_invite_without_csrf_is_400_and_stores_nothing(jordan, clinic, db_session):
    response = jordan.post(f"/console/family/{clinic['alex'].id}/invite",
                           data={**FORM, "phone": next_phone()})
    assert response.status_code == 400
    assert _consents(db_session) == 0
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("change, message", [
    ({"expires": "2026-11-26"}, "Consent ends on 2026-11-26 is not in the future"),
    ({"share": []}, "needs at least one of"),
    ({"phone": "12"}, "Family member's phone is not a valid phone number"),
    ({"name": ""}, "Name is required"),
])
def test_a_bad_invitation_is_explained_and_stores_nothing(jordan, clinic, db_session, change,
                                                         message):
    response = _invite(jordan, clinic["alex"], **change)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert _consents(db_session) == 0
    assert db_session.scalar(select(func.count(FamilyContact.id))) == 0


def test_a_counselor_manages_only_their_own_caseload(jordan, clinic, db_session,
                                                     console_client):
    bo = clinic["bo"]
    assert jordan.get(f"/console/family/{bo.id}").status_code == 404
    assert _invite(jordan, bo).status_code == 404
    assert _consents(db_session) == 0
    sams = console_client(role="counselor", counselor=clinic["sam"])
    assert _invite(sams, bo).status_code == 302
    index = jordan.get("/console/family").get_data(as_text=True)
    assert "Bo Chen" not in index
    assert "Bo Chen" not in jordan.get("/console/family?q=bo").get_data(as_text=True)
    boss = console_client(role="supervisor", totp_secret=TOTP)
    assert "Bo Chen" in boss.get("/console/family").get_data(as_text=True)
    assert boss.get(f"/console/family/{bo.id}").status_code == 200
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get("/console/family").status_code == 403
    assert admin.get(f"/console/family/{bo.id}").status_code == 403


def test_revoke_ends_it_at_once_and_needs_csrf(jordan, clinic, db_session):
    _invite(jordan, clinic["alex"])
    consent = db_session.scalars(select(Consent)).one()
    url = f"/console/family/{clinic['alex'].id}/consents/{consent.id}/revoke"
    assert jordan.post(url).status_code == 400
    assert db_session.get(Consent, consent.id).state == "pending_participant"
    # The right consent under someone else's page is not found.
    wrong = f"/console/family/{clinic['bo'].id}/consents/{consent.id}/revoke"
    assert jordan.post_form(wrong).status_code == 404
    response = jordan.post_form(url)
    assert response.status_code == 302
    consent = db_session.get(Consent, consent.id)
    assert consent.state == "revoked" and consent.revoked_by == f"console:{jordan.staff.id}"
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "family.consent.revoked"))
    assert event.staff_id == jordan.staff.id
    page = jordan.get(f"/console/family/{clinic['alex'].id}").get_data(as_text=True)
    assert "✕ Revoked" in page and "Revoke consent for" not in page
    assert "already ended" in jordan.post_form(url, follow_redirects=True).get_data(as_text=True)


def _active_with_disclosure(jordan, clinic, db_session, text_in) -> Consent:
    family_phone = next_phone()
    _invite(jordan, clinic["alex"], phone=family_phone)
    consent = db_session.scalars(select(Consent)).one()
    text_in(clinic["alex"].phone, f"YES {code_from(consent_text(db_session, consent.id).body)}")
    text_in(family_phone, "YES")
    assert db_session.scalar(select(func.count(Disclosure.id))) == 1  # the invitation
    return consent


def test_accounting_of_disclosures_page_and_csv(jordan, clinic, db_session, text_in):
    consent = _active_with_disclosure(jordan, clinic, db_session, text_in)
    base = f"/console/family/{clinic['alex'].id}"
    page = jordan.get(f"{base}?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "1 disclosure, 2026-11-01 to 2026-11-30" in page
    assert "invitation" in page and "keeping family informed and supportive" in page
    assert f"#{consent.id}" in page
    empty = jordan.get(f"{base}?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert "Nothing was disclosed between 2026-12-01 and 2026-12-31" in empty

    response = jordan.get(f"{base}/disclosures.csv?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["recipient_name"] == "Maria Lopez" and row["relationship"] == "mother"
    assert row["consent_id"] == str(consent.id) and row["information_disclosed"] == "invitation"
    assert row["disclosed_at"].startswith("2026-11-26T10:00")  # New York time
    assert "Alex would like you" in row["text"]
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "family.accounting.exported"))
    assert event.staff_id == jordan.staff.id and event.participant_id == clinic["alex"].id
    assert event.detail == {"first": "2026-11-01", "last": "2026-11-30", "rows": 1}
    assert jordan.get(f"{base}/disclosures.csv?from=2026-12-01&to=2026-11-01").status_code == 400
    other = f"/console/family/{clinic['bo'].id}/disclosures.csv"
    assert jordan.get(other).status_code == 404


def test_a_bad_period_is_explained(jordan, clinic):
    response = jordan.get(f"/console/family/{clinic['alex'].id}?from=soon")
    assert response.status_code == 400
    assert "Dates must be YYYY-MM-DD" in response.get_data(as_text=True)


def test_views_are_audited_with_the_staff(jordan, clinic, db_session):
    jordan.get(f"/console/family/{clinic['alex'].id}")
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "console.view"))
    assert event.staff_id == jordan.staff.id and event.participant_id == clinic["alex"].id
    assert event.page == f"/console/family/{clinic['alex'].id}"


def test_a_discharged_participant_gets_no_invitation_form(db_session, console_client):
    jordan = make_counselor(db_session, name="Jordan Lee")
    gone = make_participant(db_session, counselor=jordan, status="discharged")
    client = console_client(staff=make_staff(db_session, role="counselor", counselor=jordan))
    page = client.get(f"/console/family/{gone.id}").get_data(as_text=True)
    assert "is discharged: no new family updates can start" in page
    response = _invite(client, gone)
    assert response.status_code == 400 and "is discharged" in response.get_data(as_text=True)
    assert _consents(db_session) == 0
