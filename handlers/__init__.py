"""The inbound side: Twilio webhooks and the per-intent handlers behind them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook, status-callback and health blueprints."""
    from handlers import health, status, webhook

    app.register_blueprint(webhook.bp)
    app.wsgi_app = webhook.WebhookFirst(app)  # texts skip Flask's per-request work
    app.register_blueprint(status.bp)
    health.init_app(app)
