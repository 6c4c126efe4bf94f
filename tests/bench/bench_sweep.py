"""Benchmark: plan one day of check-ins and session reminders for 100,000 participants.

    .venv/bin/python tests/bench/bench_sweep.py                      # SQLite file in a temp dir
    .venv/bin/python tests/bench/bench_sweep.py --database-url postgresql+psycopg://...

The data (200 groups meeting 3 times a week, 100,000 participants spread over 4 time zones
and 12 check-in times) is loaded first; then a fresh process runs the planning sweep for a
24-hour window, the way the clock does after a day of downtime, and reports the sweep's wall
time and the process's peak memory (ru_maxrss). Run on demand; pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
TIMES = [f"{h:02d}:{m:02d}" for h in (9, 10, 12, 14, 16, 17, 18, 19) for m in (0, 30)][:12]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday, before any US check-in


def load(url: str, people: int, groups: int) -> None:
    """Create the schema and bulk-load counselors, groups and participants."""
    from sqlalchemy import create_engine, insert

    from bot.models import Base, Counselor, Group, Participant

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(insert(Counselor), [
            {"id": i, "name": f"Counselor {i}", "phone": f"+1202555{i:04d}", "on_call": False,
             "supervisor": False, "active": True, "created_at": START} for i in range(1, 51)])
        conn.execute(insert(Group), [
            {"id": g, "name": f"Group {g}", "timezone": ZONES[g % 4],
             "weekly": f"{','.join(rng.sample(DAYS, 3))} {17 + g % 3}:00-{19 + g % 3}:30",
             "location": f"Room {g % 9}", "created_at": START} for g in range(1, groups + 1)])
        batch = []
        for i in range(1, people + 1):
            batch.append({
                "id": i, "name": f"P {i}", "phone": f"+1415{i:07d}", "channel": "sms",
                "timezone": ZONES[i % 4], "language": "es" if i % 5 == 0 else "en",
                "counselor_id": 1 + i % 50, "group_id": 1 + i % groups, "status": "active",
                "checkin_time": TIMES[i % len(TIMES)], "consent_at": START,
                "consent_source": "bench", "enrolled_at": START,
            })
            if len(batch) == 10_000:
                conn.execute(insert(Participant), batch)
                batch = []
        if batch:
            conn.execute(insert(Participant), batch)
    engine.dispose()


def sweep(url: str) -> dict:
    """Plan 24 hours of fires in one transaction; return timings and peak memory."""
    from bot.app import build_runtime
    from bot.services.schedule.config import schedule_config
    from bot.settings import Settings
    from schedules import planner
    from schedules.checkins import plan_checkins
    from schedules.reminders import plan_reminders

    runtime = build_runtime(Settings(database_url=url).validated())
    config = replace(schedule_config(runtime.program), lookahead=timedelta(hours=24))
    start, end = START, START + timedelta(hours=24)
    timings = {}
    began = time.perf_counter()
    with runtime.Session() as session, session.begin():
        t = time.perf_counter()
        sessions = planner.materialize_weekly(session, config, START)
        timings["weekly_sessions_s"] = time.perf_counter() - t
        t = time.perf_counter()
        checkins = plan_checkins(session, start, end, START)
        timings["checkins_s"] = time.perf_counter() - t
        t = time.perf_counter()
        reminders = plan_reminders(session, config.reminder_offsets, start, end, START, START)
        timings["reminders_s"] = time.perf_counter() - t
    timings["sweep_total_s"] = time.perf_counter() - began
    runtime.engine.dispose()
    return {
        "sessions_added": sessions, "checkin_fires": checkins, "reminder_fires": reminders,
        **{k: round(v, 3) for k, v in timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Load the data, then measure the sweep in a fresh process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--sweep-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweep_only:
        print(json.dumps(sweep(args.database_url)))
        return
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    t = time.perf_counter()
    load(url, args.participants, args.groups)
    print(f"loaded {args.participants} participants in {args.groups} groups "
          f"({time.perf_counter() - t:.1f}s) into {url.split('@')[-1]}", file=sys.stderr)
    out = subprocess.run([sys.executable, __file__, "--sweep-only", "--database-url", url],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"database": url.split(":")[0], "participants": args.participants,
                      "groups": args.groups, **result}, indent=2))


if __name__ == "__main__":
    main()
