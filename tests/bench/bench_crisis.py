"""Crisis page latency with real processes: webhook POST -> both pages accepted by Twilio.

Starts, as separate processes, the fake Twilio (tests/twilio_fake.py), the web app under
gunicorn (`iopbot web`) and the clock (`iopbot scheduler`, small IOPBOT_TICK_SECONDS), all on a
fresh PostgreSQL schema; sends N signed crisis texts, `--concurrency` of them in flight at a time,
and polls the fake's Messages list to see when each text's pages were accepted: the assigned
counselor's, and the time until BOTH (assigned counselor and on-call) were (target: p99 < 500 ms
with 4 in flight). Run on demand:

    .venv/bin/python tests/bench/bench_crisis.py [--messages 200] [--concurrency 4]
        [--workers 4] [--twilio-latency-ms 0]
        [--database postgresql+psycopg://root@/test?host=/var/run/postgresql]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from bot.migrate import upgrade  # noqa: E402
from bot.models import Counselor, Participant  # noqa: E402
from tests.bench.pg_schema import drop_schema, free_port, make_schema  # noqa: E402

IOPBOT = str(Path(sys.executable).with_name("iopbot"))
DEFAULT_DB = "postgresql+psycopg://root@/test?host=/var/run/postgresql"
BODY = re.compile(r"^Alert \d+ CRISIS: P(\d{4}) B\. ")


def seed(url: str, count: int) -> tuple[list[str], str, str]:
    """Tables plus `count` participants of one counselor and an on-call counselor."""
    engine = create_engine(url)
    upgrade(engine)  # `iopbot web` and `scheduler` refuse an unmigrated database
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        counselor = Counselor(name="Jordan Lee", phone="+14155559001", created_at=now)
        on_call = Counselor(name="Sam Ortiz", phone="+14155559002", on_call=True, created_at=now)
        session.add_all([counselor, on_call])
        session.flush()
        phones = [f"+1415556{i:04d}" for i in range(count)]
        session.add_all(
            Participant(name=f"P{i:04d} Bench", phone=phone, timezone="America/New_York",
                        language="en", counselor_id=counselor.id, status="active",
                        checkin_time="17:00", consent_at=now, consent_source="bench")
            for i, phone in enumerate(phones)
        )
    engine.dispose()
    return phones, "+14155559001", "+14155559002"


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a child process logging to `log`."""
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            cwd=ROOT)


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until `url` answers at all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


