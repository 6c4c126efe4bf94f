"""`iopbot triage`: print the triage of each message as one JSON object per line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from bot.cli.context import launch_of

if TYPE_CHECKING:
    from bot.triage import TriageRules


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


def _clinic_rules() -> TriageRules:
    """The clinic's rules from the runtime when run as `iopbot triage`, else the packaged ones."""
    from bot.triage import load_rules

    launch = launch_of(click.get_current_context())
    if launch is None:
        return load_rules()  # invoked on its own (tests): the packaged rules
    return launch.runtime.rules


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
    help="A triage overrides YAML laid over the packaged rules, instead of the clinic's.",
)
@click.argument("texts", metavar="[TEXT]...", nargs=-1)
def triage_command(expect: str | None, rules_path: str | None, texts: tuple[str, ...]) -> None:
    """Triage each TEXT (or each stdin line) and print one JSON object per message."""
    from bot.triage import load_rules, triage

    try:
        rules = load_rules(rules_path) if rules_path else _clinic_rules()
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load triage rules: {exc}") from None
    if texts:
        messages: Iterable[str] = (_clean(t) for t in texts)
    else:
        messages = _stdin_messages(getattr(sys.stdin, "buffer", sys.stdin))
    for message in messages:
        result = triage(message, expect=expect, rules=rules)
        click.echo(json.dumps(result.to_json_dict(), ensure_ascii=False))
