"""GET /healthz: does the database answer, is its schema current, is the clock running?"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from bot.health import check
from bot.runtime import current

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when all is well; 503 with `problems` naming what is not.

    `?scope=web` leaves the clock out, for a load balancer deciding whether to route texts to
    this web process: a dead clock must not also stop crisis texts from being answered.
    """
    healthy, report = check(current(), clock=request.args.get("scope") != "web")
    return jsonify(report), (200 if healthy else 503)


def init_app(app) -> None:
    """Register the health check."""
    app.register_blueprint(bp)
