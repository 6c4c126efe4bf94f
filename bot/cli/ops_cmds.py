"""Operating verbs: doctor, export, import, retention."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bot.cli.common import runtime, transaction
from bot.cli.context import RuntimeGroup, with_runtime


@click.command("doctor")
def doctor_command() -> None:
    """Check the deployment, one line per check; exit 1 when any check fails."""
    from bot.doctor import FAIL, run_checks
    from bot.runtime import system_clock
    from bot.settings import Settings

    failed = 0
    for check in run_checks(Settings.from_env, system_clock):
        click.echo(check.line())
        failed += check.status == FAIL
    click.echo(f"{failed} check(s) failed" if failed else "all checks passed")
    sys.exit(1 if failed else 0)


@click.command("export")
@with_runtime
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (encrypted with IOPBOT_EXPORT_PASSPHRASE).")
def export_command(out: Path) -> None:
    """Write an encrypted snapshot of every table to --out."""
    from bot.backup import BackupError, export_bytes
    from bot.settings import export_passphrase

    rt = runtime()
    try:
        data, summary = export_bytes(rt.engine, export_passphrase() or "", rt.now())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        # Created readable by the owner only: it is every participant's record.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when overwriting an older, more open file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"exported {summary.line()} to {out}")


@click.command("import")
@with_runtime
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load an `iopbot export` FILE into an empty, migrated database."""
    from bot.backup import BackupError, import_bytes
    from bot.settings import export_passphrase

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        summary = import_bytes(runtime().engine, data, export_passphrase() or "")
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {summary.line()} from {file}")


@click.group("retention", cls=RuntimeGroup)
def retention_group() -> None:
    """Message-body retention (program file: retention.message_bodies_days)."""


@retention_group.command("run")
def retention_run() -> None:
    """Blank message bodies older than the clinic's retention period now."""
    from bot.services.retention import blank_old_bodies

    rt = runtime()
    with transaction() as session:
        report = blank_old_bodies(
            session, rt.program.keep_message_bodies_days, rt.now(), actor="cli"
        )
    click.echo(report.line())


COMMANDS = [doctor_command, export_command, import_command, retention_group]
