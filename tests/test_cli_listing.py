"""`participant list`, `counselor list`, `group list`, `alert list`, `staff list` and
`oncall show` read with Core statements.

Their output is the same, byte for byte, as the ORM-based commands printed before (the
`orm_*` functions below are those commands' loops, kept as the oracle), on SQLite and on
PostgreSQL (`IOPBOT_TEST_DATABASE_URL`), and they write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import (
    Alert,
    AuditEvent,
    Counselor,
    Group,
    OnCallOverride,
    OnCallShift,
    Participant,
    PhoneNumber,
    StaffAccount,
)
from bot.services.alert_pages import who
from bot.services.oncall import on_call_now, rota, rota_in_use
from bot.tables import metadata
from tests.factories import make_counselor, make_group, make_participant

T = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # the conftest clock's start (Thursday)


@pytest.fixture
def rows(db_session):
    """Participants with and without a group, opted out, flagged; alerts about a participant
    and an unknown number, with empty reasons and no deadline; staff in every state; a rota
    with an overnight shift, an inactive counselor's shift, and overrides past and future."""
    jordan = make_counselor(db_session, name="Jordan Lee", phone="+14155550101", on_call=True)
    sam = make_counselor(db_session, name="Sam Ortiz-Díaz", phone="+14155550102",
                         supervisor=True)
    gone = make_counselor(db_session, name="Gone Person", phone="+14155550103", on_call=True,
                          active=False)
    group = make_group(db_session, name="Evening Ñ group")
    make_group(db_session, name="Afternoon", weekly=None, location="Room 2")
    people = [
        make_participant(db_session, name=name, phone=f"+1415555060{i}", status=status,
                         counselor=(jordan if i % 2 else sam), language=language,
                         group_id=group_id, checkin_time=f"1{i}:30")
        for i, (name, status, group_id, language) in enumerate([
            ("Alex Rivera", "active", group.id, "en"),
            ("María José de la Cruz", "paused", None, "es"),
            ("Cher", "discharged", group.id, "en"),
            ("  ", "active", None, "en"),
            ("Bo  Lee\tX", "active", None, "es"),
        ])
    ]
    db_session.add_all([
        PhoneNumber(phone=people[0].phone, opted_out=True, opted_out_at=T),
        PhoneNumber(phone=people[1].phone, flag="landline", flag_code=21614, flagged_at=T),
        PhoneNumber(phone=people[2].phone, opted_out=True, flag="invalid"),
        PhoneNumber(phone=people[3].phone),
    ])
    for i in range(6):
        db_session.add(Alert(
            dedupe_key=f"test:{i}", participant_id=None if i == 4 else people[i % 5].id,
            counselor_id=jordan.id, phone="+14155559876" if i == 4 else None,
            level=("crisis", "urgent", "concern")[i % 3],
            kind="triage" if i % 2 else "missed_checkins",
            reasons=[] if i == 1 else (["craving 7", "used"] if i % 2 else ["árbol"]),
            state=("open", "acknowledged", "resolved")[i % 3], step=i,
            deadline_at=T + timedelta(minutes=7 * i) if i % 2 else None,
            created_at=T - timedelta(hours=i)))
    db_session.add_all([OnCallShift(counselor_id=jordan.id, weekday=d, starts="09:00",
                                    ends="17:00") for d in (0, 3, 4)])
    db_session.add_all([
        OnCallShift(counselor_id=sam.id, weekday=3, starts="17:00", ends="09:00"),
        OnCallShift(counselor_id=gone.id, weekday=3, starts="00:00", ends="00:00"),
        OnCallOverride(counselor_id=sam.id, starts_at=T + timedelta(days=1),
                       ends_at=T + timedelta(days=2), note="cover"),
        OnCallOverride(counselor_id=jordan.id, starts_at=T - timedelta(days=3),
                       ends_at=T - timedelta(days=2)),
        StaffAccount(email="b@x.org", name="Bee", role="admin", password_hash="h",
                     totp_secret="S", last_sign_in_at=T),
        StaffAccount(email="a@x.org", name="Ay", role="counselor", counselor_id=jordan.id),
        StaffAccount(email="c@x.org", name="Cee", role="supervisor", active=False,
                     password_hash="h"),
    ])
    db_session.flush()
    return people


# The commands' loops as they were when they read through the ORM (the oracle).


