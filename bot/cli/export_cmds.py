"""`iopbot csv KIND --from DATE --to DATE [--out FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from bot import audit
from bot.cli.common import parse_day, runtime, transaction
from bot.services.exports import EXPORTS, period, write_export
from bot.services.reports import weekly_report


@click.group("csv", cls=AppGroup)
def export_group() -> None:
    """CSV exports for a period (clinic time zone); each one is audited."""


def _command(kind: str) -> click.Command:
    @click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
    @click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to this file instead of standard output.")
    def run(first: str, last: str, out: Path | None) -> None:
        rt = runtime()
        days = parse_day(first, "--from"), parse_day(last, "--to")
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


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@click.command("report")
@with_appcontext
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
def report_command(first: str, last: str) -> None:
    """Per week: active participants, check-in response, attendance, alerts, time to ACK."""
    rt = runtime()
    days = parse_day(first, "--from"), parse_day(last, "--to")
    with transaction() as session:
        p = period(rt.program, *days)
        click.echo("week\tactive\tcheckin_response\tattendance\tcrisis\turgent\tconcern"
                   "\tmedian_ack_min")
        for week in weekly_report(session, p):
            ack = week.median_ack_minutes
            click.echo("\t".join([
                week.starts.isoformat(), str(week.active_participants),
                _pct(week.response_rate), _pct(week.attendance_rate),
                *(str(week.alerts[level]) for level in ("crisis", "urgent", "concern")),
                "-" if ack is None else f"{ack:.1f}"]))
        audit.record(session, "report.viewed", now=rt.now(), actor="staff:cli",
                     first=p.first.isoformat(), last=p.last.isoformat())


COMMANDS = [export_group, report_command]
