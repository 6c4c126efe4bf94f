"""`app.cli` as a lazy group (imports Flask, so kept apart from `bot.cli.lazy`)."""

from __future__ import annotations

from flask.cli import AppGroup

from bot.cli.lazy import LazyGroup


class LazyAppGroup(LazyGroup, AppGroup):
    """Flask's `app.cli` whose commands are imported on first use."""
