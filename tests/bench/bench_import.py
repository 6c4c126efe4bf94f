"""Benchmark: check (dry run) and import a 2,000-row participant CSV.

    .venv/bin/python tests/bench/bench_import.py                      # SQLite file in a temp dir
    .venv/bin/python tests/bench/bench_import.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test

The database holds 2,000 participants already (so duplicate checks have something to look
through), 50 counselors and 20 groups. The file has 2,000 new rows over 4 time zones, both
languages, varied check-in times and groups. Reports the wall time of the validation alone
(`check_file`, what `--dry-run` does; target < 5 s) and of the full import in one transaction
(every row enrolled and its opt-in text queued). Run on demand; pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
START = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def load(url: str, existing: int) -> None:
    """Create the schema and the people already enrolled."""
    from sqlalchemy import create_engine, insert

    from bot.models import Base, Counselor, Group, Participant

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Counselor), [
            {"id": i, "name": f"Counselor {i}", "phone": f"+1202555{i:04d}", "on_call": False,
             "supervisor": False, "active": True, "created_at": START} for i in range(1, 51)])
        conn.execute(insert(Group), [
            {"id": g, "name": f"Group {g}", "timezone": ZONES[g % 4], "weekly": None,
             "location": None, "created_at": START} for g in range(1, 21)])
        conn.execute(insert(Participant), [
            {"name": f"P {i}", "phone": f"+1415{i:07d}", "channel": "sms",
             "timezone": ZONES[i % 4], "language": "en", "counselor_id": 1 + i % 50,
             "group_id": None, "status": "active", "checkin_time": "17:00",
             "consent_at": START, "consent_source": "bench", "enrolled_at": START}
            for i in range(1, existing + 1)])
    engine.dispose()


def csv_text(rows: int) -> str:
    """A clean roster file of `rows` new participants."""
    lines = ["name,phone,counselor,timezone,language,checkin_time,group"]
    for i in range(rows):
        lines.append(f"Person {i},(312) 555-{i:04d},202-555-{1 + i % 50:04d},{ZONES[i % 4]},"
                     f"{'es' if i % 5 == 0 else 'en'},{10 + i % 9}:{(i % 2) * 30:02d},"
                     + (f"Group {1 + i % 20}" if i % 3 else ""))
    return "\n".join(lines) + "\n"


def main() -> None:
    """Load, then time validation and import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()

    from bot.app import build_runtime
    from bot.services.importing import check_file, import_file
    from bot.settings import Settings

    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgresql"):
            from tests.bench.pg_schema import make_schema

            schema, url = make_schema(url)
        try:
            load(url, existing=args.rows)
            runtime = build_runtime(Settings(database_url=url).validated(), clock=lambda: START)
            text = csv_text(args.rows)
            with runtime.Session() as session, session.begin():
                began = time.perf_counter()
                report = check_file(session, runtime.program, text)
                validate = time.perf_counter() - began
            assert not report.errors, report.errors[:3]
            with runtime.Session() as session, session.begin():
                began = time.perf_counter()
                done = import_file(session, runtime.program, text, START)
                imported = time.perf_counter() - began
            print(json.dumps({
                "database": url.split(":", 1)[0], "rows": args.rows,
                "validate_seconds": round(validate, 3), "import_seconds": round(imported, 3),
                "imported": done.imported,
            }))
        finally:
            if schema:
                from tests.bench.pg_schema import drop_schema

                drop_schema(args.database_url, schema)


if __name__ == "__main__":
    main()
