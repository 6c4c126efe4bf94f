"""The Procfile's gunicorn loads the app once (--preload) and workers drop inherited connections."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import text

from bot import gunicorn_app
from bot.db import dispose_after_fork, make_engine

REPO = Path(__file__).resolve().parents[1]


def test_procfile_web_preloads_with_the_post_fork_hook(monkeypatch):
    from gunicorn.app.wsgiapp import WSGIApplication

    web = next(line for line in (REPO / "Procfile").read_text().splitlines()
               if line.startswith("web:"))
    assert "--preload" in web and "--config python:bot.gunicorn_app" in web
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--config", "python:bot.gunicorn_app",
                                      "bot.app:create_app()"])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    assert cfg.preload_app is True
    assert cfg.post_fork is gunicorn_app.post_fork


def test_post_fork_forgets_the_parents_pooled_connections(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    pool = engine.pool
    assert pool.checkedin() == 1  # a pooled connection the parent keeps
    gunicorn_app.post_fork(None, None)
    assert engine.pool is not pool and engine.pool.checkedin() == 0
    dispose_after_fork()  # idempotent
    with engine.connect() as conn:  # the child opens its own
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_warming_before_the_fork_loads_twilio_and_compiles_triage(tmp_path):
    """`warm` (run in gunicorn's master and by the clock) imports the Twilio Messages API and
    builds triage's lazy regexes and the ORM mappers, so a worker's first crisis page and
    first text pay for none of them."""
    import subprocess

    script = (
        "import sys\n"
        "from bot.app import build_runtime, warm\n"
        "from bot.settings import Settings\n"
        "from bot.triage import matching\n"
        "rt = build_runtime(Settings.from_env())\n"
        "assert rt.transport.name == 'twilio'\n"
        "assert 'twilio.rest.api.v2010.account.message' not in sys.modules\n"
        "import bot.models  # the app imports them; nothing has configured them yet\n"
        "from sqlalchemy.orm.mapper import _mapper_registries\n"
        "assert any(r._new_mappers for r in _mapper_registries)\n"
        "warm(rt)\n"
        "assert 'twilio.rest.api.v2010.account.message' in sys.modules\n"
        "assert matching._GATES\n"
        "assert not any(r._new_mappers for r in _mapper_registries)\n"
        "assert 'client' not in vars(rt.transport)  # each process makes its own client\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x" * 32,
           "TWILIO_FROM_NUMBER": "+15005550006", "IOPBOT_TRANSPORT": "twilio"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
