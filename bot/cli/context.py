"""How a CLI command gets the runtime: built from the environment, without the Flask app.

A command that only reads or changes rows needs settings, the program and a database session,
not the web app: building the app costs Flask's import (about a tenth of a second). The `iopbot`
group hands its commands a `Launch`, which builds each part once, on first use. Commands run
through `app.test_cli_runner()` (tests) or inside an app context take the app's runtime instead.

Importing this module imports click only.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy import Engine

    from bot.runtime import Runtime
    from bot.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class Launch:
    """What the `iopbot` group hands its commands: settings, engine, runtime, each built once.

    `web`: the Flask app, when a command asks for it, gets the webhook and console routes.
    `triage=False`: the clinic's triage rules are read on first use, not at start (commands
    that read no text).
    """

    def __init__(self, *, web: bool = False, triage: bool = True) -> None:
        self.web = web
        self.triage = triage
        self._settings: Settings | None = None
        self._engine: Engine | None = None
        self._runtime: Runtime | None = None
        self._app: Flask | None = None

    @property
    def settings(self) -> Settings:
        """The deployment's settings, read from the environment (and `.env`)."""
        if self._settings is None:
            from bot.app import configure_logging
            from bot.settings import Settings

            self._settings = Settings.from_env()
            configure_logging(self._settings.log_level)  # as `create_app` does
        return self._settings

    @property
    def engine(self) -> Engine:
        """The database engine, without loading the clinic's files (`iopbot db upgrade`)."""
        if self._engine is None:
            from bot.db import make_engine

            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @property
    def runtime(self) -> Runtime:
        """Settings, the checked program, the engine and the transport: a command's runtime."""
        if self._runtime is None:
            from bot.app import build_runtime
            from bot.program import load_program

            settings = self.settings
            program = load_program(settings.config_path, triage=self.triage)
            self._runtime = build_runtime(settings, program=program, engine=self.engine)
        return self._runtime

    def load_app(self) -> Flask:
        """The Flask app around the runtime (for commands that serve it)."""
        if self._app is None:
            from bot.app import create_app

            self._app = create_app(runtime=self.runtime, web=self.web)
        return self._app


class _AppLaunch:
    """A Flask app's runtime seen as a Launch (tests' `app.test_cli_runner()`, `web`)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runtime: Runtime = app.extensions["iopbot"]
        self.settings = self.runtime.settings
        self.engine = self.runtime.engine

    def load_app(self) -> Flask:
        """The app itself."""
        return self.app


_ACTIVE: ContextVar[Launch | _AppLaunch | None] = ContextVar("iopbot_cli_launch", default=None)


def active() -> Launch | _AppLaunch:
    """Where the running command gets its runtime (the Flask app's when in an app context)."""
    launch = _ACTIVE.get()
    if launch is not None:
        return launch
    return _AppLaunch(_current_app())


def _current_app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()


def _app_in_context() -> Flask | None:
    """The Flask app of the current app context, if any (without importing Flask)."""
    if "flask" not in sys.modules:
        return None
    from flask import has_app_context

    return _current_app() if has_app_context() else None


def _flask_app_of(ctx: click.Context) -> Flask | None:
    """The app a Flask `ScriptInfo` carries (`app.test_cli_runner()`, `script_info()`)."""
    if "flask.cli" not in sys.modules:
        return None
    from flask.cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    return info.load_app() if info is not None and info.create_app is not None else None


def launch_of(ctx: click.Context) -> Launch | _AppLaunch | None:
    """Where a command run under `ctx` gets its runtime; None for a command invoked on its own
    (`CliRunner().invoke(command)` in tests)."""
    app = _app_in_context() or _flask_app_of(ctx)
    return _AppLaunch(app) if app is not None else ctx.find_object(Launch)


@contextmanager
def _activated(launch: Launch | _AppLaunch) -> Iterator[None]:
    token = _ACTIVE.set(launch)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _run(f: Callable, args: tuple, kwargs: dict, *, build: str) -> Any:
    """Invoke `f` with its runtime at hand; `build`: what to build first ("app": the Flask app
    and its context)."""
    ctx = click.get_current_context()
    app = _app_in_context()
    if app is not None:  # already inside the app: Flask's `with_appcontext` pushes no other
        with _activated(_AppLaunch(app)):
            return ctx.invoke(f, *args, **kwargs)
    app = _flask_app_of(ctx)
    if app is None:
        launch = ctx.ensure_object(Launch)
        if build != "app":
            getattr(launch, build)  # a wrong setting stops the command before it starts
            with _activated(launch):
                return ctx.invoke(f, *args, **kwargs)
        app = launch.load_app()
    with app.app_context(), _activated(_AppLaunch(app)):
        return ctx.invoke(f, *args, **kwargs)


def with_runtime(f: F) -> F:
    """Run the command with its runtime (settings, program, engine) built: no Flask app."""
    return _wrap(f, "runtime")


def with_engine(f: F) -> F:
    """Run the command with settings and the engine only (no clinic file is read)."""
    return _wrap(f, "engine")


def with_app(f: F) -> F:
    """Run the command inside the Flask app's context (the commands that serve the app)."""
    return _wrap(f, "app")


def _wrap(f: F, build: str) -> F:
    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        return _run(f, args, kwargs, build=build)

    return command  # type: ignore[return-value]


class RuntimeGroup(click.Group):
    """A group whose commands run `with_runtime` (Flask's `AppGroup`, without Flask).

    `@group.command(..., with_runtime=False)` leaves a command as it is (to decorate it with
    `with_engine` or `with_app`, or to need nothing); subgroups are RuntimeGroups too.
    """

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable], click.Command]:
        """click's `command`, wrapping the callback in `with_runtime` unless told not to."""
        wrap = kwargs.pop("with_runtime", True)

        def decorator(f: Callable) -> click.Command:
            return click.Group.command(self, *args, **kwargs)(with_runtime(f) if wrap else f)

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Callable[[Callable], click.Group]:
        """click's `group`, making a RuntimeGroup unless another class is given."""
        kwargs.setdefault("cls", RuntimeGroup)
        return click.Group.group(self, *args, **kwargs)
