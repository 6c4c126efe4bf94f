"""Benchmark: console pages on a large clinic (2,000 participants, 500,000 texts, 5,000 alerts).

    .venv/bin/python tests/bench/bench_console.py \
        --database-url postgresql+psycopg://root@127.0.0.1:5432/test [--requests 40] \
        [--keep-schema bench_console]

Builds a throwaway PostgreSQL schema with the migrations (so the migration's indexes are what is
measured), bulk-loads it with COPY, signs in a counselor and a supervisor, then requests each page
through the Flask test client and reports the server time (p50/p95 over --requests requests after
a warm-up). Every SELECT the pages run is then EXPLAINed: the report lists any sequential scan of
a large table (message_log, outbox, checkins, alerts, alert_events, audit_events, inbox_reviews).
With --keep-schema NAME the clinic is loaded into schema NAME once and kept; later runs upgrade
it to the newest migration and reuse the data (drop it with DROP SCHEMA NAME CASCADE).
Run on demand; pytest never collects it. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pg_schema import drop_schema, make_schema  # noqa: E402

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
RUN = uuid.uuid4().hex[:8]  # staff e-mails are unique per run (--keep-schema reuses the data)
DAYS = 180  # the texts span this many days before NOW
LARGE = ("message_log", "outbox", "checkins", "alerts", "alert_events", "audit_events",
         "inbox_reviews")
IN_INTENTS = (["checkin_answer"] * 55 + ["confirmation"] * 12 + ["free_text"] * 8
              + ["free_text.concern"] * 5 + ["free_text.urgent"] * 2 + ["checkin_unclear"] * 6
              + ["help"] * 2 + ["pause"] * 2 + ["resume"] * 2 + ["opt_out"] * 1 + ["crisis"] * 1
              + ["family_consent"] * 4)


def copy_rows(raw, table: str, columns: list[str], rows) -> int:
    """COPY `rows` into `table`; returns how many."""
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def load(engine, participants: int, messages: int, alerts: int, counselors: int) -> dict:
    """Bulk-load the clinic; returns a few ids the measurements use."""
    rng = random.Random(11)
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    started = time.perf_counter()
    copy_rows(dbapi, "counselors", ["id", "name", "phone", "on_call", "supervisor", "active",
                                    "created_at"],
              ((i, f"Counselor {i}", f"+1202555{i:04d}", i <= 2, False, True, NOW)
               for i in range(1, counselors + 1)))
    copy_rows(dbapi, "participants",
              ["id", "name", "phone", "channel", "timezone", "language", "counselor_id",
               "status", "checkin_time", "consent_at", "consent_source", "enrolled_at"],
              ((i, f"Person {i:04d} {rng.choice('ABCDEFGHJKLMNPRSTW')}.", f"+1415{i:07d}",
                "sms", "America/New_York", "en", 1 + i % counselors,
                "paused" if i % 40 == 0 else "active", "17:00", NOW, "bench", NOW)
               for i in range(1, participants + 1)))
    span = DAYS * 86400
    half = messages // 2

    def inbound():
        for i in range(1, half + 1):
            pid = 1 + i % participants
            at = NOW - timedelta(seconds=rng.randrange(span))
            yield (i, "in", "sms", f"+1415{pid:07d}", "participant", pid, f"SMin{i:028d}",
                   "a text from a participant, about as long as most of them are",
                   rng.choice(IN_INTENTS), "processed", at)

    def outbound():
        for i in range(half + 1, messages + 1):
            pid = 1 + i % participants
            at = NOW - timedelta(seconds=rng.randrange(span))
            yield (i, "out", "sms", f"+1415{pid:07d}", "participant", pid, f"SMout{i:027d}",
                   i, "Thanks for checking in. How strong are urges today, 0-10?", "checkin",
                   "sent", at)

    copy_rows(dbapi, "message_log", ["id", "direction", "channel", "phone", "party",
                                     "participant_id", "twilio_sid", "body", "intent", "state",
                                     "created_at"], inbound())
    states = ["sent"] * 90 + ["replied"] * 5 + ["suppressed", "dropped", "failed", "cancelled",
                                                 "pending"]
    copy_rows(dbapi, "outbox",
              ["id", "dedupe_key", "kind", "to_phone", "channel", "body", "participant_id",
               "priority", "state", "not_before", "party", "attempts", "maybe_sent", "sent_at",
               "delivery_status", "error", "created_at"],
              ((i, f"bench:{i}", "checkin", f"+1415{1 + i % participants:07d}", "sms",
                "How strong are urges today, 0-10?", 1 + i % participants, 5, st, NOW,
                "participant", 1, False, NOW, "delivered" if st == "sent" else None,
                None if st in ("sent", "replied", "pending") else "recipient opted out", NOW)
               for i, st in ((i, rng.choice(states)) for i in range(half + 1, messages + 1))))
    copy_rows(dbapi, "message_log", ["id", "direction", "channel", "phone", "party",
                                     "participant_id", "twilio_sid", "outbox_id", "body",
                                     "intent", "state", "created_at"], outbound())
    # Outbox times follow their message-log twins.
    with dbapi.cursor() as cur:
        cur.execute("UPDATE outbox o SET created_at = m.created_at, not_before = m.created_at, "
                    "sent_at = m.created_at FROM message_log m WHERE m.outbox_id = o.id")
    today = NOW.date()

    def checkins():
        n = 0
        for pid in range(1, participants + 1):
            for back in range(1, 91):
                n += 1
                day = today - timedelta(days=back)
                asked = datetime(day.year, day.month, day.day, 22, tzinfo=UTC)
                missed = rng.random() < 0.2
                yield (n, pid, day, asked, asked, asked + timedelta(days=1), "done",
                       None if missed else rng.randrange(11), None if missed else False,
                       None if missed else 1 + rng.randrange(5), 0,
                       None if missed else asked + timedelta(minutes=5), missed)

    copy_rows(dbapi, "checkins", ["id", "participant_id", "local_date", "asked_at",
                                  "prompted_at", "closes_at", "step", "craving", "used", "mood",
                                  "reasks", "answered_at", "missed"], checkins())
    levels = ["crisis"] * 5 + ["urgent"] * 30 + ["concern"] * 65

    def alert_rows():
        for i in range(1, alerts + 1):
            pid = 1 + rng.randrange(participants)
            at = NOW - timedelta(seconds=rng.randrange(span))
            state = "open" if i % 20 == 0 else "resolved" if i % 3 else "acknowledged"
            yield (i, f"bench:{i}", pid, 1 + pid % counselors, rng.choice(levels), "free_text",
                   json.dumps(["asks for help"]), "asks for help", 1 + rng.randrange(half),
                   state, 1, at + timedelta(minutes=30), at)

    copy_rows(dbapi, "alerts", ["id", "dedupe_key", "participant_id", "counselor_id", "level",
                                "kind", "reasons", "summary", "message_log_id", "state", "step",
                                "deadline_at", "created_at"], alert_rows())
    with dbapi.cursor() as cur:
        cur.execute("INSERT INTO alert_events (alert_id, at, action, counselor_id, detail) "
                    "SELECT id, created_at, 'created', NULL, kind FROM alerts UNION ALL "
                    "SELECT id, created_at, 'notified', counselor_id, NULL FROM alerts")
        # Staff reviewed every inbox text older than three days.
        cur.execute("INSERT INTO inbox_reviews (message_log_id, reviewed_by, reviewed_at) "
                    "SELECT id, 'staff:bench', created_at + interval '1 hour' FROM message_log "
                    "WHERE direction = 'in' AND intent = 'free_text' "
                    "AND created_at < %s", (NOW - timedelta(days=3),))
        cur.execute("UPDATE message_log m SET reviewed_at = r.reviewed_at FROM inbox_reviews r "
                    "WHERE r.message_log_id = m.id")
        for table in ("counselors", "participants", "message_log", "outbox", "checkins",
                      "alerts", "alert_events"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        cur.execute("SELECT count(*) FROM message_log")
        total = cur.fetchone()[0]
    dbapi.commit()
    # Vacuum what the bulk UPDATEs left behind, so autovacuum does not run during the timing.
    dbapi.autocommit = True
    with dbapi.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    dbapi.autocommit = False
    raw.close()
    return {"seconds": time.perf_counter() - started, "message_log": total}


def signed_in(app, runtime, role: str, counselor_id: int | None):
    """A test client with a live session for a new staff account of `role`."""
    from itsdangerous import URLSafeTimedSerializer

    from bot.console.auth import SESSION_KEY
    from bot.console.security import shared_secret_key
    from bot.models import StaffAccount
    from bot.services import staff_auth

    with app.app_context():
        app.secret_key = app.secret_key or shared_secret_key()
    with runtime.Session() as s, s.begin():
        account = StaffAccount(email=f"{role}-{RUN}@bench.example", name=f"Bench {role}", role=role,
                               counselor_id=counselor_id, password_hash=None,
                               totp_secret="JBSWY3DPEHPK3PXP", active=True, failed_attempts=0,
                               generation=1, created_at=NOW)
        s.add(account)
        s.flush()
        token = staff_auth.start_session(s, account, address="127.0.0.1", now=NOW,
                                         verified=True)
    client = app.test_client()
    with client.session_transaction("/console/") as flask_session:
        flask_session[SESSION_KEY] = token
        flask_session["csrf_token"] = "bench"
    client.csrf = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("bench")
    return client


def measure(client, path: str, requests: int) -> dict:
    """Server time of GET `path` (the test client has no network): p50 and p95 in ms."""
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}


def explain(engine, client, path: str) -> list[str]:
    """Every sequential scan of a large table in the plans of the SELECTs `path` runs."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
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
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cur.fetchall())
                for table in LARGE:
                    if f"Seq Scan on {table}" in plan:
                        scans.append(f"{table}: {' '.join(statement.split())[:160]}")
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return scans


