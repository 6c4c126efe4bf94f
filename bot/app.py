"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import yaml
from flask import Flask

from bot.db import make_engine, make_session_factory
from bot.program import Program, load_program
from bot.runtime import Runtime, system_clock
from bot.senders import Transport, build_transport
from bot.settings import Settings, SettingsError
from bot.triage import load_rules


def check_clinic_files(program: Program) -> None:
    """Load the escalation ladder and triage rules strictly, so a typo fails at start-up.

    At run time a broken file falls back to the packaged defaults (a crisis must never wait on a
    typo); at start-up it stops the process with one line naming the problem.
    """
    from bot.services.escalation import ladder_for
    from handlers.triage_actions import rules_for

    try:
        ladder_for(program, strict=True)
        if program.triage_rules_path is not None:
            load_rules(program.triage_rules_path)
        rules_for(program)  # warm the cache before gunicorn forks its workers
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SettingsError(f"IOPBOT_CONFIG: {' '.join(str(exc).split())}") from None


def build_runtime(
    settings: Settings,
    *,
    program: Program | None = None,
    transport: Transport | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Runtime:
    """Assemble settings, program, database and transport (used by the app and the clock)."""
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        program=program or load_program(settings.config_path),
        engine=engine,
        Session=make_session_factory(engine),
        transport=transport or build_transport(settings),
        clock=clock or system_clock,
    )


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Create the web app. No scheduler starts here: the clock is its own process."""
    if runtime is None:
        runtime = build_runtime(settings or Settings.from_env())
        check_clinic_files(runtime.program)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    configure_logging(runtime.settings.log_level)
    runtime.init_app(app)

    import handlers
    from bot import cli, console

    handlers.init_app(app)
    console.init_app(app)
    cli.init_app(app)
    return app


def configure_logging(level: str) -> None:
    """One log line per event; message bodies and full numbers are never logged at INFO."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs bodies at INFO
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
