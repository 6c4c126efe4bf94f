"""Placeholder until issue 4 adds its commands."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
