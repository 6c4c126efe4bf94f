"""Benchmark: the console's week calendar and attendance page on a large clinic.

    .venv/bin/python tests/bench/bench_calendar.py \
        --database-url postgresql+psycopg://root@127.0.0.1:5432/test [--requests 40]

2,000 participants (40 counselors, 167 groups of 12 meeting three times a week), ten weeks of
stored group meetings and individual appointments (one every other week per participant), the
reminder fires and outbox rows of the last fortnight (the clock plans a fire minutes ahead),
answers to reminders, and 200,000 other outbox rows. Builds a throwaway PostgreSQL schema with
the migrations, bulk-loads it with COPY, then requests each page through the Flask test client
and reports server time (p50/p95 after a warm-up), the Python CPU time, the number of SQL
statements per request, and any sequential scan of a large table in their plans. The account
page is timed too, as a baseline for how loaded the machine is. With --keep-schema NAME the
clinic is loaded once and reused. Run on demand; pytest never collects it. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_console import NOW, copy_rows, measure, signed_in  # noqa: E402
from tests.bench.pg_schema import drop_schema, make_schema  # noqa: E402

ZONE = "America/New_York"
PATTERNS = ("mon,wed,thu 18:00-21:00", "tue,thu,fri 09:30-12:30", "mon,tue,thu 13:00-16:00",
            "mon,wed,fri 10:00-13:00")
LARGE = ("sessions", "fires", "outbox", "reminder_confirmations", "attendance", "participants",
         "audit_events")
GROUP_SIZE = 12


def load(engine, participants: int, counselors: int, noise: int) -> dict:
    """Bulk-load the clinic; returns counts."""
    from bot.rules.weekly import occurrences, parse_weekly

    rng = random.Random(7)
    tz = ZoneInfo(ZONE)
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    started = time.perf_counter()
    groups = (participants + GROUP_SIZE - 1) // GROUP_SIZE
    copy_rows(dbapi, "counselors", ["id", "name", "phone", "on_call", "supervisor", "active",
                                    "created_at"],
              ((i, f"Counselor {i}", f"+1202555{i:04d}", False, False, True, NOW)
               for i in range(1, counselors + 1)))
    copy_rows(dbapi, "groups", ["id", "name", "timezone", "weekly", "location", "created_at"],
              ((g, f"Group {g:03d}", ZONE, PATTERNS[g % len(PATTERNS)], f"Room {g % 9}",
                NOW - timedelta(days=120)) for g in range(1, groups + 1)))
    copy_rows(dbapi, "participants",
              ["id", "name", "phone", "channel", "timezone", "language", "counselor_id",
               "group_id", "status", "checkin_time", "consent_at", "consent_source",
               "enrolled_at"],
              ((i, f"Person {i:04d}", f"+1415{i:07d}", "sms", ZONE, "en", 1 + i % counselors,
                1 + (i - 1) // GROUP_SIZE, "active", "17:00", NOW, "bench", NOW)
               for i in range(1, participants + 1)))
    today = NOW.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    first, last = monday - timedelta(weeks=8), monday + timedelta(weeks=2) - timedelta(days=1)
    stored_until = NOW + timedelta(days=2)  # the clock stores weekly meetings this far ahead
    sessions = []  # (id, group_id, participant_id, occurrence_key, starts, ends)
    for g in range(1, groups + 1):
        pattern = parse_weekly(PATTERNS[g % len(PATTERNS)])
        for m in occurrences(pattern, tz, first, last):
            if m.starts_at <= stored_until:
                sessions.append((len(sessions) + 1, g, None,
                                 f"weekly:{g}:{m.local_date}T{pattern.start:%H:%M}",
                                 m.starts_at, m.ends_at))
    day = first
    while day <= last:
        for pid in range(1, participants + 1):
            # every other week, on a weekday spread over the participants
            if ((day - first).days // 7 + pid) % 2 == 0 and day.weekday() == pid % 5:
                start = _at(day, 9 + pid % 8, tz)
                sessions.append((len(sessions) + 1, None, pid, None, start,
                                 start + timedelta(hours=1)))
        day += timedelta(days=1)
    copy_rows(dbapi, "sessions", ["id", "group_id", "participant_id", "occurrence_key",
                                  "starts_at", "ends_at", "location", "status", "revision",
                                  "changed_at", "created_at"],
              ((sid, g, p, key, s, e, None, "cancelled" if sid % 97 == 0 else "scheduled", 0,
                s - timedelta(days=7), s - timedelta(days=7))
               for sid, g, p, key, s, e in sessions))
    fires, outbox, answers = [], [], []
    window = (NOW - timedelta(days=14), NOW + timedelta(days=8))
    for sid, g, p, _key, s, _e in sessions:
        if not window[0] <= s <= window[1] or sid % 97 == 0:
            continue
        people = ([p] if p else range((g - 1) * GROUP_SIZE + 1,
                                      min(g * GROUP_SIZE, participants) + 1))
        for pid in people:
            for minutes in (1440, 120):
                due = s - timedelta(minutes=minutes)
                if due > NOW + timedelta(minutes=10):
                    continue  # the clock plans a fire only minutes before it is due
                key = f"reminder:{sid}:0:{pid}:{minutes}"
                done = due <= NOW
                fires.append((key, "reminder", pid, sid, minutes, due, s,
                              "done" if done else "pending", due if done else None, due))
                if done:
                    outbox.append((key, pid, due, rng.choice(("sent",) * 99 + ("failed",))))
            if s - timedelta(hours=24) <= NOW and rng.random() < 0.45:
                answers.append((sid, pid, "coming" if rng.random() < 0.85 else "cant_make_it",
                                s - timedelta(hours=20)))
    copy_rows(dbapi, "fires", ["key", "kind", "participant_id", "session_id", "offset_minutes",
                               "due_at", "expires_at", "state", "decided_at", "created_at"],
              fires)
    copy_rows(dbapi, "outbox",
              ["id", "dedupe_key", "kind", "to_phone", "channel", "body", "participant_id",
               "priority", "state", "not_before", "party", "attempts", "maybe_sent", "sent_at",
               "created_at"],
              ((n, key, "reminder", f"+1415{pid:07d}", "sms", "Reminder: group tomorrow.", pid,
                5, state, due, "participant", 1, False, due, due)
               for n, (key, pid, due, state) in enumerate(outbox, 1)))
    copy_rows(dbapi, "outbox",
              ["id", "dedupe_key", "kind", "to_phone", "channel", "body", "participant_id",
               "priority", "state", "not_before", "party", "attempts", "maybe_sent", "sent_at",
               "created_at"],
              ((n, f"bench:{n}", "checkin", f"+1415{1 + n % participants:07d}", "sms",
                "How strong are urges today, 0-10?", 1 + n % participants, 5, "sent",
                NOW - timedelta(minutes=n), "participant", 1, False, NOW, NOW)
               for n in range(len(outbox) + 1, len(outbox) + noise + 1)))
    copy_rows(dbapi, "reminder_confirmations", ["session_id", "participant_id", "answer",
                                                "answered_at"], answers)
    with dbapi.cursor() as cur:
        for table in ("counselors", "groups", "participants", "sessions", "outbox"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
    dbapi.commit()
    dbapi.autocommit = True
    with dbapi.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    dbapi.autocommit = False
    raw.close()
    return {"seconds": round(time.perf_counter() - started, 1), "sessions": len(sessions),
            "fires": len(fires), "reminder_outbox": len(outbox), "answers": len(answers)}


def _at(day: date, hour: int, tz: ZoneInfo):
    from datetime import time as clock

    from bot.rules.timing import local_to_utc
    return local_to_utc(day, clock(hour), tz)


def cpu_ms(client, path: str, requests: int) -> float:
    """Median CPU time this process spends on GET `path` (Python only: not the database, and
    not time spent waiting for a core, so it reads the same on a loaded machine)."""
    times = []
    for _ in range(requests):
        started = time.process_time()
        client.get(path)
        times.append((time.process_time() - started) * 1000)
    return round(statistics.median(times), 1)


def statements(engine, client, path: str) -> tuple[int, list[str]]:
    """How many statements one GET of `path` runs, and sequential scans of large tables."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    scans = []
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cur.fetchall())
                scans += [f"{t}: {' '.join(statement.split())[:140]}" for t in LARGE
                          if f"Seq Scan on {t} " in plan + " "]
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return len(seen), scans


