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
