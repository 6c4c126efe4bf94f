"""GET /healthz: is the database answering?"""

from __future__ import annotations

from flask import Blueprint, jsonify

from bot.db import database_answers
from bot.runtime import current

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    if database_answers(current().engine):
        return jsonify(status="ok")
    return jsonify(status="database unavailable"), 503


def init_app(app) -> None:
    """Register the health check."""
    app.register_blueprint(bp)
