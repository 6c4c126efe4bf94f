"""The `iopbot` command: every CLI verb, on a plain click group.

Commands are imported only when one runs: `COMMANDS` names each one's module and attribute and
keeps its short help, so `iopbot --help` and `--version` import no command module. A command
gets its runtime from a `bot.cli.context.Launch`, built on first use and without the Flask app
unless the command serves it (`web`, `run`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from bot.cli.lazy import LazyCommand, LazyGroup

if TYPE_CHECKING:
    from flask import Flask
    from flask.cli import ScriptInfo

_PARTICIPANT_EXTRAS = ("bot.cli.schedule_cmds", "bot.cli.import_cmd")

# name -> where it lives and the first paragraph of its help (tests/test_cli_startup.py checks
# both against the imported commands).
COMMANDS: dict[str, LazyCommand] = {
    "db": LazyCommand("bot.cli.database:db_group", "Database schema."),
    "counselor": LazyCommand("bot.cli.people:counselor_group", "Counselors who receive alerts.",
                             extends=("bot.cli.oncall_cmds",)),
    "participant": LazyCommand("bot.cli.people:participant_group",
                               "Participants who get reminders and check-ins.",
                               extends=_PARTICIPANT_EXTRAS),
    "web": LazyCommand("bot.cli.processes:web_command", "Serve the webhook with gunicorn."),
    "scheduler": LazyCommand("bot.cli.processes:scheduler_command",
                             "Run the clock process (the one and only scheduler)."),
    "run": LazyCommand("bot.cli.processes:run_command",
                       "Development: migrate, then serve the webhook and run the clock in one "
                       "process."),
    "dispatch": LazyCommand("bot.cli.processes:dispatch_command",
                            "Run one pass of all time-driven work as of an instant, drain the "
                            "outbox, print a summary."),
    "chat": LazyCommand("bot.cli.processes:chat_command",
                        "A terminal conversation with the bot as PHONE, through the same "
                        "handlers."),
    "group": LazyCommand("bot.cli.schedule_cmds:group_group",
                         "Therapy groups and their weekly meeting patterns."),
    "session": LazyCommand("bot.cli.schedule_cmds:session_group",
                           "Group sessions and individual appointments."),
    "attendance": LazyCommand("bot.cli.schedule_cmds:attendance_group",
                              "Attendance at sessions."),
    "alert": LazyCommand("bot.cli.alert_cmds:alert_group",
                         "Counselor alerts: list, acknowledge, resolve."),
    "family": LazyCommand("bot.cli.family_cmds:family_group",
                          "Family updates within the participant's own consent (42 CFR Part 2)."),
    "oncall": LazyCommand("bot.cli.oncall_cmds:oncall_group",
                          "Who is on call: a weekly rota in the clinic's time zone plus one-off "
                          "overrides."),
    "delivery": LazyCommand("bot.cli.delivery_cmds:delivery_group",
                            "Texts that cannot be delivered: opt-outs, flagged numbers, "
                            "account-level errors."),
    "csv": LazyCommand("bot.cli.export_cmds:export_group",
                       "CSV exports for a period (clinic time zone); each one is audited."),
    "report": LazyCommand("bot.cli.export_cmds:report_command",
                          "Per week: active participants, check-in response, attendance, alerts, "
                          "time to ACK."),
    "staff": LazyCommand("bot.cli.staff_cmds:staff_group",
                         "Staff console accounts: add, set a password, list, disable."),
    "audit": LazyCommand("bot.cli.audit_cmds:audit_group", "The audit trail (HIPAA 164.312(b))."),
    "triage": LazyCommand("bot.cli.triage_cmd:triage_command",
                          "Triage each TEXT (or each stdin line) and print one JSON object per "
                          "message."),
    "inbox": LazyCommand("bot.cli.inbox_cmd:inbox_command",
                         "List waiting texts, oldest first: id, received, participant, counselor, "
                         "the text."),
    "doctor": LazyCommand("bot.cli.ops_cmds:doctor_command",
                          "Check the deployment, one line per check; exit 1 when any check fails."),
    "export": LazyCommand("bot.cli.ops_cmds:export_command",
                          "Write an encrypted snapshot of every table to --out."),
    "import": LazyCommand("bot.cli.ops_cmds:import_command",
                          "Load an `iopbot export` FILE into an empty, migrated database."),
    "retention": LazyCommand("bot.cli.ops_cmds:retention_group",
                             "Message-body retention (program file: "
                             "retention.message_bodies_days)."),
}


def all_commands() -> list[click.Command]:
    """Every top-level `iopbot` command, imported (tests; the CLI itself imports on demand)."""
    return [entry.load() for entry in COMMANDS.values()]


def init_app(app: Flask) -> None:
    """Give `app.cli` every command, imported on first use (tests use `app.test_cli_runner`)."""
    from bot.cli.app_group import LazyAppGroup

    group = LazyAppGroup(name=app.cli.name, lazy=COMMANDS)
    group.commands.update(app.cli.commands)  # anything a blueprint registered already
    app.cli = group


def package_version() -> str:
    """The installed iopbot version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iopbot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"iopbot, version {package_version()}")
        ctx.exit()


SERVING = frozenset({"web", "run"})  # the commands that serve the app's routes
# The commands that read texts: the clinic's triage file is checked before they start (others
# never read it).
READ_TEXTS = frozenset({*SERVING, "scheduler", "dispatch", "chat", "triage"})


def script_info(*, web: bool = True) -> ScriptInfo:
    """A Flask `ScriptInfo` building the app from the environment on first use (tests).

    `web=False`: without the webhook and console routes (a command that serves nothing).
    """
    from flask.cli import ScriptInfo

    from bot.cli.context import Launch

    return ScriptInfo(create_app=Launch(web=web).load_app, set_debug_flag=False)


@click.pass_context
def _attach_launch(ctx: click.Context) -> None:
    # Runs after --help/--version (eager options exit first), before the command. Nothing is
    # built yet, so `--help`, `--version` and `doctor` work even when a setting is wrong.
    if ctx.obj is None:
        from bot.cli.context import Launch

        name = ctx.invoked_subcommand
        ctx.obj = Launch(web=name in SERVING, triage=name in READ_TEXTS)


def build_group() -> click.Group:
    """The `iopbot` group: only options that work (no Flask `--app`, `--env-file`, `--debug`)."""
    version = click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                           callback=_print_version, help="Show the version and exit.")
    return LazyGroup(
        name="iopbot", help="iopbot: reminders, daily check-ins and counselor alerts by text.",
        params=[version], callback=_attach_launch, lazy=COMMANDS,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `iopbot` console script."""
    try:
        build_group().main(args=argv, prog_name="iopbot")
    except Exception as exc:
        _exit_on_known_error(exc)
        raise


def _exit_on_known_error(exc: Exception) -> None:
    """A bad setting or a database error: one line on stderr and an exit code, no traceback."""
    from sqlalchemy.exc import DBAPIError

    from bot.settings import SettingsError

    if isinstance(exc, SettingsError):
        click.echo(f"iopbot: {exc}", err=True)
        sys.exit(2)
    if isinstance(exc, DBAPIError):
        # e.g. the server is down or `iopbot db upgrade` was never run: one line, no traceback.
        reason = str(exc.orig or exc).strip().splitlines()[0][:200]
        if "no such table" in reason or reason.startswith("relation "):
            reason += " (run `iopbot db upgrade` to create the schema)"
        click.echo(f"iopbot: database error: {reason}", err=True)
        sys.exit(1)
