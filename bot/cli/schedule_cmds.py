"""Placeholder until issue 3 adds its commands."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
