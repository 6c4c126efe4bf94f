"""Benchmark: the program report page with 2,000 participants (target p95 < 150 ms on PostgreSQL).

    .venv/bin/python tests/bench/bench_reports.py \
        --database-url postgresql+psycopg://root@127.0.0.1:5432/test [--requests 40] \
        [--keep-schema bench_reports]

Builds a PostgreSQL schema with the migrations and fills it in SQL (generate_series, seconds):
2,000 participants with a daily check-in for the last 180 days (20 % missed), 5,000 alerts over
the same days (acknowledged after 0-44 minutes), and 20 groups meeting three times a week for
13 weeks with every member's attendance marked. Then it requests /console/reports as a
supervisor (the default 12 weeks, and a whole year) through the Flask test client and reports
the server time (p50/p95 after a warm-up), and any sequential scan of a large table in the plans.
Run on demand; pytest never collects it. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_console import NOW, explain, measure, named_schema, signed_in  # noqa: E402
from tests.bench.pg_schema import drop_schema, make_schema  # noqa: E402

GROUPS, WEEKS = 20, 13


LOAD = """
INSERT INTO counselors (id, name, phone, on_call, supervisor, active, created_at)
SELECT i, 'Counselor ' || i, '+1202555' || lpad(i::text, 4, '0'), false, false, true, :now
FROM generate_series(1, 40) i;
INSERT INTO groups (id, name, timezone, weekly, created_at)
SELECT g, 'Group ' || g, 'America/New_York', 'mon,wed,thu 18:00-21:00', :now
FROM generate_series(1, 20) g;
INSERT INTO participants (id, name, phone, channel, timezone, language, counselor_id, group_id,
                          status, checkin_time, consent_at, consent_source, enrolled_at,
                          discharged_at)
SELECT i, 'Person ' || i, '+1415' || lpad(i::text, 7, '0'), 'sms', 'America/New_York', 'en',
       1 + i % 40, 1 + i % 20, CASE WHEN i % 25 = 0 THEN 'discharged' ELSE 'active' END, '17:00',
       :now - interval '200 days', 'bench', :now - (i % 200) * interval '1 day',
       CASE WHEN i % 25 = 0 THEN :now - (i % 60) * interval '1 day' END
FROM generate_series(1, :participants) i;
INSERT INTO checkins (participant_id, local_date, asked_at, prompted_at, closes_at, step,
                      craving, used, mood, reasks, answered_at, completed_at, missed)
SELECT p, d::date, d + interval '22 hours', d + interval '22 hours', d + interval '46 hours',
       'done', CASE WHEN (p + b) % 5 <> 0 THEN (p * b) % 11 END,
       CASE WHEN (p + b) % 5 <> 0 THEN false END, CASE WHEN (p + b) % 5 <> 0 THEN 1 + b % 5 END,
       0, CASE WHEN (p + b) % 5 <> 0 THEN d + interval '22 hours 5 minutes' END,
       CASE WHEN (p + b) % 5 <> 0 THEN d + interval '22 hours 9 minutes' END, (p + b) % 5 = 0
FROM generate_series(1, :participants) p,
     generate_series(1, 180) b, LATERAL (SELECT (:now)::date - b AS d) day;
INSERT INTO alerts (dedupe_key, participant_id, counselor_id, level, kind, reasons, summary,
                    state, step, created_at, acknowledged_at)
SELECT 'bench:' || i, 1 + (i * 7) % :participants, 1 + i % 40,
       (ARRAY['crisis','urgent','urgent','concern','concern','concern'])[1 + i % 6],
       'free_text', '["asks for help"]', 'asks for help',
       CASE WHEN i % 20 = 0 THEN 'open' ELSE 'acknowledged' END, 1,
       :now - (i % 180) * interval '1 day' - (i % 11) * interval '1 hour',
       CASE WHEN i % 20 <> 0 THEN :now - (i % 180) * interval '1 day'
            - (i % 11) * interval '1 hour' + (i % 45) * interval '1 minute' END
FROM generate_series(1, :alerts) i;
INSERT INTO sessions (group_id, starts_at, ends_at, status, revision, changed_at, created_at)
SELECT g, t, t + interval '3 hours', 'scheduled', 0, :now, :now
FROM generate_series(1, 20) g,
     generate_series(date_trunc('week', :now) - interval '13 weeks', :now, interval '1 day') d,
     LATERAL (SELECT d + interval '23 hours' AS t) at
WHERE extract(isodow FROM d) IN (1, 3, 4) AND d + interval '23 hours' < :now;
INSERT INTO attendance (session_id, participant_id, present, marked_at, marked_by)
SELECT s.id, p.id, (p.id + s.id) % 5 <> 0, s.starts_at, 'staff:bench'
FROM sessions s JOIN participants p ON p.group_id = s.group_id;
"""


def load(engine, participants: int, alerts: int) -> dict:
    """Fill the schema in SQL; returns the row counts."""
    from sqlalchemy import text

    with engine.begin() as conn:
        for statement in LOAD.split(";"):
            if statement.strip():
                conn.execute(text(statement), {"now": NOW, "participants": participants,
                                               "alerts": alerts})
        counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("participants", "checkins", "alerts", "sessions", "attendance")}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return counts


def main() -> None:
    """Load, measure, explain, report (JSON), drop the schema."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL (loopback)")
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep-schema", metavar="NAME",
                        help="load schema NAME once and keep it; later runs reuse its data")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL")

    from bot.app import build_runtime, create_app
    from bot.migrate import upgrade
    from bot.settings import Settings

    reuse = False
    if args.keep_schema:
        schema, url, reuse = named_schema(args.database_url, args.keep_schema)
    else:
        schema, url = make_schema(args.database_url)
    try:
        runtime = build_runtime(Settings(database_url=url, transport="console").validated(),
                                clock=lambda: NOW)
        upgrade(runtime.engine)
        loaded = {"reused_schema": schema} if reuse else load(runtime.engine, args.participants,
                                                              args.alerts)
        app = create_app(runtime=runtime)
        boss = signed_in(app, runtime, "supervisor", None)
        year = f"/console/reports?from={(NOW - timedelta(days=365)).date()}&to={NOW.date()}"
        pages = {"report, default 12 weeks": "/console/reports", "report, a whole year": year}
        results = {}
        for name, path in pages.items():
            results[name] = measure(boss, path, args.requests)
            results[name]["seq_scans_of_large_tables"] = explain(runtime.engine, boss, path)
            print(name, results[name], flush=True)
        print(json.dumps({"loaded": loaded, "pages": results}, indent=2, default=str))
        runtime.engine.dispose()
    finally:
        if not args.keep_schema:
            drop_schema(args.database_url, schema)


if __name__ == "__main__":
    main()
