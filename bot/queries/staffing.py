"""Counselors as the staffing pages list them: caseload size, state, phone, on call now."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Counselor, Participant


@dataclass(frozen=True)
class CounselorRow:
    """One counselor in the list."""

    id: int
    name: str
    phone: str
    active: bool
    supervisor: bool
    on_call_flag: bool  # enrolled with --on-call (counts only while there is no weekly rota)
    on_call_now: bool
    caseload: int  # participants not discharged, as bot.services.counselors.caseload counts


def counselor_rows(session: Session, on_call_ids: set[int]) -> list[CounselorRow]:
    """Every counselor, active ones first, by name; one query for all caseload sizes."""
    sizes = (select(Participant.counselor_id, func.count().label("n"))
             .where(Participant.status != "discharged")
             .group_by(Participant.counselor_id).subquery())
    rows = session.execute(
        select(Counselor, func.coalesce(sizes.c.n, 0))
        .outerjoin(sizes, sizes.c.counselor_id == Counselor.id)
        .order_by(Counselor.active.desc(), Counselor.name, Counselor.id))
    return [CounselorRow(c.id, c.name, c.phone, c.active, c.supervisor, c.on_call,
                         c.id in on_call_ids, n) for c, n in rows]
