"""A slow Twilio during crisis texts: webhook latency, and pages once Twilio recovers.

Starts `iopbot web` (gunicorn) and `iopbot scheduler` on a fresh PostgreSQL schema (or a SQLite
file) with the loopback Twilio (tests/twilio_fake.py) in this process. Twilio then stalls for
--stall seconds (every request is held and only then answered and accepted, as a slow Twilio
would), and meanwhile N texts arrive at once: --crisis of them crisis texts from different
participants, the rest ordinary texts and a STOP. Reports every webhook's answer time and, for
each page, when Twilio accepted it relative to its recovery. Run on demand:

    .venv/bin/python tests/bench/bench_slow_twilio.py [--texts 8] [--crisis 2] [--stall 12]
        [--workers 2] [--database postgresql+psycopg://root@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from tests.bench.bench_crisis import seed, start, wait_http  # noqa: E402
from tests.bench.pg_schema import drop_schema, free_port, make_schema  # noqa: E402
from tests.twilio_fake import FakeTwilio  # noqa: E402

IOPBOT = str(Path(sys.executable).with_name("iopbot"))
PAGE = re.compile(r"^Alert \d+ CRISIS: ")


def main() -> None:
    """Run the drill once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=8)
    parser.add_argument("--crisis", type=int, default=2)
    parser.add_argument("--stall", type=float, default=12.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--database", default=None, help="PostgreSQL base URL (default SQLite)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_slow_twilio_"))
    schema = None
    if args.database:
        schema, url = make_schema(args.database)
    else:
        url = f"sqlite:///{tmp}/bench.db"
    children = []
    try:
        phones, counselor, on_call = seed(url, args.texts)
        with FakeTwilio() as fake:
            port = free_port()
            public = f"http://127.0.0.1:{port}"
            env = {**os.environ, "DATABASE_URL": url, "TWILIO_ACCOUNT_SID": fake.account_sid,
                   "TWILIO_AUTH_TOKEN": fake.auth_token, "TWILIO_FROM_NUMBER": "+15005550006",
                   "TWILIO_API_BASE_URL": fake.base_url, "PUBLIC_BASE_URL": public,
                   "IOPBOT_TRANSPORT": "twilio", "IOPBOT_TICK_SECONDS": str(args.tick),
                   "IOPBOT_SEND_RATE": "100", "IOPBOT_LOG_LEVEL": "WARNING"}
            children.append(start([IOPBOT, "web", "--port", str(port), "--workers",
                                   str(args.workers)], env, tmp / "web.log"))
            children.append(start([IOPBOT, "scheduler"], env, tmp / "scheduler.log"))
            wait_http(public + "/healthz")
            time.sleep(2 * args.tick)  # the clock's first passes are done
            fake.clear()
            validator = RequestValidator(fake.auth_token)
            crisis = ["I want to kill myself"] * args.crisis
            bodies = (crisis + ["STOP"] + ["8", "hello"] * args.texts)[:args.texts]

            def text(i: int) -> float:
                form = {"From": phones[i], "To": "+15005550006", "Body": bodies[i],
                        "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": fake.account_sid}
                signature = validator.compute_signature(public + "/twilio/messages", form)
                began = time.perf_counter()
                response = requests.post(public + "/twilio/messages", data=form, timeout=30,
                                         headers={"X-Twilio-Signature": signature})
                assert response.status_code == 200, response.status_code
                return time.perf_counter() - began

            fake.stall(args.stall)
            stalled_at = time.monotonic()
            with ThreadPoolExecutor(args.texts) as pool:
                latencies = list(pool.map(text, range(args.texts)))
            recovered = datetime.now(UTC).timestamp() + args.stall - (
                time.monotonic() - stalled_at)
            wanted = 2 * args.crisis
            deadline = time.monotonic() + args.stall + 60
            while time.monotonic() < deadline:
                if len([m for m in fake.messages if PAGE.match(m["body"])]) >= wanted:
                    break
                time.sleep(0.05)
            time.sleep(3 * args.tick)  # any duplicate would arrive now
            pages = [m for m in fake.messages if PAGE.match(m["body"])]
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(30)
        if schema:
            drop_schema(args.database, schema)
    after = sorted(m["created_at"].timestamp() - recovered for m in pages)
    copies = Counter((m["to"], m["body"]) for m in pages)
    db = "postgresql" if args.database else "sqlite"
    print(f"database: {db}, gunicorn workers: {args.workers}, texts at once: {args.texts} "
          f"({args.crisis} crisis), Twilio stalled {args.stall:g}s")
    print(f"webhook answered: max {max(latencies) * 1000:.0f} ms, "
          f"median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")
    print(f"pages accepted: {len(copies)} of {wanted}, sent twice: "
          f"{sum(c - 1 for c in copies.values())}")
    if after:
        print(f"page accepted after Twilio recovered: latest {after[-1]:+.2f}s, "
              f"earliest {after[0]:+.2f}s")
    print(f"logs: {tmp}")


if __name__ == "__main__":
    main()
