"""The running bot's shared parts, kept on the Flask app as `app.extensions["iopbot"]`.

CLI commands that serve nothing build one without the Flask app (`bot.cli.context`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.program import Program
from bot.senders.base import Transport
from bot.settings import Settings

if TYPE_CHECKING:  # kept out of the import: a CLI command that reads no text needs neither
    from flask import Flask
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from bot.triage.rules import LazyRules, TriageRules

_TRIAGE_LOCK = threading.Lock()


def system_clock() -> datetime:
    """The real time, aware UTC."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Settings, program, triage rules, database and transport that every entry point shares.

    The clinic's configuration is loaded and checked once per process (`load_program`) and its
    triage rules compiled on first use (`rules`); everything downstream takes them from here.
    """

    settings: Settings
    program: Program
    engine: Engine
    Session: sessionmaker[Session]  # `bot.db.LazySessionFactory`: the ORM on first use
    transport: Transport
    clock: Callable[[], datetime] = system_clock
    _triage: LazyRules | None = field(default=None, init=False, repr=False)

    @property
    def triage(self) -> LazyRules:
        """The program's triage rules, made on first use (importing them costs a CLI command
        that never reads a text a few hundredths of a second) and compiled on first `rules`."""
        if self._triage is None:
            with _TRIAGE_LOCK:
                if self._triage is None:
                    self._triage = rules_of(self.program)
        return self._triage

    @property
    def rules(self) -> TriageRules:
        """The clinic's triage rules (packaged rules + the clinic's overrides), compiled once."""
        return self.triage.get()

    def now(self) -> datetime:
        """The current instant according to this runtime's clock."""
        return self.clock()

    def init_app(self, app: Flask) -> None:
        """Attach to `app`."""
        app.extensions["iopbot"] = self


def rules_of(program: Program) -> LazyRules:
    """The program's triage rules, ready to compile on first use."""
    from bot.triage.rules import LazyRules

    return LazyRules(program.triage, str(program.triage_rules_path or "packaged triage.yaml"))


def current() -> Runtime:
    """The runtime of the current Flask app."""
    from flask import current_app

    return current_app.extensions["iopbot"]
