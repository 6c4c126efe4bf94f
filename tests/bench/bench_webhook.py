"""Inbound webhook throughput and latency under gunicorn on PostgreSQL, as a share of a floor.

In one run, on a fresh PostgreSQL schema with enrolled participants:

1. serves the bot (`bot.app:create_app()`), then the durable floor (bench_webhook_floor.py:
   signature check, one INSERT of the text on the same schema, commit, empty TwiML) and, unless
   --no-bare, a bare Flask endpoint answering empty TwiML (bench_webhook_bare.py), each with the
   same gunicorn command line: the Procfile's options (--preload, the bot.gunicorn_app config)
   with the same --workers and --threads;
2. drives each at full speed with `wrk` (a separate process on loopback; Debian package `wrk`)
   replaying pre-signed POSTs: valid X-Twilio-Signature, a distinct MessageSid each, from
   enrolled participants and from unknown numbers;
3. before that, drives each at a fixed 100 requests/s (open loop: latency counts from the
   scheduled send time) from a separate Python process, and reports p50/p99;
4. checks every request got a 200, every bot request was logged once and every floor request
   stored once, then drops the schema.

The bot is reported as a ratio of the floor's throughput at saturation (target >= 50 %) and by
its p99 at 100 req/s (target < 20 ms). Run on demand (never collected by pytest):

    .venv/bin/python tests/bench/bench_webhook.py [--duration 15] [--connections 8]
        [--workers 2] [--rate 100] [--rate-seconds 20] [--no-bare]
        [--database postgresql+psycopg://root@/test?host=/var/run/postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from datetime import UTC, datetime  # noqa: E402

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bot.models import Base, Counselor, MessageLog, Participant  # noqa: E402
from tests.bench.pg_schema import drop_schema, free_port, make_schema  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://root@/test?host=/var/run/postgresql"
HERE = Path(__file__).resolve().parent
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-token-" + "0" * 20
PARTICIPANT_BODIES = ["thanks", "ok see you then", "running a bit late", "hi", "sounds good",
                      "what time is group again?", "got it 👍", "ok"]
UNKNOWN_BODIES = ["hi", "who is this?", "hello", "wrong number"]
# The durable floor's table (bench_webhook_floor.py); created here, before it is served.
FLOOR_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_floor_inbound (
    id BIGSERIAL PRIMARY KEY,
    message_sid VARCHAR(64) NOT NULL UNIQUE,
    from_phone VARCHAR(32) NOT NULL,
    body TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
)"""
# The Procfile's `web:` options (tests/test_gunicorn_preload.py checks that it has them): the app
# is loaded once in the master and each worker drops inherited connections. Every server in
# the run gets them, so the comparison stays like for like.
PROCFILE_OPTIONS = ["--preload", "--config", "python:bot.gunicorn_app"]
LUA = """
local lines, n, i = {}, 0, 0
local path = "%(path)s"
function setup(thread)
  thread:set("tid", %(counter)s)
  %(counter)s = %(counter)s + 1
end
function init(args)
  local k = 0
  for line in io.lines("%(file)s") do
    if k %% %(threads)d == tid then
      local tab = line:find("\\t")
      n = n + 1
      lines[n] = {line:sub(1, tab - 1), line:sub(tab + 1)}
    end
    k = k + 1
  end
end
function request()
  i = i + 1
  if i > n then i = 1 end
  local item = lines[i]
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = item[1]}, item[2])
end
"""


