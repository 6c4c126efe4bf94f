"""Running the roster from the console: search and filters, enrol, edit, pause and resume,
discharge and re-admit; who may do what; CSRF; the audit names the signed-in person; and the
console's one-line errors are the CLI's."""

from __future__ import annotations

import html as html_lib
from datetime import date

import pytest
from sqlalchemy import select

from bot.models import Alert, AuditEvent, FormerPhone, OutboxMessage, Participant, PhoneNumber
from tests.console.conftest import make_alert
from tests.factories import make_counselor, make_group, make_participant

TOTP = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def clinic(db_session):
    """Jordan (Alex, Cody) and Sam (Bea), a group, an opted-out and a flagged number."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    tuesday = make_group(db_session, name="Tuesday evening")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera",
                            phone="+13125550101", group_id=tuesday.id)
    cody = make_participant(db_session, counselor=jordan, name="Cody Park",
                            phone="+13125550102", status="paused")
    bea = make_participant(db_session, counselor=sam, name="Bea Stone", phone="+13125550103")
    db_session.add_all([PhoneNumber(phone=cody.phone, opted_out=True),
                        PhoneNumber(phone=bea.phone, flag="landline", flag_code=30006)])
    db_session.flush()
    return {"jordan": jordan, "sam": sam, "tuesday": tuesday, "alex": alex, "cody": cody,
            "bea": bea}


@pytest.fixture
def jordan(console_client, clinic):
    return console_client(role="counselor", counselor=clinic["jordan"], name="Jordan Lee")


@pytest.fixture
def boss(console_client, clinic):
    return console_client(role="supervisor", name="Pat Kim", totp_secret=TOTP)


def page(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def names(response) -> set[str]:
    text = page(response)
    return {n for n in ("Alex Rivera", "Cody Park", "Bea Stone", "Dana Cruz") if n in text}


def events(db_session, action: str) -> list[AuditEvent]:
    return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def cli_error(runner, args: list[str]) -> str:
    """The CLI's one-line error for the same input."""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return lines[0].removeprefix("Error: ")


# --- list: search and filters ---------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("", {"Alex Rivera", "Cody Park", "Bea Stone"}),
    ("q=stone", {"Bea Stone"}),
    ("q=(312) 555-0102", {"Cody Park"}),          # by phone, typed any way
    ("q=0103", {"Bea Stone"}),
    ("status=paused", {"Cody Park"}),
    ("status=active", {"Alex Rivera", "Bea Stone"}),
    ("opted_out=1", {"Cody Park"}),
    ("flagged=1", {"Bea Stone"}),
    ("status=nonsense", {"Alex Rivera", "Cody Park", "Bea Stone"}),  # ignored
])
def test_search_and_filters(boss, clinic, query, expected):
    response = boss.get(f"/console/participants?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_filter_by_group_and_counselor(boss, clinic):
    by_group = boss.get(f"/console/participants?group={clinic['tuesday'].id}")
    assert names(by_group) == {"Alex Rivera"}
    by_counselor = boss.get(f"/console/participants?counselor={clinic['sam'].id}")
    assert names(by_counselor) == {"Bea Stone"}
    both = boss.get(f"/console/participants?counselor={clinic['sam'].id}&q=alex")
    assert names(both) == set()
    assert "Nobody matching" in page(both)


def test_a_counselor_filtering_sees_only_their_reach(jordan, clinic):
    assert names(jordan.get("/console/participants")) == {"Alex Rivera", "Cody Park"}
    # Asking for someone else's caseload shows nobody, not their participants.
    assert names(jordan.get(f"/console/participants?all=1&counselor={clinic['sam'].id}")) == set()
    assert names(jordan.get("/console/participants?all=1&flagged=1")) == set()


def test_next_page_keeps_the_filters(boss, clinic, db_session):
    for i in range(51):
        make_participant(db_session, counselor=clinic["sam"], name=f"Dana Cruz {i:02d}")
    first = page(boss.get(f"/console/participants?counselor={clinic['sam'].id}"))
    assert "Bea Stone" in first and "Dana Cruz 48" in first and "Dana Cruz 49" not in first
    link = first.split('class="more" href="', 1)[1].split('"', 1)[0]
    assert f"counselor={clinic['sam'].id}" in link
    second = page(boss.get(link))
    assert "Dana Cruz 49" in second and "Dana Cruz 50" in second
    assert "Bea Stone" not in second and "Alex Rivera" not in second


def test_the_list_makes_the_same_statements_for_3_or_33_people(boss, clinic, db_session,
                                                                runtime):
    """Rows, counselor, group and number state come from one joined query; inbox and alert
    counts from one query each for the whole page (never one per row)."""
    from sqlalchemy import event

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            assert boss.get("/console/participants?status=active").status_code == 200
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for i in range(30):
        make_participant(db_session, counselor=clinic["sam"], name=f"Dana Cruz {i:02d}")
    assert statements() == few


# --- enrol ----------------------------------------------------------------------------------

ENROL = {"name": "Dana Cruz", "phone": "(312) 555-0199", "timezone": "America/Chicago",
         "language": "es", "checkin_time": "18:30", "consent": "yes"}


def test_a_supervisor_enrols_and_the_opt_in_text_is_queued(boss, clinic, db_session):
    form = {**ENROL, "counselor": clinic["sam"].phone, "group": "Tuesday evening"}
    response = boss.post_form("/console/participants/new", form)
    assert response.status_code == 302
    dana = db_session.scalars(select(Participant).where(Participant.name == "Dana Cruz")).one()
    assert response.headers["Location"].endswith(f"/console/participants/{dana.id}")
    assert (dana.phone, dana.timezone, dana.language, dana.checkin_time, dana.counselor_id,
            dana.group_id) == ("+13125550199", "America/Chicago", "es", "18:30",
                               clinic["sam"].id, clinic["tuesday"].id)
    assert dana.consent_source == "enrolment by staff (console)"
    optin = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "optin")).one()
    assert optin.to_phone == "+13125550199" and "STOP" in optin.body
    [enrolled] = events(db_session, "participant.enrolled")
    assert enrolled.actor == f"console:{boss.staff.id}" and enrolled.staff_id == boss.staff.id
    assert enrolled.participant_id == dana.id