def orm_participant_list(session: Session) -> list[str]:
    out = []
    for p, counselor_name, group_name, number in session.execute(
        select(Participant, Counselor.name, Group.name, PhoneNumber)
        .join(Counselor, Participant.counselor_id == Counselor.id)
        .outerjoin(Group, Participant.group_id == Group.id)
        .outerjoin(PhoneNumber, PhoneNumber.phone == Participant.phone)
        .order_by(Participant.id)
    ):
        parts = [p.status]
        if number is not None and number.opted_out:
            parts.append("opted-out")
        if number is not None and number.flag:
            parts.append(f"flagged:{number.flag}")
        out.append("\t".join([str(p.id), p.name, p.phone, ",".join(parts), p.language,
                              p.checkin_time, group_name or "-", counselor_name]))
    return out


def orm_counselor_list(session: Session, program, now: datetime) -> list[str]:
    now_on = {c.id for c in on_call_now(session, program, now)}
    out = []
    for c in session.scalars(select(Counselor).order_by(Counselor.id)):
        flags = [f for f, on in (("on-call", c.id in now_on), ("supervisor", c.supervisor),
                                 ("inactive", not c.active)) if on]
        out.append(f"{c.id}\t{c.name}\t{c.phone}\t{','.join(flags) or '-'}")
    return out


def orm_group_list(session: Session) -> list[str]:
    return ["\t".join([str(g.id), g.name, g.timezone, g.weekly or "-", g.location or "-"])
            for g in session.scalars(select(Group).order_by(Group.name))]


