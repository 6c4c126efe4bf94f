"""GET /healthz: database, schema revision and the clock's last pass; start-up refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from bot.app import build_runtime, create_app
from bot.migrate import alembic_config
from schedules.sweep import run_pass

IOPBOT = Path(sys.executable).parent / "iopbot"


@pytest.fixture
def migrated(runtime):
    """The test schema, recorded as being at the code's head revision (as `db upgrade` does)."""
    command.stamp(alembic_config(runtime.engine), "head")
    return runtime


def test_healthy_when_migrated_and_the_clock_just_ran(migrated, client, clock):
    run_pass(migrated)
    clock.advance(seconds=migrated.settings.tick_seconds)
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["problems"], body["database"]) == ("ok", [], "ok")
    assert body["schema"]["current"] == body["schema"]["head"] != []
    assert body["clock"]["last_pass"] == (clock() - timedelta(
        seconds=migrated.settings.tick_seconds)).isoformat()


def test_503_when_the_schema_was_never_migrated(runtime, client, clock):
    run_pass(runtime)  # tables made by create_all: no alembic revision recorded
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["schema"]["current"] == []
    assert body["problems"] == ["schema behind: run `iopbot db upgrade`"]


def test_503_on_an_empty_database(settings, clock):
    app = create_app(runtime=build_runtime(settings, clock=clock))  # no tables at all
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "schema behind" in response.get_json()["problems"][0]


def test_503_when_the_clock_missed_three_ticks(migrated, client, clock):
    run_pass(migrated)
    clock.advance(seconds=migrated.settings.tick_seconds * 3 + 1)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["clock: no pass for 3 ticks"]
    # A load balancer asks only about the web side: texts are still answered.
    assert client.get("/healthz?scope=web").status_code == 200


def test_503_when_the_clock_never_ran(migrated, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"][0].startswith("clock: no pass yet")


def test_a_pass_as_of_another_instant_records_the_real_present(migrated, client, clock):
    run_pass(migrated, clock() + timedelta(days=3))  # `dispatch --at` a later instant
    body = client.get("/healthz").get_json()
    assert body["clock"]["last_pass"] == clock().isoformat()


def test_503_when_postgresql_is_not_listening(settings, clock):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    down = settings.with_overrides(
        database_url="postgresql+psycopg://iopbot@127.0.0.1:9/iopbot?connect_timeout=2"
    )
    app = create_app(runtime=build_runtime(down, clock=clock))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["database"], body["problems"]) == ("unavailable", ["database unavailable"])


def test_503_when_the_sqlite_folder_is_missing(settings, clock, tmp_path):
    gone = settings.with_overrides(database_url=f"sqlite:///{tmp_path}/missing/dir/iopbot.db")
    app = create_app(runtime=build_runtime(gone, clock=clock))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert not (tmp_path / "missing").exists()


def test_health_needs_no_signature_and_stores_nothing(client, db_session):
    from sqlalchemy import func, select

    from bot.models import MessageLog

    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/healthz").status_code == 405
    assert db_session.scalar(select(func.count()).select_from(MessageLog)) == 0


@pytest.mark.parametrize("verb", [["scheduler"], ["web", "--port", "0"]])
def test_processes_refuse_an_unmigrated_database_in_one_line(verb, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db",
           "IOPBOT_TRANSPORT": "console"}
    done = subprocess.run([str(IOPBOT), *verb], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `iopbot db upgrade`" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("url, says", [
    ("postgresql://u@127.0.0.1:54x/db", "port that is not a number"),
    ("postgresql://u@127.0.0.1:99999/db", "port 99999"),
])
def test_a_bad_port_in_database_url_is_one_line(url, says, tmp_path):
    env = {**os.environ, "DATABASE_URL": url, "IOPBOT_TRANSPORT": "console"}
    done = subprocess.run([str(IOPBOT), "dispatch"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert says in done.stderr and "Traceback" not in done.stderr