@pytest.mark.parametrize(("change", "cli_args"), [
    ({"phone": "12"}, ["--phone", "12"]),
    ({"phone": "+13125550101"}, ["--phone", "+13125550101"]),  # Alex's number
    ({"checkin_time": "23:30"}, ["--checkin-time", "23:30"]),
    ({"timezone": "Mars/Olympus"}, ["--timezone", "Mars/Olympus"]),
    ({"group": "Nope"}, ["--group", "Nope"]),
    ({"name": "   "}, ["--name", "   "]),
])
def test_enrol_errors_are_the_clis(boss, clinic, db_session, runner, change, cli_args):
    form = {**ENROL, "counselor": clinic["sam"].phone, **change}
    response = boss.post_form("/console/participants/new", form)
    assert response.status_code == 400
    args = {"--name": form["name"], "--phone": form["phone"], "--counselor": form["counselor"],
            "--timezone": form["timezone"], "--checkin-time": form["checkin_time"]}
    args.update(dict(zip(cli_args[::2], cli_args[1::2], strict=True)))
    expected = cli_error(runner, ["participant", "add",
                                  *[x for kv in args.items() for x in kv]])
    assert f'role="alert">{expected}</p>' in page(response)
    assert "Dana Cruz" in page(response) or change.get("name")  # the form keeps what was typed
    assert db_session.scalar(select(Participant).where(Participant.phone == "+13125550199")) \
        is None
    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_enrol_needs_the_consent_box(boss, clinic, db_session):
    form = {**ENROL, "counselor": clinic["sam"].phone}
    del form["consent"]
    response = boss.post_form("/console/participants/new", form)
    assert response.status_code == 400 and "agreed to get texts" in page(response)
    assert db_session.scalars(select(Participant).where(Participant.name == "Dana Cruz")).all() \
        == []


def test_enrol_form_shows_only_active_counselors(boss, clinic, db_session):
    make_counselor(db_session, name="Gone Away", active=False)
    text = page(boss.get("/console/participants/new"))
    assert "Sam Ortiz" in text and "Gone Away" not in text
    assert 'value="America/New_York"' in text  # the clinic's time zone as the default


