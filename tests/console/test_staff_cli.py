"""`iopbot staff add|set-password|list|disable`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, StaffAccount, StaffSession
from tests.conftest import PUBLIC_BASE_URL
from tests.console.conftest import make_staff
from tests.factories import make_counselor


def test_add_prints_a_welcome_link_on_its_last_line(runner, db_session):
    counselor = make_counselor(db_session, name="Jordan Lee", phone="+14155550123")
    result = runner.invoke(args=["staff", "add", "--email", "Jordan@Clinic.example", "--name",
                                 "Jordan Lee", "--role", "counselor", "--counselor",
                                 "(415) 555-0123"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"{PUBLIC_BASE_URL}/console/welcome/")
    account = db_session.scalar(select(StaffAccount))
    assert account.email == "jordan@clinic.example"
    assert account.counselor_id == counselor.id and account.password_hash is None


def test_add_refuses_duplicates_and_bad_input_in_one_line(runner, db_session):
    make_staff(db_session, role="admin", email="a@clinic.example")
    for args, words in (
        (["--email", "a@clinic.example", "--name", "A", "--role", "admin"], "already"),
        (["--email", "nope", "--name", "A", "--role", "admin"], "not an email"),
        (["--email", "c@clinic.example", "--name", "C", "--role", "counselor"], "--counselor"),
        (["--email", "c@clinic.example", "--name", "C", "--role", "counselor", "--counselor",
          "+14155559999"], "no counselor"),
    ):
        result = runner.invoke(args=["staff", "add", *args])
        assert result.exit_code != 0
        assert words in result.output and "Traceback" not in result.output


def test_set_password_reads_stdin_and_signs_out_everywhere(runner, db_session, runtime):
    from bot.services import staff_auth

    account = make_staff(db_session, role="supervisor", email="s@clinic.example")
    staff_auth.start_session(db_session, account, address="x", now=runtime.now(), verified=True)
    db_session.flush()
    result = runner.invoke(args=["staff", "set-password", "--email", "S@clinic.example"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(StaffSession.ended_at)) is not None
    short = runner.invoke(args=["staff", "set-password", "--email", "s@clinic.example"],
                          input="short\n")
    assert short.exit_code != 0 and "12 characters" in short.output


def test_list_and_disable(runner, db_session):
    make_staff(db_session, role="admin", email="boss@clinic.example", name="Pat Kim")
    listed = runner.invoke(args=["staff", "list"])
    assert "boss@clinic.example\tPat Kim\tadmin\tactive" in listed.output
    result = runner.invoke(args=["staff", "disable", "--email", "boss@clinic.example"])
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(StaffAccount.active)) is False
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.disabled"))
    missing = runner.invoke(args=["staff", "disable", "--email", "who@clinic.example"])
    assert missing.exit_code != 0 and "no account" in missing.output
    again = runner.invoke(args=["staff", "enable", "--email", "boss@clinic.example"])
    assert again.exit_code == 0, again.output
    assert db_session.scalar(select(StaffAccount.active)) is True


@pytest.mark.parametrize("verb", ["set-password", "disable", "enable"])
def test_an_unknown_email_is_one_line(runner, verb):
    result = runner.invoke(args=["staff", verb, "--email", "nobody@clinic.example"],
                           input="a long enough passphrase\n")
    assert result.exit_code != 0
    assert "no account has the email 'nobody@clinic.example'" in result.output
    assert "Traceback" not in result.output
