"""`iopbot csv KIND --from DATE --to DATE [--out FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import parse_day, runtime, transaction
from bot.cli.context import RuntimeGroup, with_runtime


class ExportGroup(RuntimeGroup):
    """A group with one subcommand per kind of export, made when the group is first used."""

    def _add_kinds(self) -> None:
        from bot.services.exports import EXPORTS

        for kind in EXPORTS:
            if kind not in self.commands:
                _command(kind)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every kind of export."""
        self._add_kinds()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The export `cmd_name`."""
        self._add_kinds()
        return super().get_command(ctx, cmd_name)


@click.group("csv", cls=ExportGroup)
def export_group() -> None:
    """CSV exports for a period (clinic time zone); each one is audited."""


def _command(kind: str) -> click.Command:
    @click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
    @click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to this file instead of standard output.")
    def run(first: str, last: str, out: Path | None) -> None:
        from bot.services.exports import period, write_export

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


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@click.command("report")
@with_runtime
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
def report_command(first: str, last: str) -> None:
    """Per week: active participants, check-in response, attendance, alerts, time to ACK."""
    from bot import audit
    from bot.services.exports import period
    from bot.services.reports import weekly_report

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
