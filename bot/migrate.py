"""Running the Alembic migrations that ship inside the package.

Alembic is imported only when a migration runs: every `iopbot` command imports this module,
and importing Alembic costs about a tenth of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at bot/migrations, bound to `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models against the database behind `engine`."""
    from alembic import command

    command.revision(alembic_config(engine), message=message, autogenerate=True)


def pending_changes(engine: Engine) -> list:
    """Differences between the migrated database behind `engine` and the models (empty = none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import bot.models  # noqa: F401
    from bot.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
