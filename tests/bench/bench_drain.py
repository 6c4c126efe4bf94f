"""Benchmark: outbox drain rate against the loopback Twilio fake running as its own process.

    .venv/bin/python tests/bench/bench_drain.py [--messages 500] [--rate 50] [--latency-ms 30]
        [--database-url postgresql+psycopg://...]

Queues N scheduled texts, drains them with IOPBOT_SEND_RATE-style pacing, and reports the
achieved rate ((sent - 1) / wall seconds of the drain: pacing starts the first send at once)
next to the configured one, and how many texts the fake holds.
Run on demand; pytest never collects it.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    """Start the fake, queue texts, drain them, print the measured rate as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--database-url")
    parser.add_argument("--concurrency", type=int, default=4, help="IOPBOT_SEND_CONCURRENCY")
    args = parser.parse_args()

    from sqlalchemy import insert

    from bot.app import build_runtime
    from bot.models import Base, OutboxMessage
    from bot.sending import drain
    from bot.settings import Settings

    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "twilio_fake.py"), "--port", "0",
         "--account-sid", sid, "--auth-token", token, "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.PIPE, text=True)
    try:
        base_url = fake.stdout.readline().strip()
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/drain.db"
        settings = Settings(
            database_url=url, twilio_account_sid=sid, twilio_auth_token=token,
            twilio_from_number="+15005550006", twilio_api_base_url=base_url,
            transport="twilio", send_rate=args.rate,
            send_concurrency=args.concurrency).validated()
        runtime = build_runtime(settings)
        Base.metadata.drop_all(runtime.engine)
        Base.metadata.create_all(runtime.engine)
        now = datetime.now(UTC) - timedelta(seconds=1)
        with runtime.engine.begin() as conn:
            conn.execute(insert(OutboxMessage), [{
                "dedupe_key": f"bench:{i}", "kind": "checkin", "to_phone": f"+1415{i:07d}",
                "channel": "sms", "body": "Daily check-in: how strong were the urges today?",
                "priority": 5, "state": "pending", "not_before": now, "attempts": 0,
                "maybe_sent": False, "party": "participant", "created_at": now,
            } for i in range(args.messages)])
        started = time.perf_counter()
        report = drain(runtime)
        elapsed = time.perf_counter() - started
        request = urllib.request.Request(
            f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json?PageSize=1000")
        request.add_header("Authorization", "Basic " + base64.b64encode(
            f"{sid}:{token}".encode()).decode())
        listed = json.load(urllib.request.urlopen(request))["messages"]
        runtime.engine.dispose()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print(json.dumps({
        "database": url.split(":")[0], "messages": args.messages, "sent": report.sent,
        "failed": report.failed, "configured_rate": args.rate,
        "drain_seconds": round(elapsed, 2),
        "achieved_rate": round((report.sent - 1) / elapsed, 2) if report.sent > 1 else None,
        "deviation_pct": round(100 * ((report.sent - 1) / elapsed - args.rate) / args.rate, 2),
        "fake_received": len(listed), "latency_ms": args.latency_ms,
    }, indent=2))


if __name__ == "__main__":
    main()
