"""`iopbot db upgrade`: bring the schema to the latest migration."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.cli.common import runtime
from bot.migrate import upgrade


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations."""
    rt = runtime()
    upgrade(rt.engine, revision)
    click.echo(f"database at {revision} ({rt.engine.url.render_as_string(hide_password=True)})")


COMMANDS = [db_group]
