"""Serving the app with gunicorn from `iopbot web`."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, app: Flask, options: dict) -> None:
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        return isolated(self.application)


def isolated(app: Flask) -> Callable:
    """`app` as a WSGI callable that runs each request in a fresh context.

    `iopbot web` starts inside the CLI's app context, and a sync worker serves every request on
    the thread it inherited that context on. Flask then reuses that one app context, so `flask.g`
    (where Flask-Login keeps the signed-in user) would leak from one request to the next.
    """

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        return contextvars.Context().run(app, environ, start_response)

    return wsgi


def serve(app: Flask, *, host: str, port: int, workers: int) -> None:
    """Serve `app` on host:port with `workers` gunicorn worker processes."""
    engine = app.extensions["iopbot"].engine

    def post_fork(_server, _worker) -> None:
        engine.dispose(close=False)  # never share pooled connections across processes

    options = {"bind": f"{host}:{port}", "workers": workers, "post_fork": post_fork}
    _Server(app, options).run()