@pytest.mark.parametrize("role", ["counselor", "admin"])
def test_only_supervisors_enrol(console_client, clinic, db_session, role):
    client = console_client(role=role, totp_secret=TOTP)
    assert client.get("/console/participants/new").status_code == 403
    form = {**ENROL, "counselor": clinic["sam"].phone}
    assert client.post_form("/console/participants/new", form).status_code == 403
    assert db_session.scalar(select(Participant).where(Participant.name == "Dana Cruz")) is None
    assert "Enrol a participant" not in page(client.get("/console/participants"))


# --- edit -----------------------------------------------------------------------------------

def edit_form(p: Participant, **changes) -> dict:
    group = {None: ""}.get(p.group_id, "Tuesday evening")
    return {"name": p.name, "phone": p.phone, "timezone": p.timezone, "language": p.language,
            "checkin_time": p.checkin_time, "group": group, "counselor": changes.pop(
                "counselor_phone"), **changes}


def test_a_supervisor_changes_the_phone_and_the_new_number_is_asked_to_opt_in(
        boss, clinic, db_session):
    alex = clinic["alex"]
    old = alex.phone
    form = edit_form(alex, counselor_phone=clinic["jordan"].phone, phone="312-555-0177",
                     name="Lex Rivera")
    response = boss.post_form(f"/console/participants/{alex.id}/edit", form)
    assert response.status_code == 302
    p = db_session.get(Participant, alex.id)
    assert (p.phone, p.name) == ("+13125550177", "Lex Rivera")
    assert db_session.scalars(select(FormerPhone.phone)).all() == [old]
    optin = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "optin")).one()
    assert optin.to_phone == "+13125550177"
    for action in ("participant.phone_changed", "participant.renamed"):
        [event] = events(db_session, action)
        assert event.actor == f"console:{boss.staff.id}" and event.participant_id == alex.id
    assert events(db_session, "participant.updated") == []  # nothing else was changed


def test_a_supervisor_moves_a_participant_and_their_open_alerts_and_inbox(
        boss, console_client, clinic, db_session, text_in):
    alex, sam = clinic["alex"], clinic["sam"]
    open_alert = make_alert(db_session, alex, level="concern")
    text_in(alex.phone, "can we move my session?")
    form = edit_form(alex, counselor_phone=sam.phone)
    response = boss.post_form(f"/console/participants/{alex.id}/edit", form)
    assert response.status_code == 302
    assert db_session.get(Participant, alex.id).counselor_id == sam.id
    assert db_session.get(Alert, open_alert.id).counselor_id == sam.id
    [changed] = events(db_session, "participant.counselor_changed")
    assert changed.actor == f"console:{boss.staff.id}" and changed.detail["to_counselor"] == sam.id
    [moved] = events(db_session, "alert.reassigned")
    assert moved.actor == f"console:{boss.staff.id}"
    # Sam's inbox now has Alex's text; the flash says what moved.
    sam_client = console_client(role="counselor", counselor=sam, name="Sam Ortiz")
    assert "can we move my session?" in page(sam_client.get("/console/inbox"))
    text = page(boss.get(f"/console/participants/{alex.id}"))
    assert "1 open alert(s) moved" in text
    # The timeline says who changed what, by name.
    assert "Counselor changed to Sam Ortiz" in text and "by Pat Kim" in text


def test_edit_checks_quiet_hours_and_changes_nothing(boss, clinic, db_session, runner):
    alex = clinic["alex"]
    form = edit_form(alex, counselor_phone=clinic["sam"].phone, checkin_time="07:00",
                     name="Lex")
    response = boss.post_form(f"/console/participants/{alex.id}/edit", form)
    assert response.status_code == 400
    expected = cli_error(runner, ["participant", "update", alex.phone, "--checkin-time", "07:00"])
    assert expected in page(response) and "outside the clinic's texting hours" in expected
    p = db_session.get(Participant, alex.id)
    assert (p.checkin_time, p.name, p.counselor_id) == ("17:00", "Alex Rivera",
                                                        clinic["jordan"].id)
    assert events(db_session, "participant.renamed") == []