class Poller(threading.Thread):
    """Polls the fake Twilio's Messages list; records when each page was first seen."""

    def __init__(self, base: str, sid: str, token: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url = f"{base}/2010-04-01/Accounts/{sid}/Messages.json"
        self.auth, self.interval = (sid, token), interval
        self.seen: dict[tuple[int, str], float] = {}  # (participant index, to) -> perf time
        self.stop = threading.Event()
        self.pages = 0  # every alert text accepted, to catch a page sent twice

    def run(self) -> None:
        http = requests.Session()
        known: set[str] = set()
        while not self.stop.is_set():
            # Newest first: read pages of 50 only until one holds a message already seen, so
            # polling stays cheap and does not steal CPU from the processes being measured.
            for number in range(1000):
                try:
                    page = http.get(self.url, params={"PageSize": 50, "Page": number},
                                    auth=self.auth).json()
                except requests.RequestException:
                    if self.stop.is_set():
                        return  # the fake Twilio is being stopped
                    raise
                now = time.perf_counter()
                fresh = [m for m in page["messages"] if m["sid"] not in known]
                for m in fresh:
                    known.add(m["sid"])
                    match = BODY.match(m["body"])
                    if match:
                        self.pages += 1
                        self.seen.setdefault((int(match.group(1)), m["to"]), now)
                if len(fresh) < len(page["messages"]) or not page["next_page_uri"]:
                    break
            time.sleep(self.interval)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    """Run the benchmark and print p50/p95/p99."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--tick", type=float, default=0.5, help="IOPBOT_TICK_SECONDS")
    parser.add_argument("--poll-ms", type=float, default=10.0)
    parser.add_argument("--twilio-latency-ms", type=float, default=0.0,
                        help="the fake Twilio answers each request this much later (real "
                             "Twilio takes ~100-300 ms)")
    parser.add_argument("--database", default=os.environ.get("IOPBOT_BENCH_DATABASE_URL",
                                                             DEFAULT_DB))
    args = parser.parse_args()
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_crisis_{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    schema, url = make_schema(args.database)
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    children: list[subprocess.Popen] = []
    try:
        phones, counselor_phone, on_call_phone = seed(url, args.messages)
        fake = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "twilio_fake.py"), "--port", "0",
             "--account-sid", sid, "--auth-token", token,
             "--latency-ms", str(args.twilio_latency_ms)],
            stdout=subprocess.PIPE, text=True)
        children.append(fake)
        twilio_base = fake.stdout.readline().strip()
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": url, "TWILIO_ACCOUNT_SID": sid,
               "TWILIO_AUTH_TOKEN": token, "TWILIO_FROM_NUMBER": "+15005550006",
               "TWILIO_API_BASE_URL": twilio_base, "PUBLIC_BASE_URL": public,
               "IOPBOT_TRANSPORT": "twilio", "IOPBOT_TICK_SECONDS": str(args.tick),
               "IOPBOT_SEND_RATE": "100", "IOPBOT_LOG_LEVEL": "WARNING"}
        children.append(start([IOPBOT, "web", "--port", str(port), "--workers",
                               str(args.workers)], env, logs / "web.log"))
        children.append(start([IOPBOT, "scheduler"], env, logs / "scheduler.log"))
        wait_http(public + "/healthz")
        poller = Poller(twilio_base, sid, token, args.poll_ms / 1000)
        poller.start()
        sent_at: dict[int, float] = {}
        answered: dict[int, float] = {}
        validator = RequestValidator(token)
        local = threading.local()

        def send(i: int) -> None:
            http = getattr(local, "http", None) or requests.Session()
            local.http = http
            form = {"From": phones[i], "To": "+15005550006", "Body": "I want to kill myself",
                    "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": sid}
            signature = validator.compute_signature(public + "/twilio/messages", form)
            sent_at[i] = time.perf_counter()
            response = http.post(public + "/twilio/messages", data=form,
                                 headers={"X-Twilio-Signature": signature}, timeout=10)
            answered[i] = time.perf_counter() - sent_at[i]
            assert response.status_code == 200 and "988" in response.text, response.text[:200]

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(send, range(args.messages)))
        deadline = time.monotonic() + 30
        wanted = {(i, p) for i in range(args.messages) for p in (counselor_phone, on_call_phone)}
        while not wanted <= poller.seen.keys() and time.monotonic() < deadline:
            time.sleep(0.05)
        poller.stop.set()
        poller.join(timeout=5)
        elapsed = time.perf_counter() - started
        seen = poller.seen
        assigned = [seen[(i, counselor_phone)] - sent_at[i] for i in range(args.messages)
                    if (i, counselor_phone) in seen]
        both = [max(seen[(i, counselor_phone)], seen[(i, on_call_phone)]) - sent_at[i]
                for i in range(args.messages) if {(i, counselor_phone), (i, on_call_phone)}
                <= seen.keys()]
        # What the page sender adds once the webhook has answered (the pages leave after that).
        after_answer = [max(seen[(i, counselor_phone)], seen[(i, on_call_phone)])
                        - sent_at[i] - answered[i] for i in range(args.messages)
                        if {(i, counselor_phone), (i, on_call_phone)} <= seen.keys()]
        # How long the later of a text's two pages came after the earlier one (~0 when they are
        # sent at the same time, ~one Twilio round trip when one waits for the other).
        gap = [abs(seen[(i, counselor_phone)] - seen[(i, on_call_phone)])
               for i in range(args.messages)
               if {(i, counselor_phone), (i, on_call_phone)} <= seen.keys()]
        print(f"messages: {args.messages}, concurrency: {args.concurrency}, gunicorn workers: "
              f"{args.workers}, tick: {args.tick}s, poll: {args.poll_ms:g} ms, "
              f"fake Twilio latency: {args.twilio_latency_ms:g} ms, "
              f"wall: {elapsed:.1f}s")
        for name, values in (("webhook answered (TwiML back)", list(answered.values())),
                             ("assigned counselor page", assigned),
                             ("both pages (assigned + on-call)", both),
                             ("both pages, after the webhook answered", after_answer),
                             ("second page after the first", gap)):
            if not values:
                print(f"{name}: none arrived")
                continue
            print(f"{name}: {len(values)}/{args.messages} arrived; "
                  f"p50 {statistics.median(values) * 1000:.0f} ms, "
                  f"p95 {percentile(values, 95) * 1000:.0f} ms, "
                  f"p99 {percentile(values, 99) * 1000:.0f} ms, "
                  f"max {max(values) * 1000:.0f} ms")
        print(f"pages accepted: {poller.pages} (expected {2 * args.messages}; more = duplicates)")
        print(f"logs: {logs}")
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        drop_schema(args.database, schema)


if __name__ == "__main__":
    main()
