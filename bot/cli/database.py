"""`iopbot db upgrade`: bring the schema to the latest migration."""

from __future__ import annotations

import click

from bot.cli.common import engine
from bot.cli.context import RuntimeGroup, with_engine


@click.group("db", cls=RuntimeGroup)
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade", with_runtime=False)
@click.option("--revision", default="head", show_default=True)
@with_engine
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations."""
    from bot.migrate import at_head, upgrade

    bound = engine()
    if not (revision == "head" and at_head(bound)):  # at head: nothing to run, Alembic unneeded
        upgrade(bound, revision)
    click.echo(f"database at {revision} ({bound.url.render_as_string(hide_password=True)})")


COMMANDS = [db_group]
