"""Operational truth for /healthz and start-up: database, schema revision, the clock's last pass."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bot.models.schedule import PlannerMark
from bot.runtime import Runtime
from bot.sql import insert_ignoring_duplicates

CLOCK_MARK = "clock"  # planner_marks row whose ran_at is the last clock pass (real time)
MISSED_TICKS = 3  # no pass for this many ticks: the clock is taken for dead
UPGRADE_HINT = "run `iopbot db upgrade`"


class SchemaBehind(Exception):
    """The database is not at the schema revision this code needs."""


def record_pass(session: Session, at: datetime) -> None:
    """Note that a clock pass ran at `at` (the real present, never a simulated instant)."""
    insert_ignoring_duplicates(
        session, PlannerMark.__table__, [{"name": CLOCK_MARK, "ran_at": at}], key=["name"]
    )
    session.execute(update(PlannerMark).where(PlannerMark.name == CLOCK_MARK).values(ran_at=at))


def last_pass(session: Session) -> datetime | None:
    """When the clock last ran a pass (None: never)."""
    mark = session.get(PlannerMark, CLOCK_MARK)
    return mark.ran_at if mark else None


@cache
def _heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config

    config = alembic_config(None)  # the script directory does not need the engine
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def schema_revisions(engine: Engine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's revisions, the code's heads); equal when the schema is up to date."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return tuple(sorted(current)), _heads()


def require_current_schema(engine: Engine) -> None:
    """Raise SchemaBehind with a one-line reason unless the schema is at head."""
    current, head = schema_revisions(engine)
    if current != head:
        found = ", ".join(current) or "none (empty database)"
        raise SchemaBehind(
            f"database schema is at {found}, this code needs {', '.join(head)}: {UPGRADE_HINT}"
        )


def check(runtime: Runtime, *, clock: bool = True) -> tuple[bool, dict]:
    """Whether the deployment (with `clock`: its clock too) is healthy, and a JSON report."""
    report: dict = {"database": "ok"}
    problems: list[str] = []
    try:
        current, head = schema_revisions(runtime.engine)
    except Exception:  # any driver error: the database does not answer
        report["database"] = "unavailable"
        return False, {"status": "unhealthy", "problems": ["database unavailable"], **report}
    report["schema"] = {"current": list(current), "head": list(head)}
    if current != head:
        problems.append(f"schema behind: {UPGRADE_HINT}")
        return False, {"status": "unhealthy", "problems": problems, **report}
    if not clock:
        return True, {"status": "ok", "problems": [], **report}
    with runtime.Session() as session:
        ran_at = last_pass(session)
    now = runtime.now()
    allowed = timedelta(seconds=runtime.settings.tick_seconds * MISSED_TICKS)
    report["clock"] = {
        "last_pass": ran_at.isoformat() if ran_at else None,
        "seconds_ago": round((now - ran_at).total_seconds(), 1) if ran_at else None,
        "tick_seconds": runtime.settings.tick_seconds,
    }
    if ran_at is None:
        problems.append("clock: no pass yet (is `iopbot scheduler` running?)")
    elif now - ran_at > allowed:
        problems.append(f"clock: no pass for {MISSED_TICKS} ticks")
    status = "unhealthy" if problems else "ok"
    return not problems, {"status": status, "problems": problems, **report}
