"""Running the Alembic migrations that ship inside the package.

Alembic is imported only when a migration runs: importing it (and the models its environment
loads) costs more than a tenth of a second, so `iopbot db upgrade` on a database already at
head finds that out without it (`at_head`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

VERSIONS = Path(__file__).parent / "migrations" / "versions"
# `revision = "abc"` / `down_revision: str | None = None` at the start of a line.
_IDENTIFIERS = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


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


def script_heads() -> frozenset[str] | None:
    """The head revisions of the packaged migrations, read from each file's `revision` and
    `down_revision` lines without importing Alembic; None when a file does not say plainly."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        found: dict[str, object] = {}
        for name, value in _IDENTIFIERS.findall(path.read_text(encoding="utf-8")):
            if name in found:
                return None
            try:
                found[name] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                return None
        revision, down = found.get("revision"), found.get("down_revision", ...)
        if not isinstance(revision, str) or down is ...:
            return None
        downs = down if isinstance(down, tuple | list) else (down,)
        if not all(d is None or isinstance(d, str) for d in downs):
            return None
        revisions.add(revision)
        parents.update(d for d in downs if d is not None)
    return frozenset(revisions - parents) or None


def at_head(engine: Engine) -> bool:
    """Whether the database behind `engine` is at the packaged head (False when unsure: no
    version table yet, or migration files `script_heads` cannot read)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    heads = script_heads()
    if heads is None:
        return False
    # A database that does not answer fails on connecting, with the error Alembic would give.
    with engine.connect() as connection:
        try:
            current = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(current.scalars()) == heads
        except DBAPIError:  # no version table: an empty database
            return False


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
