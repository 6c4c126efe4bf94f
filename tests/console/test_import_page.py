"""The import page: Check lists every bad row and imports nothing; Import only a clean file."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import func, select

from bot.console.views.imports import MAX_BYTES
from bot.models import AuditEvent, OutboxMessage, Participant
from tests.factories import make_counselor, make_group

TOTP = "JBSWY3DPEHPK3PXP"
HEADER = "name,phone,counselor,timezone,language,checkin_time,group\n"
GOOD = (HEADER + "Alex R,(415) 555-0123,415-555-0190,America/Chicago,,,\n"
        + '"María G",4155550124,+14155550190,America/New_York,es,18:30,Evening\n')
BAD = (HEADER + "Alex R,(415) 555-0123,415-555-0190,America/Chicago,,,\n"
       + "Bo,12,4155550190,Mars/Base,en,,\n")


@pytest.fixture
def boss(console_client, db_session):
    make_counselor(db_session, phone="+14155550190")
    make_group(db_session, name="Evening")
    return console_client(role="supervisor", totp_secret=TOTP)


def upload(client, text: str | bytes, action: str = "check", name: str = "roster.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post_form("/console/imports", {"action": action,
                                                 "file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def people(db_session) -> int:
    return db_session.scalar(select(func.count(Participant.id)))


def test_check_lists_every_bad_row_and_imports_nothing(boss, db_session):
    response = upload(boss, BAD)
    assert response.status_code == 200
    text = page(response)
    assert "2 problems in roster.csv: nothing was imported" in text
    assert "line 3: phone: not a valid phone number: '12'" in text
    assert "line 3: timezone: unknown time zone 'Mars/Base'" in text
    assert 'value="import"' not in text  # no Import button for a file with problems
    assert people(db_session) == 0
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "participant.import_checked"))
    assert event.staff_id == boss.staff.id and event.detail == {"rows": 1, "problems": 2}


def test_a_clean_file_is_checked_then_imported_with_opt_in_texts(boss, db_session):
    checked = page(upload(boss, GOOD))
    assert "2 rows OK in roster.csv. Nothing imported yet." in checked
    assert "Import 2 participants" in checked and "María G" in checked
    assert people(db_session) == 0
    # The Import button sends back exactly the checked text.
    carried = checked.split('name="csv_text"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    assert carried == GOOD
    done = boss.post_form("/console/imports", {"action": "import", "csv_text": carried,
                                               "filename": "roster.csv"})
    assert done.status_code == 200
    assert "Imported 2 participants" in page(done)
    assert people(db_session) == 2
    optins = db_session.scalars(select(OutboxMessage.to_phone).where(
        OutboxMessage.kind == "optin")).all()
    assert sorted(optins) == ["+14155550123", "+14155550124"]
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "participant.imported"))
    assert event.staff_id == boss.staff.id and event.actor == f"console:{boss.staff.id}"
    # Sending it again changes nothing: they are enrolled now.
    again = boss.post_form("/console/imports", {"action": "import", "csv_text": carried})
    assert again.status_code == 422
    assert "is already enrolled as a participant" in page(again)
    assert people(db_session) == 2


def test_import_of_a_bad_file_imports_nothing(boss, db_session):
    response = upload(boss, BAD, action="import")
    assert response.status_code == 422
    assert "nothing was imported" in page(response)
    assert people(db_session) == 0
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db_session.scalar(select(AuditEvent.staff_id).where(
        AuditEvent.action == "participant.import_refused")) == boss.staff.id


def test_without_csrf_nothing_is_imported(boss, db_session):
    response = boss.post("/console/imports", data={
        "action": "import", "file": (io.BytesIO(GOOD.encode()), "roster.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert people(db_session) == 0


def test_too_large_is_a_413_with_a_clear_message(boss, db_session):
    big = HEADER + "x" * (MAX_BYTES + 100)
    response = upload(boss, big, action="import")
    assert response.status_code == 413
    assert "The file is larger than 2 MB" in page(response)
    assert people(db_session) == 0


def test_not_utf8_and_empty_files_are_explained(boss):
    latin = upload(boss, "name,phone\nJosé,1\n".encode("latin-1"))
    assert latin.status_code == 400 and "is not UTF-8 text" in page(latin)
    empty = upload(boss, b"")
    assert empty.status_code == 400 and "Choose a CSV file first" in page(empty)


def test_only_supervisors_and_admins(console_client, db_session):
    counselor = console_client(role="counselor")
    assert counselor.get("/console/imports").status_code == 403
    assert upload(counselor, GOOD, action="import").status_code == 403
    assert people(db_session) == 0
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get("/console/imports").status_code == 200
