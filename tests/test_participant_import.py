"""`iopbot participant import FILE.csv [--dry-run]`: all rows checked first, all or nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.models import AuditEvent, OutboxMessage, Participant
from tests.factories import make_counselor, make_group, make_participant

HEADER = "name,phone,counselor,timezone,language,checkin_time,group\n"


def write(tmp_path, text: str, name: str = "roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_import_enrols_every_row_with_an_opt_in_text(runner, db_session, tmp_path):
    jordan = make_counselor(db_session, phone="+14155550190")
    make_group(db_session, name="Evening")
    path = write(tmp_path, HEADER
                 + "Alex R,(415) 555-0123,415-555-0190,America/Chicago,,,\n"
                 + '"María G",4155550124,+14155550190,America/New_York,es,18:30,Evening\n')
    dry = runner.invoke(args=["participant", "import", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip() == "2 row(s) OK; nothing imported (dry run)"
    assert count(db_session, Participant) == 0

    result = runner.invoke(args=["participant", "import", path])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 2 participant(s); opt-in texts queued"
    people = db_session.scalars(select(Participant).order_by(Participant.id)).all()
    assert [(p.name, p.phone, p.counselor_id, p.language, p.checkin_time) for p in people] == [
        ("Alex R", "+14155550123", jordan.id, "en", "17:00"),
        ("María G", "+14155550124", jordan.id, "es", "18:30")]
    assert people[1].group_id is not None
    assert all(p.consent_source == "enrolment by staff (CSV import)" for p in people)
    optins = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "optin")).all()
    assert sorted(o.to_phone for o in optins) == ["+14155550123", "+14155550124"]
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "participant.imported")).detail == {"rows": 2}


def test_every_bad_row_reported_and_nothing_imported(runner, db_session, tmp_path):
    make_counselor(db_session, phone="+14155550190")
    make_counselor(db_session, phone="+14155550191", active=False)
    taken = make_participant(db_session)
    path = write(tmp_path, HEADER
                 + "Alex R,4155550123,4155550190,America/Chicago,,,\n"       # line 2: good
                 + ",4155550124,4155550190,America/Chicago,,,\n"              # 3: no name
                 + "Bo,12,4155550190,Mars/Base,fr,7pm,Night\n"                # 4: five errors
                 + f"Cy,{taken.phone},4155550199,America/Chicago,,,\n"        # 5: two errors
                 + "Di,4155550123,4155550191,America/Chicago,,23:00,\n"      # 6: three errors
                 + '"Ed\nMultiline",4155550125,4155550190,UTC,,,,extra\n')    # 7-8: too many
    before = count(db_session, Participant)
    for args in ([], ["--dry-run"]):
        result = runner.invoke(args=["participant", "import", path, *args])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert lines == [
            "line 3: name: empty",
            "line 4: phone: not a valid phone number: '12'",
            "line 4: timezone: unknown time zone 'Mars/Base' (e.g. America/Chicago)",
            "line 4: language: must be one of en, es, not 'fr'",
            "line 4: checkin_time: must be HH:MM (24-hour), not '7pm'",
            "line 4: group: no group named 'Night'",
            f"line 5: phone: {taken.phone} is already enrolled as a participant",
            "line 5: counselor: no counselor with phone +14155550199",
            "line 6: phone: +14155550123 is also on line 2",
            "line 6: counselor: counselor +14155550191 is deactivated",
            "line 6: checkin_time: 23:00 is outside the clinic's texting hours 09:00-20:00",
            "line 8: row: more values than the 7 columns of the header",
            "Error: 12 problem(s) in roster.csv; nothing imported",
        ]
    assert count(db_session, Participant) == before
    assert count(db_session, OutboxMessage) == 0


def test_header_problems(runner, db_session, tmp_path):
    cases = {
        "": "line 1: header: the file is empty",
        "name,phone,timezone\n": "line 1: header: missing column(s): counselor",
        "name,phone,counselor,timezone,email\n": "line 1: header: unknown column(s): email",
        "name,phone,counselor,timezone\n": "line 2: file: no participants in the file",
    }
    for text, first in cases.items():
        result = runner.invoke(args=["participant", "import", write(tmp_path, text)])
        assert result.exit_code == 1
        assert result.output.splitlines()[0].startswith(first), result.output


def test_excel_bom_and_blank_rows_are_fine(runner, db_session, tmp_path):
    make_counselor(db_session, phone="+14155550190")
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffname,phone,counselor,timezone\r\nAlex,4155550123,4155550190,UTC"
                     "\r\n,,,\r\n".encode())
    result = runner.invoke(args=["participant", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert count(db_session, Participant) == 1


def test_unreadable_files_are_one_line(runner, tmp_path):
    missing = runner.invoke(args=["participant", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,phone,counselor,timezone\nJosé,1,2,UTC\n".encode("latin-1"))
    result = runner.invoke(args=["participant", "import", str(latin)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_import_enrols_exactly_as_participant_add_does(runner, db_session, tmp_path):
    """The import's batched enrolment must not drift from `participant add`."""
    make_counselor(db_session, phone="+14155550190")
    make_group(db_session, name="Evening")
    added = runner.invoke(args=[
        "participant", "add", "--name", "Alex R", "--phone", "4155550123", "--counselor",
        "4155550190", "--timezone", "America/Chicago", "--language", "es", "--checkin-time",
        "09:30", "--group", "Evening"])
    assert added.exit_code == 0, added.output
    path = write(tmp_path, HEADER + "Alex R,4155550124,4155550190,America/Chicago,es,09:30,"
                 "Evening\n")
    assert runner.invoke(args=["participant", "import", path]).exit_code == 0

    def shape(row, skip):
        return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name not in skip}

    one, two = db_session.scalars(select(Participant).order_by(Participant.id)).all()
    skip = {"id", "phone", "consent_source"}
    assert shape(one, skip) == shape(two, skip)
    first, second = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    skip = {"id", "dedupe_key", "to_phone", "participant_id"}
    assert shape(first, skip) == shape(second, skip)
    assert (first.dedupe_key, second.dedupe_key) == (f"optin:{one.id}", f"optin:{two.id}")
    events = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "participant.enrolled").order_by(AuditEvent.id)).all()
    assert [e.subject_id for e in events] == [one.id, two.id]
    assert events[0].detail.keys() == events[1].detail.keys()


def test_a_large_file_imports_in_batches(runner, db_session, tmp_path):
    make_counselor(db_session, phone="+14155550190")
    rows = "".join(f"P {i},(312) 555-{i:04d},4155550190,UTC,,,\n" for i in range(1200))
    result = runner.invoke(args=["participant", "import", write(tmp_path, HEADER + rows)])
    assert result.exit_code == 0, result.output
    assert count(db_session, Participant) == 1200
    assert count(db_session, OutboxMessage) == 1200
