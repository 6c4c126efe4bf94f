"""The Flask application factory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.db import LazySessionFactory, make_engine
from bot.program import Program, load_program
from bot.runtime import Runtime, system_clock
from bot.senders import Transport, build_transport
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:  # Flask is imported by `create_app` only: CLI commands build a runtime alone
    from flask import Flask
    from sqlalchemy import Engine

# A few texts that reach every part of triage, read once before serving.
WARM_TEXTS = ("I want to kill myself", "had a good day, craving sevenish, 5 no 6", "quiero morir")


def warm(runtime: Runtime) -> None:
    """Compile the triage rules (and load the learned layer, the ORM mappers and the Twilio
    library) now, not on the first text.

    For processes that serve texts: a bad pattern stops start-up with one line, and under
    `gunicorn --preload` the work is done once, before the workers fork, and shared.
    """
    from sqlalchemy.orm import configure_mappers

    from bot.triage import triage

    try:
        rules = runtime.rules
    except SettingsError:  # the clinic's triage file, read on first use, names itself
        raise
    except ValueError as exc:
        raise SettingsError(f"IOPBOT_CONFIG: {runtime.triage.source}: {exc}") from None
    if rules.model.enabled:
        from bot.triage.model import load_model

        load_model()
    for sample in WARM_TEXTS:  # compiles the rules' lazily built regexes (a first text's ~15 ms)
        triage(sample, rules=rules)
    configure_mappers()  # ~25 ms of CPU a worker would otherwise spend on its first text
    warm_transport = getattr(runtime.transport, "warm", None)  # test doubles may have none
    if warm_transport is not None:
        warm_transport()  # the first crisis page must not pay for importing the Twilio library


def build_runtime(
    settings: Settings,
    *,
    program: Program | None = None,
    transport: Transport | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: Engine | None = None,
) -> Runtime:
    """Assemble settings, program, rules, database and transport (for the app, the clock and
    the CLI). The triage rules were checked by `load_program`; they are compiled on first use.
    """
    engine = engine if engine is not None else make_engine(settings.database_url)
    program = program or load_program(settings.config_path)
    return Runtime(
        settings=settings,
        program=program,
        engine=engine,
        Session=LazySessionFactory(engine),  # the ORM is imported by the first session
        transport=transport or build_transport(settings),
        clock=clock or system_clock,
    )


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, web: bool = True
) -> Flask:
    """Create the web app. No scheduler starts here: the clock is its own process.

    `web=False` leaves out the webhook and the console (their routes, and the imports behind
    them): the app a CLI command that serves nothing runs in.
    """
    served = settings is None and runtime is None  # gunicorn 'bot.app:create_app()'
    if runtime is None:
        try:
            runtime = build_runtime(settings or Settings.from_env())
            warm(runtime)  # read and compile everything before serving
            if served:
                from handlers.signature import check_webhook_signing

                configure_logging(runtime.settings.log_level)
                check_webhook_signing(runtime.settings)
        except SettingsError as exc:
            if not served:
                raise
            print(f"iopbot: {exc}", file=sys.stderr)  # one line, not a traceback per worker
            sys.exit(2)
    from flask import Flask

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    configure_logging(runtime.settings.log_level)
    runtime.init_app(app)

    from bot import cli

    if web:
        import handlers
        from bot import console

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
