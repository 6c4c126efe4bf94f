"""CSV exports for a period: attendance, check-in adherence, craving trend, alerts.

Each export is a header and plain rows (what the console shows and the CLI writes); writing
one is audited (who, which export, which period, how many rows; never the contents).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import audit
from bot.models import Alert, Counselor, Group, Participant
from bot.models.schedule import Attendance, CheckIn, ReminderConfirmation, TherapySession
from bot.program import Program
from bot.rules.timing import local_to_utc

MAX_DAYS = 366


class ExportError(ValueError):
    """An export that cannot be made (bad period, unknown kind)."""


@dataclass(frozen=True)
class Period:
    """Local calendar days `first`..`last` (inclusive) in the clinic's time zone."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def starts_at(self) -> datetime:
        """The instant the first day begins."""
        return local_to_utc(self.first, time(0), self.tz)

    @property
    def ends_at(self) -> datetime:
        """The instant after the last day ends."""
        return local_to_utc(self.last + timedelta(days=1), time(0), self.tz)


def period(program: Program, first: date, last: date) -> Period:
    """A checked period in the clinic's zone."""
    if last < first:
        raise ExportError("--to must not be before --from")
    if (last - first).days >= MAX_DAYS:
        raise ExportError(f"a period is at most {MAX_DAYS} days")
    return Period(first, last, ZoneInfo(program.timezone))


def _cell(value) -> str:
    """Text for a spreadsheet: formulas in free text are defused (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz) if value else None


Rows = tuple[list[str], Iterable[list]]


def attendance(session: Session, p: Period) -> Rows:
    """One row per attendance mark at sessions that started in the period."""
    header = ["session_id", "session_start", "group", "participant_id", "participant",
              "attendance", "reminder_answer", "marked_at", "marked_by"]
    stmt = (select(TherapySession, Group.name, Participant.id, Participant.name, Attendance,
                   ReminderConfirmation.answer)
            .join(Attendance, Attendance.session_id == TherapySession.id)
            .join(Participant, Participant.id == Attendance.participant_id)
            .outerjoin(Group, Group.id == TherapySession.group_id)
            .outerjoin(ReminderConfirmation,
                       (ReminderConfirmation.session_id == TherapySession.id)
                       & (ReminderConfirmation.participant_id == Participant.id))
            .where(TherapySession.starts_at >= p.starts_at, TherapySession.starts_at < p.ends_at)
            .order_by(TherapySession.starts_at, TherapySession.id, Participant.id))
    rows = ([s.id, _local(s.starts_at, p.tz), group or "individual", pid, name,
             "present" if mark.present else "absent", answer or "", _local(mark.marked_at, p.tz),
             mark.marked_by] for s, group, pid, name, mark, answer in session.execute(stmt))
    return header, rows


def checkin_adherence(session: Session, p: Period) -> Rows:
    """Per participant: check-ins asked, answered, completed and missed in the period."""
    header = ["participant_id", "participant", "counselor", "asked", "answered", "completed",
              "missed", "response_rate"]
    stmt = (select(Participant.id, Participant.name, Counselor.name, CheckIn)
            .join(CheckIn, CheckIn.participant_id == Participant.id)
            .join(Counselor, Counselor.id == Participant.counselor_id)
            .where(CheckIn.local_date >= p.first, CheckIn.local_date <= p.last)
            .order_by(Participant.id))
    totals: dict[int, list] = {}
    for pid, name, counselor, checkin in session.execute(stmt):
        row = totals.setdefault(pid, [pid, name, counselor, 0, 0, 0, 0])
        row[3] += 1
        row[4] += checkin.answered_at is not None
        row[5] += checkin.completed_at is not None
        row[6] += bool(checkin.missed)
    return header, ([*r, f"{r[4] / r[3]:.2f}"] for r in totals.values())


def craving_trend(session: Session, p: Period) -> Rows:
    """Each answered check-in's craving (0-10), use and mood, with a 7-answer running mean."""
    header = ["participant_id", "participant", "date", "craving", "craving_avg7", "used",
              "mood"]
    stmt = (select(Participant.id, Participant.name, CheckIn)
            .join(CheckIn, CheckIn.participant_id == Participant.id)
            .where(CheckIn.local_date >= p.first, CheckIn.local_date <= p.last,
                   CheckIn.craving.is_not(None))
            .order_by(Participant.id, CheckIn.local_date))

    def rows():
        recent: dict[int, list[int]] = {}
        for pid, name, checkin in session.execute(stmt):
            window = recent.setdefault(pid, [])
            window.append(checkin.craving)
            del window[:-7]
            yield [pid, name, checkin.local_date.isoformat(), checkin.craving,
                   f"{sum(window) / len(window):.1f}", checkin.used, checkin.mood]

    return header, rows()


def alerts(session: Session, p: Period) -> Rows:
    """Alerts raised in the period with who had them and minutes to acknowledge."""
    header = ["alert_id", "created_at", "level", "kind", "participant_id", "counselor",
              "state", "acknowledged_at", "minutes_to_ack", "acknowledged_by", "resolved_at"]
    assigned, acker = aliased(Counselor), aliased(Counselor)
    stmt = (select(Alert, assigned.name, acker.name)
            .outerjoin(assigned, assigned.id == Alert.counselor_id)
            .outerjoin(acker, acker.id == Alert.acknowledged_by)
            .where(Alert.created_at >= p.starts_at, Alert.created_at < p.ends_at)
            .order_by(Alert.created_at, Alert.id))

    def minutes(alert: Alert) -> str:
        if alert.acknowledged_at is None:
            return ""
        return f"{(alert.acknowledged_at - alert.created_at).total_seconds() / 60:.1f}"

    rows = ([a.id, _local(a.created_at, p.tz), a.level, a.kind, a.participant_id or "",
             counselor or "", a.state, _local(a.acknowledged_at, p.tz), minutes(a), by or "",
             _local(a.resolved_at, p.tz)] for a, counselor, by in session.execute(stmt))
    return header, rows


EXPORTS: dict[str, Callable[[Session, Period], Rows]] = {
    "attendance": attendance,
    "checkin-adherence": checkin_adherence,
    "craving-trend": craving_trend,
    "alerts": alerts,
}


def write_rows(out: TextIO, header: list[str], rows: Iterable[list]) -> int:
    """Write a header and rows as CSV (cells defused for spreadsheets); returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def write_export(session: Session, kind: str, p: Period, out: TextIO, *, now: datetime,
                 actor: str = "staff:cli", staff_id: int | None = None) -> int:
    """Write export `kind` for period `p` as CSV to `out`; audited. Returns the row count."""
    if kind not in EXPORTS:
        raise ExportError(f"unknown export {kind!r}: one of {', '.join(EXPORTS)}")
    header, rows = EXPORTS[kind](session, p)
    count = write_rows(out, header, rows)
    audit.record(session, "export.written", now=now, actor=actor, staff_id=staff_id,
                 export=kind, first=p.first.isoformat(), last=p.last.isoformat(), rows=count)
    return count
