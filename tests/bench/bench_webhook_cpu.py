"""CPU per inbound text, in-process: iopbot's webhook against the durable floor.

A guide that a shared machine cannot distort the way wall-clock throughput is: for each code
tree given (`--code DIR`, default this checkout; give two to compare, they are run
alternately, `--pairs` times), a child process with that tree first on `sys.path` creates a
fresh PostgreSQL schema with enrolled participants, builds `create_app()` as gunicorn does and
sends it pre-built, signed WSGI requests directly (no HTTP, no test client):

- `free`: the bench's mix (bench_webhook.signed_requests: 80% participants' free text, 20%
  unknown numbers);
- `checkin`: every participant answers an open check-in twice ("3", then "no");
- `floor`: the durable floor app (bench_webhook_floor.py) with the `free` requests.

For each kind it reports the process's CPU per request (`time.process_time`) and the
PostgreSQL backend's (utime + stime of the pooled connection's server process, read from
/proc: the server must run on this machine), after a warm-up. The ratio to read is the
floor's total CPU per request over the bot's.
On a loaded machine CPU time still moves with the load (caches, frequency), by 20-30%
from one run to the next: compare several alternating runs, not one pair.

    .venv/bin/python tests/bench/bench_webhook_cpu.py \
        --database postgresql+psycopg://root@127.0.0.1:5432/test --code /tmp/base --code .
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
DEFAULT_DB = "postgresql+psycopg://root@127.0.0.1:5432/test"
URL = "http://bench.invalid/twilio/messages"
TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """Seconds of CPU the server process `pid` has used (utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def environ_for(signature: str, body: str) -> dict:
    """A WSGI environ for one signed POST (its input stream is fresh per call)."""
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/twilio/messages",
        "QUERY_STRING": "", "SERVER_NAME": "bench.invalid", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)), "HTTP_HOST": "bench.invalid",
        "HTTP_X_TWILIO_SIGNATURE": signature, "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": data, "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def run_all(app, environs: list[dict]) -> list[str]:
    """Send every request; return the status lines."""
    statuses: list[str] = []

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    for environ in environs:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(environ["wsgi.input"])
        body = app(env, start_response)
        b"".join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return statuses


def measure(app, engine, environs: list[dict]) -> dict:
    """CPU per request of this process and of the pooled connection's server process."""
    with engine.connect() as conn:  # the one pooled connection the app will use too
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    server0, process0, wall0 = backend_cpu(pid), time.process_time(), time.perf_counter()
    statuses = run_all(app, environs)
    process, server = time.process_time() - process0, backend_cpu(pid) - server0
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise SystemExit(f"{len(bad)} responses were not 200: {bad[:3]}")
    n = len(environs)
    return {"requests": n, "app_ms": 1000 * process / n, "pg_ms": 1000 * server / n,
            "total_ms": 1000 * (process + server) / n,
            "wall_ms": 1000 * (time.perf_counter() - wall0) / n}


