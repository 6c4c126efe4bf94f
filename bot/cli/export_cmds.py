"""`iopbot export KIND --from DATE --to DATE [--out FILE]`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.cli.common import runtime, transaction
from bot.services.exports import EXPORTS, period, write_export


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {text!r}", param_hint=option) from None


@click.group("export", cls=AppGroup)
def export_group() -> None:
    """CSV exports for a period (clinic time zone); each one is audited."""


def _command(kind: str) -> click.Command:
    @click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
    @click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to this file instead of standard output.")
    def run(first: str, last: str, out: Path | None) -> None:
        rt = runtime()
        days = _day(first, "--from"), _day(last, "--to")
        with transaction() as session:
            p = period(rt.program, *days)
            if out is None:
                write_export(session, kind, p, sys.stdout, now=rt.now())
                return
            try:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    count = write_export(session, kind, p, handle, now=rt.now())
            except OSError as exc:
                raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
            click.echo(f"{count} row(s) written to {out}", err=True)

    run.__doc__ = f"Export {kind.replace('-', ' ')} as CSV."
    return export_group.command(kind)(run)


for _kind in EXPORTS:
    _command(_kind)

COMMANDS = [export_group]
