"""The `iopbot` command: every CLI verb, registered on the Flask app's CLI group."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from bot.settings import SettingsError


def init_app(app: Flask) -> None:
    """Register every command group on `app.cli`."""
    from bot.cli import (
        alert_cmds,
        audit_cmds,
        database,
        family_cmds,
        people,
        processes,
        schedule_cmds,
        staff_cmds,
    )
    from bot.cli.triage_cmd import triage_command

    modules = (database, people, processes, schedule_cmds, alert_cmds, family_cmds)
    modules += (staff_cmds, audit_cmds)
    for module in modules:
        for command in module.COMMANDS:
            app.cli.add_command(command)
    app.cli.add_command(triage_command)
    from bot.cli.inbox_cmd import inbox_command

    app.cli.add_command(inbox_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `iopbot` console script."""
    from bot.app import build_runtime, check_clinic_files, create_app
    from bot.program import load_program
    from bot.settings import Settings

    try:
        settings = Settings.from_env()
        program = load_program(settings.config_path)
        check_clinic_files(program)
    except SettingsError as exc:
        click.echo(f"iopbot: {exc}", err=True)
        sys.exit(2)

    def factory() -> Flask:
        return create_app(runtime=build_runtime(settings, program=program))

    group = FlaskGroup(
        name="iopbot", create_app=factory, add_default_commands=False,
        add_version_option=False, load_dotenv=False, set_debug_flag=False,
        help="iopbot: reminders, daily check-ins and counselor alerts by text.",
    )
    try:
        group.main(args=argv, prog_name="iopbot")
    except DBAPIError as exc:
        # e.g. the server is down or `iopbot db upgrade` was never run: one line, no traceback.
        reason = str(exc.orig or exc).strip().splitlines()[0][:200]
        if "no such table" in reason or reason.startswith("relation "):
            reason += " (run `iopbot db upgrade` to create the schema)"
        click.echo(f"iopbot: database error: {reason}", err=True)
        sys.exit(1)
