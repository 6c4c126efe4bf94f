"""A click group that imports a command only when it runs (click's documented LazyGroup pattern).

`iopbot --help` lists every command from a table of names, import paths and short help, so
listing them imports no command module (nor Flask, SQLAlchemy, Twilio or the triage rules).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and what the group's `--help` says about it."""

    target: str  # "package.module:attribute"
    help: str  # the first paragraph of the command's own help (its `--help` listing line)
    extends: tuple[str, ...] = ()  # modules that add subcommands to it when imported

    def load(self) -> click.Command:
        """Import the command (and every module adding subcommands to it); return it."""
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        for name in self.extends:
            importlib.import_module(name)
        return command


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, listed in `--help` without importing."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, loaded or not, sorted (as click lists them)."""
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, imported now if it was not yet."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the table's help for commands not imported yet."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                command = click.Command(name, help=self.lazy[name].help)
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in rows])
