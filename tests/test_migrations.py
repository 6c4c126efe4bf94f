"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.app import build_runtime, create_app
from bot.db import make_engine
from bot.migrate import pending_changes, upgrade
from bot.models import Base


def test_upgrade_creates_every_table_and_matches_models(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert pending_changes(engine) == []
        upgrade(engine)  # running it again is a no-op, not an error
    finally:
        engine.dispose()


def test_cli_db_upgrade_on_an_empty_database(settings, clock):
    runtime = build_runtime(settings, clock=clock)  # no create_all: the CLI must build it
    try:
        assert inspect(runtime.engine).get_table_names() == []
        result = create_app(runtime=runtime).test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "database at head" in result.output
        assert "outbox" in inspect(runtime.engine).get_table_names()
    finally:
        runtime.engine.dispose()
