"""Serving the app with gunicorn from `iopbot web`."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, app: Flask, options: dict) -> None:
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, *, host: str, port: int, workers: int) -> None:
    """Serve `app` on host:port with `workers` gunicorn worker processes."""
    engine = app.extensions["iopbot"].engine

    def post_fork(_server, _worker) -> None:
        engine.dispose(close=False)  # never share pooled connections across processes

    options = {"bind": f"{host}:{port}", "workers": workers, "post_fork": post_fork}
    _Server(app, options).run()