def open_checkins(url: str, now: datetime) -> None:
    """One open check-in (asked a minute ago, at its first question) per participant."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from bot.models import Participant
    from bot.models.schedule import CheckIn

    engine, asked = create_engine(url), now - timedelta(minutes=1)
    with Session(engine) as s, s.begin():
        ids = s.scalars(select(Participant.id)).all()
        s.add_all(CheckIn(participant_id=pid, local_date=now.date(), asked_at=asked,
                          prompted_at=asked, closes_at=now + timedelta(hours=4), step="craving")
                  for pid in ids)
    engine.dispose()


def child(args) -> None:
    """Measure one code tree (already first on sys.path) and print one JSON line."""
    import logging

    from twilio.request_validator import RequestValidator

    from tests.bench import bench_webhook as bench
    from tests.bench.pg_schema import drop_schema, make_schema

    schema, url = make_schema(args.database)
    os.environ.update(DATABASE_URL=url, TWILIO_ACCOUNT_SID=bench.ACCOUNT_SID,
                      TWILIO_AUTH_TOKEN=bench.AUTH_TOKEN, TWILIO_FROM_NUMBER="+15005550006",
                      IOPBOT_TRANSPORT="console", IOPBOT_LOG_LEVEL="INFO",
                      PUBLIC_BASE_URL="http://bench.invalid")
    for key in [k for k in os.environ if k.startswith("IOPBOT_") and k not in (
            "IOPBOT_TRANSPORT", "IOPBOT_LOG_LEVEL")]:
        del os.environ[key]
    try:
        phones = bench.enrol(url, args.participants)
        from bot.app import create_app

        app = create_app()
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
        engine = app.extensions["iopbot"].engine
        free = [environ_for(sig, body) for sig, body in bench.signed_requests(
            URL, args.warm_up + args.requests, phones, 0.2, "c")]
        validator, checkin = RequestValidator(bench.AUTH_TOKEN), []
        for round_, answer in enumerate(("3", "no")):
            for i, phone in enumerate(phones):
                form = {"ToCountry": "US", "NumMedia": "0", "From": phone,
                        "To": "+15005550006", "Body": answer, "AccountSid": bench.ACCOUNT_SID,
                        "MessageSid": f"SMa{round_}{i:030x}", "ApiVersion": "2010-04-01"}
                form["SmsMessageSid"] = form["MessageSid"]
                checkin.append(environ_for(validator.compute_signature(URL, form),
                                           urlencode(form)))
        run_all(app, free[:args.warm_up])
        result = {"code": os.environ.get("PYTHONPATH", ""),
                  "bot_module": sys.modules["bot"].__file__}
        kinds = args.kinds.split(",")
        if "free" in kinds:
            result["free"] = measure(app, engine, free[args.warm_up:])
        open_checkins(url, datetime.now(UTC))  # after the free texts, as in bench_webhook.py
        if "checkin" in kinds:
            result["checkin"] = measure(app, engine, checkin)
        engine.dispose()
        sys.path.insert(0, str(HERE))
        import bench_webhook_floor as floor

        floor_requests = [environ_for(sig, body) for sig, body in bench.signed_requests(
            URL, args.warm_up + args.requests, phones, 0.2, "f")]
        run_all(floor.app, floor_requests[:args.warm_up])
        if "floor" in kinds:
            result["floor"] = measure(floor.app, floor.engine, floor_requests[args.warm_up:])
        floor.engine.dispose()
        print(json.dumps(result))
    finally:
        drop_schema(args.database, schema)


def main(argv: list[str] | None = None) -> None:
    """Run a child per code tree, alternately, and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--code", action="append", help="a checkout to measure (repeatable)")
    parser.add_argument("--pairs", type=int, default=2, help="rounds over the code trees")
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default="free,checkin,floor",
                        help="with --child: which kinds to send after the warm-up ('none': "
                             "only the set-up, for subtracting whole-process counts)")
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    codes = [str(Path(c).resolve()) for c in (args.code or [str(HERE.parents[1])])]
    rows = []
    for round_ in range(args.pairs):
        for code in codes:
            load = os.getloadavg()[0]
            cmd = [sys.executable, str(Path(code) / "tests/bench/bench_webhook_cpu.py"),
                   "--child", "--database", args.database, "--participants",
                   str(args.participants), "--requests", str(args.requests),
                   "--warm-up", str(args.warm_up)]
            if not (Path(code) / "tests/bench/bench_webhook_cpu.py").exists():
                cmd[1] = str(HERE / "bench_webhook_cpu.py")
            env = {**os.environ, "PYTHONPATH": code}
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True,
                                 cwd=code).stdout
            result = json.loads(out.strip().splitlines()[-1])
            result["load"] = load
            result["round"] = round_
            rows.append(result)
            print(json.dumps(result), flush=True)
    print("\n| round | code | load | free: app / pg / total ms | check-in: app / pg / total ms "
          "| floor: total ms | floor / free | floor / check-in |")
    print("|---|---|---:|---|---|---:|---:|---:|")
    for r in rows:
        f, c, fl = r["free"], r["checkin"], r["floor"]
        print(f"| {r['round']} | {r['code']} | {r['load']:.1f} | {f['app_ms']:.2f} / "
              f"{f['pg_ms']:.2f} / {f['total_ms']:.2f} | {c['app_ms']:.2f} / {c['pg_ms']:.2f} / "
              f"{c['total_ms']:.2f} | {fl['total_ms']:.2f} | "
              f"{fl['total_ms'] / f['total_ms']:.0%} | {fl['total_ms'] / c['total_ms']:.0%} |")


if __name__ == "__main__":
    main()
