"""Helpers shared by CLI commands: the runtime, a transaction, and one-line errors.

Importing this module imports click only: a command's `--help` needs no database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from bot.cli.context import active

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session

    from bot.runtime import Runtime


def runtime() -> Runtime:
    """The running command's runtime (`bot.cli.context`)."""
    return active().runtime


def engine() -> Engine:
    """The running command's database engine (for commands that read no clinic file)."""
    return active().engine


@contextmanager
def transaction(user_errors: tuple[type[Exception], ...] = (ValueError,)) -> Iterator[Session]:
    """A session in a transaction; listed errors become a one-line CLI error, nothing stored."""
    rt = runtime()
    try:
        with rt.Session() as session, session.begin():
            yield session
    except user_errors as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def reading() -> Iterator[Connection]:
    """A Core connection in a transaction, for commands that only list rows: the ORM and the
    models are not imported (`bot.queries.listing`); it begins as a session would (SQLite:
    BEGIN IMMEDIATE)."""
    with runtime().engine.begin() as connection:
        yield connection


def region() -> str:
    """The clinic's region for phone numbers typed without a country code."""
    return runtime().program.phone_region


def parse_day(text: str, option: str) -> date:
    """Parse a YYYY-MM-DD date given for `option`, or a one-line usage error."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {text!r}", param_hint=option) from None


def parse_instant(text: str, option: str = "--at") -> datetime:
    """Parse an ISO-8601 instant; a naive one is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"not an ISO-8601 date-time: {text!r}", param_hint=option
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
