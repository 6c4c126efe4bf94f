"""The `iopbot` command: every CLI verb, on a plain click group that builds the app itself."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.exc import DBAPIError

from bot.settings import SettingsError


def all_commands() -> list[click.Command]:
    """Every top-level `iopbot` command, in the order `--help` lists them."""
    from bot.cli import (
        alert_cmds,
        audit_cmds,
        database,
        delivery_cmds,
        export_cmds,
        family_cmds,
        import_cmd,
        oncall_cmds,
        people,
        processes,
        schedule_cmds,
        staff_cmds,
    )
    from bot.cli.ops_cmds import COMMANDS as ops_commands
    from bot.cli.triage_cmd import triage_command

    modules = (database, people, processes, schedule_cmds, alert_cmds, family_cmds)
    modules += (oncall_cmds, import_cmd, delivery_cmds, export_cmds, staff_cmds, audit_cmds)
    commands = [command for module in modules for command in module.COMMANDS]
    from bot.cli.inbox_cmd import inbox_command

    return [*commands, triage_command, inbox_command, *ops_commands]


def init_app(app: Flask) -> None:
    """Register every command group on `app.cli` (tests drive them via `app.test_cli_runner`)."""
    for command in all_commands():
        app.cli.add_command(command)


def package_version() -> str:
    """The installed iopbot version."""
    try:
        return version("iopbot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_group() -> click.Group:
    """The `iopbot` group: only options that work (no Flask `--app`, `--env-file`, `--debug`)."""
    group = click.Group(
        name="iopbot", help="iopbot: reminders, daily check-ins and counselor alerts by text."
    )
    click.version_option(package_version(), "--version", prog_name="iopbot")(group)
    for command in all_commands():
        group.add_command(command)
    return group


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `iopbot` console script."""

    def factory() -> Flask:
        # Built only when a command needs the app, so `--help`, `--version` and `doctor` work
        # even when a setting is wrong.
        from bot.app import build_runtime, create_app
        from bot.program import load_program
        from bot.settings import Settings

        settings = Settings.from_env()
        program = load_program(settings.config_path)  # checks every clinic file; compiles none
        return create_app(runtime=build_runtime(settings, program=program))

    info = ScriptInfo(create_app=factory, set_debug_flag=False)
    try:
        build_group().main(args=argv, prog_name="iopbot", obj=info)
    except SettingsError as exc:
        click.echo(f"iopbot: {exc}", err=True)
        sys.exit(2)
    except DBAPIError as exc:
        # e.g. the server is down or `iopbot db upgrade` was never run: one line, no traceback.
        reason = str(exc.orig or exc).strip().splitlines()[0][:200]
        if "no such table" in reason or reason.startswith("relation "):
            reason += " (run `iopbot db upgrade` to create the schema)"
        click.echo(f"iopbot: database error: {reason}", err=True)
        sys.exit(1)
