"""Enrolling participants from a CSV file: check every row first, then import all or nothing."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, Group, OutboxMessage, Participant
from bot.phones import InvalidPhone, normalize_phone
from bot.program import LANGUAGES, Program, parse_hhmm, parse_timezone
from bot.services.people import NAME_CHARS, Enrolment

REQUIRED = ("name", "phone", "counselor", "timezone")
OPTIONAL = ("language", "checkin_time", "group")
CONSENT_SOURCE = "enrolment by staff (CSV import)"


@dataclass(frozen=True)
class RowError:
    """One problem in the file, reported as `line N: field: reason`."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    """What a file holds (checked rows) and what was wrong with it; `imported` when done."""

    rows: list[tuple[int, Enrolment]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0


@functools.lru_cache(maxsize=512)
def _zone_ok(name: str) -> bool:
    try:
        parse_timezone(name)
    except ValueError:
        return False
    return True


class _Known:
    """What is already in the database, read once for the whole file."""

    def __init__(self, session: Session) -> None:
        self.counselors = dict(session.execute(select(Counselor.phone, Counselor.active)).all())
        self.participants = set(session.scalars(select(Participant.phone)))
        self.groups = set(session.scalars(select(Group.name)))


def check_file(session: Session, program: Program, text: str) -> ImportReport:
    """Check every row of a CSV text without changing anything."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        report.errors.append(RowError(1, "header", "the file is empty"))
        return report
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing:
        report.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
    if unknown:
        report.errors.append(RowError(1, "header", f"unknown column(s): {', '.join(unknown)} "
                                      f"(expected {','.join(REQUIRED + OPTIONAL)})"))
    if report.errors:
        return report
    known, seen = _Known(session), {}
    default_checkin = str(program.section("checkin").get("default_time", "17:00"))
    for raw in reader:
        line = reader.line_num
        errors = len(report.errors)
        if None in raw:
            report.errors.append(RowError(line, "row", f"more values than the {len(header)} "
                                          "columns of the header"))
            continue
        row = {k: (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue  # a line of empty cells (spreadsheets add them)
        form = _check_row(row, line, known, seen, program, default_checkin, report.errors)
        if form is not None and len(report.errors) == errors:
            report.rows.append((line, form))
    if not report.rows and not report.errors:
        report.errors.append(RowError(2, "file", "no participants in the file"))
    return report


def _check_row(row: dict[str, str], line: int, known: _Known, seen: dict[str, int],
               program: Program, default_checkin: str,
               errors: list[RowError]) -> Enrolment | None:
    def bad(name: str, reason: str) -> None:
        errors.append(RowError(line, name, reason))

    name = " ".join(row["name"].split())
    if not name:
        bad("name", "empty")
    elif len(name) > NAME_CHARS:
        bad("name", f"longer than {NAME_CHARS} characters")
    phone = _number(row["phone"], "phone", bad, program.phone_region)
    if phone is not None:
        if phone in known.participants:
            bad("phone", f"{phone} is already enrolled as a participant")
        elif phone in known.counselors:
            bad("phone", f"{phone} is already enrolled as a counselor")
        elif phone in seen:
            bad("phone", f"{phone} is also on line {seen[phone]}")
        else:
            seen[phone] = line
    counselor = _number(row["counselor"], "counselor", bad, program.phone_region)
    if counselor is not None:
        if counselor not in known.counselors:
            bad("counselor", f"no counselor with phone {counselor}")
        elif not known.counselors[counselor]:
            bad("counselor", f"counselor {counselor} is deactivated")
    zone = row["timezone"]
    if not zone:
        bad("timezone", "empty")
    elif not _zone_ok(zone):
        bad("timezone", f"unknown time zone {zone!r} (e.g. America/Chicago)")
    language = row.get("language") or "en"
    if language not in LANGUAGES:
        bad("language", f"must be one of {', '.join(LANGUAGES)}, not {language!r}")
    checkin = row.get("checkin_time") or default_checkin
    try:
        local = parse_hhmm(checkin)
        if not program.in_quiet_window(local):
            bad("checkin_time", f"{checkin} is outside the clinic's texting hours "
                f"{program.quiet_start:%H:%M}-{program.quiet_end:%H:%M}")
    except ValueError:
        bad("checkin_time", f"must be HH:MM (24-hour), not {checkin!r}")
    group = row.get("group") or None
    if group is not None and group not in known.groups:
        bad("group", f"no group named {group!r}")
    if phone is None or counselor is None:
        return None
    return Enrolment(name=name, phone=phone, counselor_phone=counselor, timezone=zone,
                     language=language, checkin_time=row.get("checkin_time") or None,
                     group=group, consent_source=CONSENT_SOURCE)


def _number(raw: str, name: str, bad, region: str = "US") -> str | None:
    if not raw:
        bad(name, "empty")
        return None
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        bad(name, f"not a valid phone number: {raw!r}")
        return None


def _enrol_all(session: Session, program: Program, forms: list[Enrolment],
               now: datetime) -> list[Participant]:
    """What `add_participant` does for each checked row, in a few statements for the file
    (a participant row, the consent, the opt-in confirmation, the `participant.enrolled` audit);
    tests/test_participant_import.py checks the two stay the same."""
    counselors = dict(session.execute(select(Counselor.phone, Counselor.id)).all())
    groups = dict(session.execute(select(Group.name, Group.id)).all())
    default = str(program.section("checkin").get("default_time", "17:00"))
    people = [Participant(
        name=form.name, phone=form.phone, channel=form.channel, timezone=form.timezone,
        language=form.language, counselor_id=counselors[form.counselor_phone],
        group_id=groups[form.group] if form.group else None, status="active",
        checkin_time=f"{parse_hhmm(form.checkin_time or default):%H:%M}", consent_at=now,
        consent_source=form.consent_source, enrolled_at=now) for form in forms]
    session.add_all(people)
    session.flush()
    optins = [{
        "dedupe_key": f"optin:{p.id}", "kind": "optin", "to_phone": p.phone,
        "channel": p.channel, "body": program.text("optin.confirm", p.language),
        "participant_id": p.id, "priority": 3, "party": "participant", "maybe_sent": False,
        "state": "pending", "not_before": now, "expires_at": None, "attempts": 0,
        "created_at": now} for p in people]
    # The keys name participants created just now, so no row can exist yet: a plain
    # executemany (batched by SQLAlchemy) rather than ON CONFLICT over compiled VALUES lists.
    session.execute(insert(OutboxMessage), optins)
    for p in people:
        audit.record(session, "participant.enrolled", now=now, subject_type="participant",
                     subject_id=p.id, consent_source=p.consent_source)
    return people


def import_file(session: Session, program: Program, text: str, now: datetime, *,
                dry_run: bool = False, actor: str = "staff:cli",
                staff_id: int | None = None) -> ImportReport:
    """Check the file; unless it has errors or this is a dry run, enrol every row.

    Each participant is enrolled exactly as `participant add` does (consent recorded, opt-in
    confirmation queued); the caller's transaction makes it all or nothing.
    """
    report = check_file(session, program, text)
    if report.errors or dry_run:
        return report
    _enrol_all(session, program, [form for _line, form in report.rows], now)
    report.imported = len(report.rows)
    audit.record(session, "participant.imported", now=now, actor=actor, staff_id=staff_id,
                 subject_type="participant", rows=report.imported)
    return report
