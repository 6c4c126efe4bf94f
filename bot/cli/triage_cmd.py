"""`iopbot triage`: print the triage of each message as one JSON object per line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator

import click
from flask.cli import ScriptInfo

from bot.triage import load_rules, triage


def _clean(text: str) -> str:
    """Make argv text printable: undecodable bytes become U+FFFD instead of crashing output."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "replace")
        return raw.decode("utf-8", "replace")


def _stdin_messages(stream: Iterable[bytes]) -> Iterator[str]:
    """Yield one message per input line, keeping empty lines; bad bytes become U+FFFD."""
    for line in stream:
        if line.endswith(b"\n"):
            line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        yield line.decode("utf-8", "replace")


def _clinic_rules_path() -> str | None:
    """The clinic's rules file (program.yaml `triage_rules`) when run as `iopbot triage`."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None or info.create_app is None:
        return None  # invoked on its own (tests): the packaged rules
    path = info.load_app().extensions["iopbot"].program.triage_rules_path
    return str(path) if path is not None else None


@click.command("triage")
@click.option(
    "--expect",
    type=click.Choice(["craving", "use", "mood", "confirmation"]),
    default=None,
    help="The check-in question the message answers; a bare number is a craving only "
    "with --expect craving.",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A triage rules YAML to use instead of the packaged config/triage.yaml.",
)
@click.argument("texts", metavar="[TEXT]...", nargs=-1)
def triage_command(expect: str | None, rules_path: str | None, texts: tuple[str, ...]) -> None:
    """Triage each TEXT (or each stdin line) and print one JSON object per message."""
    try:
        rules = load_rules(rules_path or _clinic_rules_path())
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load triage rules: {exc}") from None
    if texts:
        messages: Iterable[str] = (_clean(t) for t in texts)
    else:
        messages = _stdin_messages(getattr(sys.stdin, "buffer", sys.stdin))
    for message in messages:
        result = triage(message, expect=expect, rules=rules)
        click.echo(json.dumps(result.to_json_dict(), ensure_ascii=False))
