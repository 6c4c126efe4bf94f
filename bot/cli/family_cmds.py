"""Placeholder until issue 5 adds its commands."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
