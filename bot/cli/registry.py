"""Extra CLI commands contributed by feature modules (schedules, alerts, family)."""

from __future__ import annotations

import click

EXTRA: list[click.Command] = []