def test_group_time_zone_and_language(boss, clinic, db_session):
    alex = clinic["alex"]
    form = edit_form(alex, counselor_phone=clinic["jordan"].phone, group="",
                     timezone="America/Denver", language="es", checkin_time="10:15")
    assert boss.post_form(f"/console/participants/{alex.id}/edit", form).status_code == 302
    p = db_session.get(Participant, alex.id)
    assert (p.group_id, p.timezone, p.language, p.checkin_time) == (
        None, "America/Denver", "es", "10:15")
    [updated] = events(db_session, "participant.updated")
    assert updated.actor == f"console:{boss.staff.id}"
    assert "timezone=America/Denver" in updated.detail["changes"]
    assert ("Details changed: check-in time 10:15, time zone America/Denver, language es, "
            "group none") in page(boss.get(f"/console/participants/{alex.id}"))


def test_a_counselor_edits_name_and_check_in_time_of_their_own_participant(
        jordan, clinic, db_session):
    alex = clinic["alex"]
    text = page(jordan.get(f"/console/participants/{alex.id}/edit"))
    assert 'name="checkin_time"' in text and 'name="phone"' not in text
    assert "Discharge" not in text
    response = jordan.post_form(f"/console/participants/{alex.id}/edit",
                                {"name": "Lex", "checkin_time": "12:00"})
    assert response.status_code == 302
    p = db_session.get(Participant, alex.id)
    assert (p.name, p.checkin_time) == ("Lex", "12:00")
    assert {e.actor for e in events(db_session, "participant.renamed")
            + events(db_session, "participant.updated")} == {f"console:{jordan.staff.id}"}


def test_a_counselor_may_not_change_phone_or_counselor(jordan, clinic, db_session):
    alex = clinic["alex"]
    for field, value in (("phone", "+13125550188"), ("counselor", clinic["sam"].phone),
                         ("group", ""), ("language", "es")):
        response = jordan.post_form(f"/console/participants/{alex.id}/edit",
                                    {"name": "Lex", field: value})
        assert response.status_code == 403, field
    p = db_session.get(Participant, alex.id)
    assert (p.name, p.phone, p.counselor_id, p.language) == (
        "Alex Rivera", "+13125550101", clinic["jordan"].id, "en")


def test_outside_a_counselors_reach_is_404_and_through_an_alert_403(jordan, clinic, db_session):
    bea = clinic["bea"]
    for path in (f"/console/participants/{bea.id}/edit",):
        assert jordan.get(path).status_code == 404
    for action, data in (("edit", {"name": "X"}), ("pause", {}), ("resume", {}),
                         ("discharge", {"reason": "other"}), ("readmit", {})):
        response = jordan.post_form(f"/console/participants/{bea.id}/{action}", data)
        assert response.status_code in (403, 404), action  # 403 only where role is wrong
        if action in ("edit", "pause", "resume"):
            assert response.status_code == 404, action
    # Bea's alert reaches Jordan: Jordan sees her page, but her roster is Sam's.
    make_alert(db_session, bea, counselor_id=clinic["jordan"].id)
    assert jordan.get(f"/console/participants/{bea.id}").status_code == 200
    assert "Edit details" not in page(jordan.get(f"/console/participants/{bea.id}"))
    assert jordan.get(f"/console/participants/{bea.id}/edit").status_code == 403
    assert jordan.post_form(f"/console/participants/{bea.id}/pause").status_code == 403
    assert db_session.get(Participant, bea.id).status == "active"


def test_an_admin_sees_no_roster_pages(console_client, clinic):
    admin = console_client(role="admin", totp_secret=TOTP)
    alex = clinic["alex"]
    assert admin.get(f"/console/participants/{alex.id}/edit").status_code == 403
    assert admin.post_form(f"/console/participants/{alex.id}/pause").status_code == 403


# --- pause, resume, discharge, re-admit -----------------------------------------------------

