"""`iopbot participant import FILE.csv [--dry-run]`."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import runtime, transaction
from bot.cli.people import participant_group


@participant_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; import nothing.")
def participant_import(path: Path, dry_run: bool) -> None:
    """Enrol participants from a CSV file (name,phone,counselor,timezone[,language,
    checkin_time,group]); nothing is imported while any row is bad."""
    from bot.services.importing import import_file

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start}); "
                                   "save it as CSV UTF-8") from None
    rt = runtime()
    with transaction() as session:
        report = import_file(session, rt.program, text, rt.now(), dry_run=dry_run)
        for error in report.errors:
            click.echo(str(error), err=True)
        if report.errors:
            # Leaving the block through an exception rolls the (empty) transaction back.
            raise click.ClickException(f"{len(report.errors)} problem(s) in {path.name}; "
                                       "nothing imported")
        if dry_run:
            click.echo(f"{len(report.rows)} row(s) OK; nothing imported (dry run)")
        else:
            click.echo(f"imported {report.imported} participant(s); opt-in texts queued")


COMMANDS: list = []
