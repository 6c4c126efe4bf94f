"""`iopbot audit list` and the supervisors' audit page."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import AuditEvent
from tests.console.conftest import make_alert
from tests.factories import make_counselor, make_participant


def viewed(db_session, console_client):
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    maria = make_participant(db_session, counselor=jordan, name="Maria Diaz")
    a1, a2 = make_alert(db_session, alex, text="x"), make_alert(db_session, maria, text="y")
    client = console_client(role="counselor", counselor=jordan, email="jordan@clinic.example")
    client.get(f"/console/alerts/{a1.id}")
    client.get(f"/console/alerts/{a2.id}")
    return client, alex, maria


def test_cli_lists_views_filtered_by_participant_and_staff(runner, db_session, console_client):
    client, alex, _maria = viewed(db_session, console_client)
    other = console_client(role="supervisor", totp_secret="JBSWY3DPEHPK3PXP",
                           email="pat@clinic.example")
    other.get("/console/alerts")
    by_participant = runner.invoke(args=["audit", "list", "--participant", alex.phone])
    assert by_participant.exit_code == 0, by_participant.output
    lines = by_participant.output.strip().splitlines()
    assert lines and all(f"participant {alex.id}" in line for line in lines)
    assert any("jordan@clinic.example\tconsole.view" in line and "/console/alerts/" in line
               for line in lines)
    by_staff = runner.invoke(args=["audit", "list", "--staff", "PAT@clinic.example"])
    assert by_staff.output.strip() and "jordan@" not in by_staff.output
    later = runner.invoke(args=["audit", "list", "--since", "2026-11-27"])
    assert later.exit_code == 0 and later.output.strip() == ""  # the clock is 26 Nov
    for args, words in ((["--participant", "+14155550000"], "no participant"),
                        (["--staff", "who@clinic.example"], "no console account"),
                        (["--since", "yesterday"], "not an ISO-8601")):
        bad = runner.invoke(args=["audit", "list", *args])
        assert bad.exit_code != 0 and words in bad.output and "Traceback" not in bad.output


def test_supervisors_see_the_trail_in_the_console(console_client, db_session):
    _client, alex, _maria = viewed(db_session, console_client)
    boss = console_client(role="supervisor", totp_secret="JBSWY3DPEHPK3PXP")
    page = boss.get(f"/console/audit?participant={alex.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "jordan@clinic.example" in html and "Alex Rivera" in html
    assert "Maria Diaz" not in html
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "console.audit_viewed"))
    assert boss.get("/console/audit?since=junk").status_code == 400


def test_counselors_and_admins_cannot_open_the_trail(console_client, client):
    assert console_client(role="counselor").get("/console/audit").status_code == 403
    assert console_client(role="admin", totp_secret="JBSWY3DPEHPK3PXP").get(
        "/console/audit").status_code == 403
    assert client.get("/console/audit").status_code == 302