def test_a_counselor_pauses_until_a_date_and_resumes(jordan, clinic, db_session):
    alex = clinic["alex"]
    response = jordan.post_form(f"/console/participants/{alex.id}/pause", {"until": "2026-12-07"})
    assert response.status_code == 302
    p = db_session.get(Participant, alex.id)
    assert (p.status, p.paused_until) == ("paused", date(2026, 12, 7))
    [paused] = events(db_session, "participant.paused")
    assert paused.actor == f"console:{jordan.staff.id}" and paused.detail["until"] == "2026-12-07"
    assert "paused until Mon Dec 7" in page(jordan.get(f"/console/participants/{alex.id}"))
    response = jordan.post_form(f"/console/participants/{alex.id}/resume", {"back": "edit"})
    assert response.headers["Location"].endswith(f"/console/participants/{alex.id}/edit")
    assert db_session.get(Participant, alex.id).status == "active"
    assert events(db_session, "participant.resumed")[0].actor == f"console:{jordan.staff.id}"


@pytest.mark.parametrize(("until", "message"), [
    ("2026-11-26", "--until 2026-11-26 is not in the future"),
    ("next week", "not a date (YYYY-MM-DD): 'next week'"),
])
def test_a_pause_must_end_in_the_future(jordan, clinic, db_session, until, message):
    alex = clinic["alex"]
    response = jordan.post_form(f"/console/participants/{alex.id}/pause", {"until": until})
    assert response.status_code == 400 and message in page(response)
    assert db_session.get(Participant, alex.id).status == "active"
    assert events(db_session, "participant.paused") == []


def test_a_supervisor_discharges_with_a_reason_and_readmits(boss, clinic, db_session):
    alex, sam = clinic["alex"], clinic["sam"]
    missing = boss.post_form(f"/console/participants/{alex.id}/discharge", {"reason": ""})
    assert missing.status_code == 400 and "--reason must be one of" in page(missing)
    assert db_session.get(Participant, alex.id).status == "active"
    response = boss.post_form(f"/console/participants/{alex.id}/discharge",
                              {"reason": "completed"})
    assert response.status_code == 302
    assert db_session.get(Participant, alex.id).status == "discharged"
    [gone] = events(db_session, "participant.discharged")
    assert gone.actor == f"console:{boss.staff.id}" and gone.detail["reason"] == "completed"
    again = boss.post_form(f"/console/participants/{alex.id}/discharge", {"reason": "other"})
    assert again.status_code == 400 and "is already discharged" in page(again)
    text = page(boss.get(f"/console/participants/{alex.id}/edit"))
    assert "Re-admit" in text and 'name="phone"' not in text
    response = boss.post_form(f"/console/participants/{alex.id}/readmit",
                              {"counselor": sam.phone})
    assert response.status_code == 302
    p = db_session.get(Participant, alex.id)
    assert (p.status, p.counselor_id, p.consent_source) == (
        "active", sam.id, "re-admission by staff (console)")
    assert db_session.scalars(select(OutboxMessage.to_phone).where(
        OutboxMessage.kind == "optin")).all() == [alex.phone]
    assert events(db_session, "participant.readmitted")[0].staff_id == boss.staff.id


def test_a_counselor_may_not_discharge(jordan, clinic, db_session):
    alex = clinic["alex"]
    response = jordan.post_form(f"/console/participants/{alex.id}/discharge",
                                {"reason": "completed"})
    assert response.status_code == 403
    assert db_session.get(Participant, alex.id).status == "active"


# --- CSRF -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["edit", "pause", "resume", "discharge", "readmit"])
def test_a_post_without_the_csrf_token_is_400_and_changes_nothing(boss, clinic, db_session,
                                                                  action):
    alex = clinic["alex"]
    data = {"name": "Lex", "reason": "completed", "until": "2026-12-07",
            "counselor": clinic["sam"].phone}
    response = boss.post(f"/console/participants/{alex.id}/{action}", data=data)
    assert response.status_code == 400
    p = db_session.get(Participant, alex.id)
    assert (p.name, p.status, p.counselor_id) == ("Alex Rivera", "active", clinic["jordan"].id)
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("participant.%"))).all() == []


def test_enrol_without_the_csrf_token_is_400(boss, clinic, db_session):
    response = boss.post("/console/participants/new",
                         data={**ENROL, "counselor": clinic["sam"].phone})
    assert response.status_code == 400
    assert db_session.scalar(select(Participant).where(Participant.name == "Dana Cruz")) is None
