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
from bot.triage.rules import LazyRules, TriageRules


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
    Session: sessionmaker[Session]
    transport: Transport
    clock: Callable[[], datetime] = system_clock
    triage: LazyRules | None = None

    def __post_init__(self) -> None:
        if self.triage is None:
            self.triage = rules_of(self.program)

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
    return LazyRules(program.triage, str(program.triage_rules_path or "packaged triage.yaml"))


def current() -> Runtime:
    """The runtime of the current Flask app."""
    return current_app.extensions["iopbot"]