def _when(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%MZ") if value else "-"


def orm_alert_list(session: Session, only_open: bool) -> list[str]:
    stmt = select(Alert).order_by(Alert.id.desc())
    if only_open:
        stmt = stmt.where(Alert.state != "resolved")
    return [f"{a.id}\t{a.level}\t{a.state}\t{who(session, a)}\t{a.kind}\t"
            f"created {_when(a.created_at)}\tstep {a.step}\t"
            f"deadline {_when(a.deadline_at)}\t{', '.join(a.reasons or []) or a.kind}"
            for a in session.scalars(stmt)]


def orm_staff_list(session: Session) -> list[str]:
    out = []
    for a in session.scalars(select(StaffAccount).order_by(StaffAccount.email)):
        state = "active" if a.active else "disabled"
        if a.active and a.password_hash is None:
            state = "no-password-yet"
        last = _when(a.last_sign_in_at)
        out.append(f"{a.email}\t{a.name}\t{a.role}\t{state}\t"
                   f"totp {'on' if a.totp_secret else 'off'}\tlast sign-in {last}")
    return out


def orm_oncall_show(session: Session, program, now: datetime) -> list[str]:
    people = on_call_now(session, program, now)
    out = ["on call now: " + (", ".join(f"{c.name} {c.phone}" for c in people)
                              or "nobody (pages go to supervisors)")]
    lines = rota(session, now)
    if not rota_in_use(session):
        out.append("no weekly rota: counselors added with --on-call are on call all week")
    out += [f"{line.kind} {line.id}\t{line.when}\t{line.counselor}\t{line.phone}"
            for line in lines]
    return [*out, f"(times of day in {program.timezone})"]


def invoke(runner, *args: str) -> list[str]:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_participant_list_prints_what_the_orm_command_printed(runner, runtime, rows):
    with runtime.Session() as session:
        expected = orm_participant_list(session)
    assert invoke(runner, "participant", "list") == expected
    assert expected[:4] == [
        f"{rows[0].id}\tAlex Rivera\t+14155550600\tactive,opted-out\ten\t10:30\tEvening Ñ group"
        "\tSam Ortiz-Díaz",
        f"{rows[1].id}\tMaría José de la Cruz\t+14155550601\tpaused,flagged:landline\tes\t11:30"
        "\t-\tJordan Lee",
        f"{rows[2].id}\tCher\t+14155550602\tdischarged,opted-out,flagged:invalid\ten\t12:30"
        "\tEvening Ñ group\tSam Ortiz-Díaz",
        f"{rows[3].id}\t  \t+14155550603\tactive\ten\t13:30\t-\tJordan Lee",
    ]


def test_counselor_and_group_lists_print_what_the_orm_commands_printed(runner, runtime, clock,
                                                                       rows):
    with runtime.Session() as session:
        counselors = orm_counselor_list(session, runtime.program, clock())
        groups = orm_group_list(session)
    assert invoke(runner, "counselor", "list") == counselors
    assert [line.split("\t")[3] for line in counselors] == ["on-call", "supervisor", "inactive"]
    assert invoke(runner, "group", "list") == groups
    assert [line.split("\t")[1:] for line in groups] == [
        ["Afternoon", "America/New_York", "-", "Room 2"],
        ["Evening Ñ group", "America/New_York", "mon,wed,thu 18:00-21:00", "-"]]


@pytest.mark.parametrize("only_open", [False, True])
def test_alert_list_prints_what_the_orm_command_printed(runner, runtime, rows, only_open):
    with runtime.Session() as session:
        expected = orm_alert_list(session, only_open)
    assert invoke(runner, "alert", "list", *(["--open"] if only_open else [])) == expected
    assert len(expected) == (4 if only_open else 6)
    shown = {line.split("\t")[3] for line in expected}
    assert shown == {"Alex R.", "María C.", f"#{rows[3].id}", "unknown number ending 9876",
                     *([] if only_open else ["Cher"])}
    assert any(line.endswith("\tdeadline -\tárbol") for line in expected)
    assert any(line.split("\t")[-1] == "triage" for line in expected)  # no reasons: the kind


def test_staff_list_prints_what_the_orm_command_printed(runner, runtime, rows):
    with runtime.Session() as session:
        expected = orm_staff_list(session)
    assert invoke(runner, "staff", "list") == expected == [
        "a@x.org\tAy\tcounselor\tno-password-yet\ttotp off\tlast sign-in -",
        "b@x.org\tBee\tadmin\tactive\ttotp on\tlast sign-in 2026-11-26T15:00Z",
        "c@x.org\tCee\tsupervisor\tdisabled\ttotp off\tlast sign-in -",
    ]


@pytest.mark.parametrize("at", [None, "2026-11-26T20:00", "2026-11-27T12:00",
                                "2026-11-28T12:00"])
def test_oncall_show_prints_what_the_orm_command_printed(runner, runtime, clock, rows, at):
    from bot.cli.schedule_cmds import local_instant

    now = local_instant(at, runtime.program.timezone, "--at") if at else clock()
    with runtime.Session() as session:
        expected = orm_oncall_show(session, runtime.program, now)
    assert invoke(runner, "oncall", "show", *(["--at", at] if at else [])) == expected
    assert "Gone Person" not in expected[0]  # a deactivated counselor is never on call
    assert sum(line.startswith("shift ") for line in expected) == 5


def test_oncall_show_without_a_rota_uses_the_on_call_flags(runner, runtime, clock, db_session):
    make_counselor(db_session, name="Jordan Lee", phone="+14155550101", on_call=True)
    make_counselor(db_session, name="Gone Person", phone="+14155550103", on_call=True,
                   active=False)
    with runtime.Session() as session:
        expected = orm_oncall_show(session, runtime.program, clock())
    assert invoke(runner, "oncall", "show") == expected == [
        "on call now: Jordan Lee +14155550101",
        "no weekly rota: counselors added with --on-call are on call all week",
        f"(times of day in {runtime.program.timezone})",
    ]


def test_the_listing_commands_write_nothing(runner, runtime, db_session, rows):
    def counts() -> dict[str, int]:
        return {name: db_session.scalar(select(func.count()).select_from(table))
                for name, table in metadata.tables.items()}

    before = counts()
    assert before["alerts"] == 6 and before["audit_events"] == db_session.scalar(
        select(func.count()).select_from(AuditEvent))
    for args in (["participant", "list"], ["alert", "list"], ["alert", "list", "--open"],
                 ["staff", "list"], ["oncall", "show"], ["counselor", "list"], ["group", "list"]):
        invoke(runner, *args)
    assert counts() == before


def test_on_call_now_sees_a_shift_added_but_not_flushed(runtime, clock, db_session):
    # bot.queries.oncall's Core statements, run by a session, flush it first as ORM ones do.
    jordan = make_counselor(db_session, name="Jordan Lee", phone="+14155550101")
    with runtime.Session() as session, session.begin():
        assert on_call_now(session, runtime.program, clock()) == []
        session.add(OnCallShift(counselor_id=jordan.id, weekday=clock().weekday(),
                                starts="00:00", ends="00:00"))
        assert [c.id for c in on_call_now(session, runtime.program, clock())] == [jordan.id]
        assert rota_in_use(session) and [line.counselor for line in rota(session, clock())] \
            == ["Jordan Lee"]
        with session.no_autoflush:
            session.add(OnCallOverride(counselor_id=jordan.id, starts_at=clock(),
                                       ends_at=clock() + timedelta(hours=1)))
            assert len(rota(session, clock())) == 1  # no autoflush asked: not flushed