def enrol(url: str, participants: int) -> list[str]:
    """Create the tables (the floor's too) and `participants` participants; return their phones."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text(FLOOR_TABLE_SQL))
    now = datetime.now(UTC)
    phones = [f"+1415700{i:04d}" for i in range(participants)]
    with Session(engine) as s, s.begin():
        counselor = Counselor(name="Bench Counselor", phone="+14155550100", created_at=now)
        s.add(counselor)
        s.flush()
        s.add_all(Participant(
            name=f"P{i:04d} Bench", phone=phone, timezone="America/New_York", language="en",
            counselor_id=counselor.id, status="active", checkin_time="17:00", consent_at=now,
            consent_source="bench", channel="sms", enrolled_at=now,
        ) for i, phone in enumerate(phones))
    engine.dispose()
    return phones


def signed_requests(url: str, count: int, phones: list[str], unknown_share: float,
                    tag: str) -> list[tuple[str, str]]:
    """`count` (signature, urlencoded body) pairs with distinct MessageSids."""
    validator, rng = RequestValidator(AUTH_TOKEN), random.Random(7)
    out = []
    for i in range(count):
        if rng.random() < unknown_share:
            sender, body = f"+1628555{rng.randrange(10000):04d}", rng.choice(UNKNOWN_BODIES)
        else:
            sender, body = rng.choice(phones), rng.choice(PARTICIPANT_BODIES)
        form = {"ToCountry": "US", "SmsMessageSid": "", "NumMedia": "0", "From": sender,
                "To": "+15005550006", "Body": body, "AccountSid": ACCOUNT_SID,
                "MessageSid": f"SM{tag}{i:0{32 - len(tag)}x}", "ApiVersion": "2010-04-01"}
        form["SmsMessageSid"] = form["MessageSid"]
        out.append((validator.compute_signature(url, form), urlencode(form)))
    return out


class Server:
    """One gunicorn process tree serving `app_spec` on a free port."""

    def __init__(self, app_spec: str, env: dict[str, str], workers: int, threads: int,
                 log: Path, chdir: Path | None = None) -> None:
        self.port = free_port()
        self.app_spec, self.env, self.workers, self.threads, self.log, self.chdir = (
            app_spec, env, workers, threads, log, chdir)
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The gunicorn command line (identical for every app but for the app and port): the
        Procfile's options (PROCFILE_OPTIONS) with the given workers and threads."""
        cmd = [sys.executable, "-m", "gunicorn", *PROCFILE_OPTIONS, "--workers", str(self.workers),
               "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
               "--log-level", "warning"]
        if self.chdir:
            cmd += ["--chdir", str(self.chdir)]
        return [*cmd, self.app_spec]

    def __enter__(self) -> Server:
        env = {**self.env, "PUBLIC_BASE_URL": self.base}
        self.proc = subprocess.Popen(self.command(), env=env, cwd=ROOT,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1):
                    return self
            except urllib.error.HTTPError:  # the bot's 503 "no clock pass yet": it is serving
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"server {self.app_spec} did not start; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def warm_up(server: Server, requests: list[tuple[str, str]]) -> None:
    """Send a few requests from 4 threads so every worker has loaded what it loads lazily."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def send(chunk: list[tuple[str, str]]) -> None:
        for signature, body in chunk:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("POST", "/twilio/messages", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature})
            conn.getresponse().read()
            conn.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, [requests[i::4] for i in range(4)]))


def run_wrk(server: Server, requests: list[tuple[str, str]], args, workdir: Path) -> dict:
    """Full-speed run with wrk; returns requests/s, p50/p99 (ms), counts."""
    data = workdir / f"requests-{server.port}.tsv"
    data.write_text("".join(f"{sig}\t{body}\n" for sig, body in requests))
    script = workdir / f"signed-{server.port}.lua"
    script.write_text("next_tid = 0\n" + LUA % {
        "path": "/twilio/messages", "file": data, "threads": args.threads, "counter": "next_tid"})
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
           "--latency", "-s", str(script), server.base + "/twilio/messages"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60).stdout
    try:
        parsed = parse_wrk(out)
    except AttributeError:
        raise SystemExit(f"could not read wrk's output:\n{out}") from None
    return parsed | {"command": " ".join(cmd[:-3] + ["-s", "signed.lua", cmd[-1]])}


def parse_wrk(out: str) -> dict:
    """Requests/s, latency percentiles and error counts from wrk's --latency output."""
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)([a-z]+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "p50_ms": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
              "p99_ms": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result["non_2xx"] = int(bad.group(1)) if bad else 0
    result["socket_errors"] = errors.group(1) if errors else ""
    return result


def run_fixed_rate(server: Server, requests: list[tuple[str, str]], rate: float,
                   seconds: float) -> dict:
    """Open-loop load at `rate`/s from a separate process; latency from the scheduled time."""
    payload = json.dumps({"host": "127.0.0.1", "port": server.port, "rate": rate,
                          "seconds": seconds, "requests": requests})
    out = subprocess.run([sys.executable, str(HERE / "bench_webhook_rate.py")], input=payload,
                         capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def inbound_logged(url: str) -> int:
    """How many inbound texts the bot logged."""
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(MessageLog)
                        .where(MessageLog.direction == "in"))
    engine.dispose()
    return n


def floor_stored(url: str) -> int:
    """How many texts the floor stored."""
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM bench_floor_inbound"))
    engine.dispose()
    return n


def measure(server: Server, phones: list[str], args, workdir: Path, tag: str) -> tuple[dict, dict]:
    """Warm `server` up, then (fixed-rate result, wrk result); `tag` keeps MessageSids distinct."""
    url = server.base + "/twilio/messages"
    warm_up(server, signed_requests(url, args.warm_up, phones, args.unknown_share, tag + "w"))
    rate_reqs = signed_requests(url, int(args.rate * args.rate_seconds) + 10, phones,
                                args.unknown_share, tag + "c")
    fixed = run_fixed_rate(server, rate_reqs, args.rate, args.rate_seconds)
    reqs = signed_requests(url, args.max_requests, phones, args.unknown_share, tag + "a")
    full = run_wrk(server, reqs, args, workdir)
    if full["requests"] > len(reqs):
        print("warning: more requests than pre-signed ones; raise --max-requests",
              file=sys.stderr)
    return fixed, full


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a JSON summary plus a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both apps)")
    parser.add_argument("--gunicorn-threads", type=int, default=1,
                        help="gunicorn --threads (both apps; above 1 uses gthread workers)")
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--unknown-share", type=float, default=0.2)
    parser.add_argument("--max-requests", type=int, default=60_000,
                        help="pre-signed requests per run (the count bound)")
    parser.add_argument("--warm-up", type=int, default=200,
                        help="requests sent before measuring (lazy loading in each worker)")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-seconds", type=float, default=20.0)
    parser.add_argument("--log-level", default="INFO", help="IOPBOT_LOG_LEVEL of the bot")
    parser.add_argument("--no-bare", action="store_true",
                        help="skip the bare (no signature, no database) endpoint")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    schema, url = make_schema(args.database)
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "IOPBOT_"))}
    env.update(DATABASE_URL=url, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
               TWILIO_FROM_NUMBER="+15005550006", IOPBOT_TRANSPORT="console",
               IOPBOT_LOG_LEVEL=args.log_level)
    try:
        phones = enrol(url, args.participants)
        results: dict[str, dict] = {}
        shape = (args.workers, args.gunicorn_threads)
        # Order matters on loopback: wrk against the bare endpoint opens ~100k short-lived
        # connections (gunicorn's sync workers close each one), and for the next minute their
        # TIME_WAIT ports make some new connects wait for a SYN retransmit (1 s). So each
        # fixed-rate run comes before that server's wrk run, and the bot goes first.
        bot = Server("bot.app:create_app()", env, *shape, workdir / "bot.log")
        with bot:
            before = inbound_logged(url)
            results["bot_fixed_rate"], results["bot"] = measure(bot, phones, args, workdir, "b")
            results["bot"]["inbound_logged"] = inbound_logged(url) - before
        floor = Server("bench_webhook_floor:app", env, *shape, workdir / "floor.log", HERE)
        with floor:
            results["floor_fixed_rate"], results["floor"] = measure(floor, phones, args,
                                                                    workdir, "f")
            results["floor"]["stored"] = floor_stored(url)
        if not args.no_bare:
            bare = Server("bench_webhook_bare:app", env, *shape, workdir / "bare.log", HERE)
            with bare:
                results["bare_fixed_rate"], results["bare"] = measure(bare, phones, args,
                                                                      workdir, "e")
        results["ratio"] = round(results["bot"]["rps"] / results["floor"]["rps"], 3)
        if not args.no_bare:
            results["floor_ratio_to_bare"] = round(
                results["floor"]["rps"] / results["bare"]["rps"], 3)
        results["config"] = {"workers": args.workers, "gunicorn_threads": args.gunicorn_threads,
                             "connections": args.connections,
                             "threads": args.threads, "duration_s": args.duration,
                             "participants": args.participants, "cpus": os.cpu_count(),
                             "log_level": args.log_level, "gunicorn": bot.command()[2:-1]}
        print(json.dumps(results, indent=2))
        print(markdown(results))
    finally:
        drop_schema(args.database, schema)
        shutil.rmtree(workdir, ignore_errors=True)


