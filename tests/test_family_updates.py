"""Weekly updates and milestones: timing in the family member's zone, facts, revocation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.models.family import Disclosure
from bot.models.schedule import Attendance, TherapySession
from bot.sending import drain
from schedules.sweep import run_pass, run_sweeps
from tests.factories import make_group
from tests.test_family_support import add_checkin, full_opt_in, people, replies, to_phone

SUNDAY_5PM_NY = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)


def _history(db_session, participant, *, week_end: datetime, sessions=(True, True, False),
             unmarked=1, answered=5, asked=7):
    """A week of group sessions (marked present/absent, some unmarked) and check-ins."""
    group = make_group(db_session)
    start = week_end - timedelta(days=7)
    for i, present in enumerate([*sessions, *([None] * unmarked)]):
        s = TherapySession(group_id=group.id, starts_at=start + timedelta(days=i + 1),
                           ends_at=start + timedelta(days=i + 1, hours=3), status="scheduled")
        db_session.add(s)
        db_session.flush()
        if present is not None:
            db_session.add(Attendance(session_id=s.id, participant_id=participant.id,
                                      present=present, marked_at=week_end, marked_by="staff"))
    for i in range(asked):
        add_checkin(db_session, participant.id, start + timedelta(days=i, hours=1),
                    answered=i < answered, craving=9, used=True, mood=1)


def test_weekly_update_carries_only_the_consented_counts(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="attendance,summary")
    _history(db_session, ppl.participant, week_end=SUNDAY_5PM_NY)
    run_pass(runtime, SUNDAY_5PM_NY)
    [update] = [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    assert update.body == (
        "Riverside Health reminders weekly update: Alex attended 2 of 3 scheduled group "
        "sessions. Alex answered 5 of 7 daily check-ins and attended 2 sessions. Federal "
        "confidentiality rules (42 CFR part 2) protect this information and prohibit sharing it "
        "further. Reply STOP to stop."
    )
    assert "9" not in update.body and "kind word" not in update.body
    d = db_session.scalars(select(Disclosure).where(Disclosure.outbox_id == update.id)).one()
    assert d.scope == "attendance,summary" and d.body == update.body


def test_weekly_update_goes_at_the_family_members_own_local_time(
    runner, db_session, runtime, text_in
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="encouragement",
                extra=("--timezone", "America/Los_Angeles", "--language", "es"))
    run_pass(runtime, SUNDAY_5PM_NY)  # 14:00 in Los Angeles: not yet
    assert not [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    run_pass(runtime, datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Sunday 17:00 Los Angeles
    [update] = [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    assert "palabras amables" in update.body and "42 CFR parte 2" in update.body
    run_pass(runtime, datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # again: no duplicate
    assert len([r for r in to_phone(db_session, ppl.family_phone)
                if r.kind == "family.weekly"]) == 1


def test_late_update_waits_for_texting_hours_and_is_skipped_when_too_late(
    runner, db_session, runtime, text_in
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="encouragement")
    run_pass(runtime, datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # Sunday 20:30 New York
    run_pass(runtime, datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # Monday 09:00, 16 h late
    assert not [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    run_pass(runtime, datetime(2026, 12, 7, 0, 30, tzinfo=UTC))  # next Sunday 19:30: 2.5 h late
    assert [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]


def test_revocation_after_planning_withdraws_the_unsent_update(
    runner, db_session, runtime, text_in, twilio
):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="attendance,encouragement")
    drain(runtime)
    twilio.clear()
    run_sweeps(runtime, SUNDAY_5PM_NY)  # planned, not yet sent
    [update] = [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    assert update.state == "pending"
    r = text_in(ppl.participant.phone, "REVOKE Maria")
    assert "no more updates" in replies(r)[0]
    db_session.refresh(update)
    assert update.state == "cancelled"
    drain(runtime, now=SUNDAY_5PM_NY)
    to_family = [m["body"] for m in twilio.messages if m["to"] == ppl.family_phone]
    assert len(to_family) == 1 and "have stopped" in to_family[0]


def test_family_stop_opts_out_and_nothing_more_is_planned(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="encouragement")
    r = text_in(ppl.family_phone, "STOP")
    assert "won't get more texts" in replies(r)[0]
    run_pass(runtime, SUNDAY_5PM_NY)
    assert not [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    assert db_session.scalars(select(Disclosure.scope)).all() == ["invitation"]


def test_milestones_once_each_and_only_when_consented(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl, share="milestones")
    first = date(2026, 10, 26)  # a Monday: one answered check-in in each of 4 weeks
    for week in range(4):
        at = datetime.combine(first + timedelta(weeks=week), datetime.min.time(), UTC)
        at += timedelta(hours=21)
        add_checkin(db_session, ppl.participant.id, at, answered=True, craving=8, used=True)
    run_pass(runtime, datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    rows = [r for r in to_phone(db_session, ppl.family_phone) if r.kind != "family.invite"]
    assert [r.body.split(". ")[0] for r in rows] == [
        "Riverside Health reminders: Alex has reached 4 weeks of check-ins"]
    run_pass(runtime, datetime(2026, 11, 26, 17, 0, tzinfo=UTC))
    run_pass(runtime, SUNDAY_5PM_NY)  # no weekly update: no weekly scope consented
    assert len([r for r in to_phone(db_session, ppl.family_phone)
                if r.kind != "family.invite"]) == 1


def test_accounting_lists_every_disclosure(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl, share="summary")
    run_pass(runtime, SUNDAY_5PM_NY)
    run_sweeps(runtime, datetime(2026, 12, 6, 22, 0, tzinfo=UTC))
    text_in(ppl.participant.phone, "stop family updates")  # the second update never goes
    result = runner.invoke(args=["family", "disclosures", "--participant",
                                 ppl.participant.phone])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert [(f[1], f[2], f[3], f[4]) for f in lines] == [
        (f"Maria Lopez {ppl.family_phone}", f"consent {consent.id}", "invitation", "sent"),
        (f"Maria Lopez {ppl.family_phone}", f"consent {consent.id}", "summary", "sent"),
        (f"Maria Lopez {ppl.family_phone}", f"consent {consent.id}", "summary", "cancelled"),
    ]
    assert lines[1][0] == "2026-11-29T22:00:00+00:00"
    assert lines[1][6].startswith("Riverside Health reminders weekly update: Alex answered")
    since = runner.invoke(args=["family", "disclosures", "--participant",
                                ppl.participant.phone, "--since", "2026-12-01"])
    assert len(since.output.strip().splitlines()) == 1
    bad = runner.invoke(args=["family", "disclosures", "--participant", ppl.participant.phone,
                              "--since", "yesterday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_every_disclosure_row_has_its_outbox_row(runner, db_session, runtime, text_in):
    ppl = people(db_session)
    full_opt_in(runner, db_session, text_in, ppl)
    run_pass(runtime, SUNDAY_5PM_NY)
    family_rows = [r for r in to_phone(db_session, ppl.family_phone)
                   if r.kind in ("family.invite", "family.weekly", "family.milestone")]
    disclosed = db_session.scalars(select(Disclosure)).all()
    assert sorted(d.outbox_id for d in disclosed) == sorted(r.id for r in family_rows)
    assert all(d.body == next(r.body for r in family_rows if r.id == d.outbox_id)
               for d in disclosed)


def test_revocation_racing_the_sweep_still_withdraws_the_update(
    runner, db_session, runtime, text_in
):
    """The sweep holds the consent row while planning; a revocation waits, then withdraws."""
    import threading

    from bot.models.family import Consent
    from bot.services.family.revoke import revoke
    from bot.services.family.updates import plan_updates

    ppl = people(db_session)
    consent = full_opt_in(runner, db_session, text_in, ppl, share="encouragement")
    planned = threading.Event()
    outcome = {}

    def revoke_now():
        planned.wait(5)
        with runtime.Session() as session, session.begin():
            revoke(session, runtime.program, session.get(Consent, consent.id),
                   SUNDAY_5PM_NY, "staff:test")
        outcome["revoked"] = True

    other = threading.Thread(target=revoke_now)
    other.start()
    with runtime.Session() as session, session.begin():
        counts = plan_updates(session, runtime.program, SUNDAY_5PM_NY)
        planned.set()
        other.join(0.5)  # the revocation can't finish while the sweep's transaction is open
        outcome["finished_early"] = "revoked" in outcome
    other.join(10)
    assert counts["weekly"] == 1 and outcome == {"finished_early": False, "revoked": True}
    [update] = [r for r in to_phone(db_session, ppl.family_phone) if r.kind == "family.weekly"]
    assert update.state == "cancelled"
