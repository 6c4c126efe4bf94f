"""Recovery after kill -9 of the clock mid-drain: lost, duplicated, and how long it took.

Queues N texts, starts `iopbot scheduler` against the loopback Twilio (tests/twilio_fake.py),
kills it with SIGKILL after K texts were accepted, starts a new clock and times how long until
every text was accepted. Run on demand (SQLite by default, or a PostgreSQL base URL):

    .venv/bin/python tests/bench/bench_clock_kill.py [--texts 60] [--kill-after 10]
        [--rate 10] [--tick 1] [--database postgresql+psycopg://root@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from tests.bench.pg_schema import drop_schema, make_schema  # noqa: E402
from tests.faults import kill_clock_mid_drain  # noqa: E402
from tests.twilio_fake import FakeTwilio  # noqa: E402


def main() -> None:
    """Run the drill once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=60)
    parser.add_argument("--kill-after", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--database", default=None, help="PostgreSQL base URL (default SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.database:
            schema, url = make_schema(args.database)
        else:
            url = f"sqlite:///{tmp}/kill.db"
        try:
            with FakeTwilio(latency_ms=args.latency_ms) as fake:
                report = kill_clock_mid_drain(url, fake, Path(tmp), texts=args.texts,
                                              rate=args.rate, kill_after=args.kill_after,
                                              tick=args.tick)
        finally:
            if schema:
                drop_schema(args.database, schema)
    db = "postgresql" if args.database else "sqlite"
    print(f"database: {db}, texts: {report.queued}, rate: {args.rate:g}/s, "
          f"tick: {args.tick:g}s, killed after: {report.before_kill} accepted")
    print(f"accepted: {report.accepted}, lost: {report.queued - report.accepted}, "
          f"duplicates: {report.duplicates}")
    rest = report.queued - report.before_kill
    if report.recovery_seconds is None:
        print("recovery: never (timed out)")
    else:
        print(f"recovery: new clock started -> all {rest} remaining accepted in "
              f"{report.recovery_seconds:.2f}s (at {args.rate:g}/s they need "
              f"{max(rest - 1, 0) / args.rate:.2f}s of pacing)")


if __name__ == "__main__":
    main()