def main() -> None:
    """Load, measure, report (JSON), drop the schema."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL (loopback)")
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--counselors", type=int, default=40)
    parser.add_argument("--noise", type=int, default=200_000, help="other outbox rows")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep-schema", metavar="NAME",
                        help="load into schema NAME once and keep it; later runs reuse it")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile one page instead")
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
        settings = Settings(database_url=url, transport="console").validated()
        runtime = build_runtime(settings, clock=lambda: NOW)
        upgrade(runtime.engine)
        loaded = {"reused_schema": schema} if reuse else load(
            runtime.engine, args.participants, args.counselors, args.noise)
        print("loaded", loaded, flush=True)
        app = create_app(runtime=runtime)
        counselor = signed_in(app, runtime, "counselor", 1)
        boss = signed_in(app, runtime, "supervisor", None)
        with runtime.engine.connect() as conn:
            from sqlalchemy import text
            group_session = conn.execute(text(
                "SELECT id FROM sessions WHERE group_id IS NOT NULL AND starts_at < :now "
                "AND status = 'scheduled' ORDER BY starts_at DESC LIMIT 1"), {"now": NOW}).scalar()
        pages = {
            "baseline: account page (no clinical query; the machine's load)": (
                boss, "/console/account"),
            "week (supervisor: every group meeting and appointment)": (boss, "/console/calendar"),
            "week (counselor)": (counselor, "/console/calendar"),
            "next week (supervisor, mostly from patterns)": (
                boss, "/console/calendar?week=2026-11-30"),
            "session page (supervisor)": (boss, f"/console/sessions/{group_session}"),
            "attendance roster (supervisor)": (boss, f"/console/sessions/{group_session}"
                                                     "/attendance"),
        }
        if args.profile:
            import cProfile
            import pstats
            client, path = next(v for k, v in pages.items() if k.startswith(args.profile))
            client.get(path)
            with cProfile.Profile() as prof:
                for _ in range(5):
                    client.get(path)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
            return
        results = {}
        for name, (client, path) in pages.items():
            results[name] = measure(client, path, args.requests)
            count, scans = statements(runtime.engine, client, path)
            results[name].update(python_cpu_ms=cpu_ms(client, path, min(args.requests, 20)),
                                 statements=count, seq_scans_of_large_tables=scans)
            print(name, results[name], flush=True)
        print(json.dumps({"loaded": loaded, "pages": results}, indent=2))
        runtime.engine.dispose()
    finally:
        if not args.keep_schema:
            drop_schema(args.database_url, schema)


def named_schema(base: str, schema: str) -> tuple[str, str, bool]:
    """(schema, its URL, whether it already holds a loaded clinic); creates it when missing."""
    from sqlalchemy import create_engine, text

    if not schema.replace("_", "").isalnum():
        raise SystemExit("--keep-schema must be letters, digits and underscores")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        loaded = conn.execute(text(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
            "AND table_name = 'sessions'"), {"s": schema}).first() is not None
        if loaded:
            loaded = bool(conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{schema}".sessions)'))
                          .scalar())
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}", loaded


if __name__ == "__main__":
    main()
