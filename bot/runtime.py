"""The running bot's shared parts, kept on the Flask app as `app.extensions["iopbot"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.program import Program
from bot.senders.base import Transport
from bot.settings import Settings


def system_clock() -> datetime:
    """The real time, aware UTC."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Settings, program, database and transport that every entry point shares."""

    settings: Settings
    program: Program
    engine: Engine
    Session: sessionmaker[Session]
    transport: Transport
    clock: Callable[[], datetime] = system_clock

    def now(self) -> datetime:
        """The current instant according to this runtime's clock."""
        return self.clock()

    def init_app(self, app: Flask) -> None:
        """Attach to `app`."""
        app.extensions["iopbot"] = self


def current() -> Runtime:
    """The runtime of the current Flask app."""
    return current_app.extensions["iopbot"]