def named_schema(base: str, schema: str) -> tuple[str, str, bool]:
    """(schema, its URL, whether it already holds a loaded clinic); creates it when missing."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        loaded = conn.execute(text(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
            "AND table_name = 'message_log'"), {"s": schema}).first() is not None
        if loaded:
            loaded = bool(conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{schema}".alerts)'))
                          .scalar())
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}", loaded


def main() -> None:
    """Load, measure, explain, report (JSON), drop the schema."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL (loopback)")
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--counselors", type=int, default=40)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--keep-schema", metavar="NAME",
                        help="use (and keep) the schema NAME: load it on the first run, reuse "
                             "its data on later runs after upgrading it to the newest migration")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL")

    from bot.app import build_runtime, create_app
    from bot.migrate import upgrade
    from bot.settings import Settings

    reuse = False
    if args.keep_schema:
        if not args.keep_schema.replace("_", "").isalnum():
            parser.error("--keep-schema must be letters, digits and underscores")
        schema, url, reuse = named_schema(args.database_url, args.keep_schema)
        args.keep = True
    else:
        schema, url = make_schema(args.database_url)
    try:
        settings = Settings(database_url=url, transport="console").validated()
        runtime = build_runtime(settings, clock=lambda: NOW)
        upgrade(runtime.engine)
        if reuse:
            from sqlalchemy import text
            with runtime.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            loaded = {"reused_schema": schema}
        else:
            loaded = load(runtime.engine, args.participants, args.messages, args.alerts,
                          args.counselors)
        app = create_app(runtime=runtime)
        counselor = signed_in(app, runtime, "counselor", 1)
        boss = signed_in(app, runtime, "supervisor", None)
        busy = args.counselors  # on counselor 1's caseload (counselor_id = 1 + id % counselors)
        pages = {
            "alert queue (counselor)": (counselor, "/console/alerts"),
            "alert queue (supervisor)": (boss, "/console/alerts"),
            "timeline (counselor)": (counselor, f"/console/participants/{busy}"),
            "timeline, 90-day chart": (counselor, f"/console/participants/{busy}?days=90"),
            "inbox (counselor)": (counselor, "/console/inbox"),
            "inbox (supervisor, every caseload)": (boss, "/console/inbox"),
            "caseload (supervisor)": (boss, "/console/participants"),
        }
        results = {}
        for name, (client, path) in pages.items():
            results[name] = measure(client, path, args.requests)
            results[name]["seq_scans_of_large_tables"] = explain(runtime.engine, client, path)
            print(name, results[name], flush=True)
        print(json.dumps({"loaded": loaded, "pages": results}, indent=2))
        runtime.engine.dispose()
    finally:
        if not args.keep:
            drop_schema(args.database_url, schema)


if __name__ == "__main__":
    main()
