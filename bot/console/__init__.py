"""The staff web console: a blueprint under /console (sign-in, alerts, participants, inbox)."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint, Flask

bp = Blueprint(
    "console", __name__, url_prefix="/console",
    template_folder="templates", static_folder="static", static_url_path="/static",
)


def init_app(app: Flask) -> None:
    """Register the console: sessions, CSRF, security headers, and every view module."""
    from bot.console import auth, formatting, nav, security, views  # noqa: F401  (they register)

    # Every module in bot/console/views/ registers its routes on `bp` when imported, so a new
    # page is one new file (no list here to edit).
    for module in pkgutil.iter_modules(views.__path__):
        importlib.import_module(f"{views.__name__}.{module.name}")
    security.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