def markdown(r: dict) -> str:
    """The table for docs/benchmarks.md."""
    rows = [("iopbot /twilio/messages", "bot"), ("durable floor (signature, INSERT, commit)",
                                                 "floor")]
    if "bare" in r:
        rows.append(("bare Flask, empty TwiML", "bare"))
    lines = ["| endpoint | saturation req/s | p50 ms | p99 ms | at a fixed "
             f"{r['bot_fixed_rate']['rate']:.0f} req/s: achieved | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, key in rows:
        full, fixed = r[key], r[key + "_fixed_rate"]
        lines.append(f"| {label} | {full['rps']:.0f} | {full['p50_ms']:.2f} | "
                     f"{full['p99_ms']:.2f} | {fixed['achieved_rps']:.0f} | "
                     f"{fixed['p50_ms']:.2f} | {fixed['p99_ms']:.2f} |")
    lines += ["", f"iopbot / floor throughput: {r['ratio']:.0%} (target >= 50 %); iopbot p99 at "
              f"{r['bot_fixed_rate']['rate']:.0f} req/s: {r['bot_fixed_rate']['p99_ms']:.1f} ms "
              "(target < 20 ms)"]
    if "floor_ratio_to_bare" in r:
        lines.append(f"floor / bare throughput: {r['floor_ratio_to_bare']:.0%}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
