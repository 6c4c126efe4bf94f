"""Process verbs: web, scheduler, run, dispatch, chat."""

from __future__ import annotations

import sys
import time
import uuid
from datetime import timedelta

import click

from bot.cli.common import parse_instant, runtime
from bot.cli.context import with_app, with_runtime
from bot.settings import SettingsError


def check_signing(*, warn: bool = True) -> None:
    """Refuse to serve Twilio webhooks without a token; warn once when serving unsigned ones."""
    from handlers.signature import check_webhook_signing

    try:
        check_webhook_signing(runtime().settings, warn=warn)
    except SettingsError as exc:
        click.echo(f"iopbot: {exc}", err=True)
        sys.exit(2)


def _warm(rt) -> None:
    """Compile the triage rules before handling texts: a bad pattern stops here, in one line."""
    from bot.app import warm
    from bot.settings import SettingsError

    try:
        warm(rt)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def require_schema():
    """The runtime, once its database schema is current; else one line naming `db upgrade`."""
    from bot.health import SchemaBehind, require_current_schema

    rt = runtime()
    try:
        require_current_schema(rt.engine)
    except SchemaBehind as exc:
        raise click.ClickException(str(exc)) from None
    return rt


@click.command("web")
@with_app
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def web_command(host: str, port: int, workers: int) -> None:
    """Serve the webhook with gunicorn."""
    from flask import current_app

    from bot.gunicorn_app import serve

    app = current_app._get_current_object()
    check_signing(warn=False)  # a refusal comes first, the warning only once the schema is right
    rt = require_schema()
    check_signing()
    _warm(rt)
    serve(app, host=host, port=port, workers=workers)


@click.command("scheduler")
@with_runtime
def scheduler_command() -> None:
    """Run the clock process (the one and only scheduler)."""
    from schedules.clock import build_scheduler

    rt = require_schema()
    # The clock may send a crisis page on its first pass: import the Twilio library now.
    getattr(rt.transport, "warm", lambda: None)()
    click.echo(f"clock: a pass every {rt.settings.tick_seconds:g}s; Ctrl-C to stop", err=True)
    try:
        build_scheduler(rt).start()
    except (KeyboardInterrupt, SystemExit):
        pass


@click.command("run")
@with_app
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run_command(host: str, port: int) -> None:
    """Development: migrate, then serve the webhook and run the clock in one process."""
    from flask import current_app

    from bot.migrate import upgrade
    from schedules.clock import build_scheduler

    rt = runtime()
    check_signing()
    _warm(rt)
    upgrade(rt.engine)
    scheduler = build_scheduler(rt, background=True)
    scheduler.start()
    click.echo(f"iopbot on http://{host}:{port} (transport: {rt.transport.name}); "
               "texts are printed here when no Twilio credentials are set", err=True)
    try:
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        scheduler.shutdown(wait=False)


@click.command("dispatch")
@with_runtime
@click.option("--at", "at", help="ISO-8601 instant to run as of (default: now).")
def dispatch_command(at: str | None) -> None:
    """Run one pass of all time-driven work as of an instant, drain the outbox, print a summary."""
    from schedules.sweep import run_pass

    rt = runtime()
    when = parse_instant(at) if at else rt.now()
    report = run_pass(rt, when)
    click.echo(report.summary())


@click.command("chat")
@with_runtime
@click.option("--phone", required=True, help="Talk to the bot as this phone number.")
@click.option("--at", "at", help="Pretend the conversation starts at this ISO-8601 instant.")
def chat_command(phone: str, at: str | None) -> None:
    """A terminal conversation with the bot as PHONE, through the same handlers."""
    from bot.phones import InvalidPhone, normalize_phone
    from bot.sending import send_now
    from handlers.dispatch import handle_inbound
    from handlers.turn import InboundMessage

    rt = runtime()
    _warm(rt)
    if at:  # e.g. answer a check-in that `iopbot dispatch --at` sent "in the future"
        start, began = parse_instant(at), time.monotonic()
        rt.clock = lambda: start + timedelta(seconds=time.monotonic() - began)
    try:
        number = normalize_phone(phone, rt.program.phone_region)
    except InvalidPhone as exc:
        raise click.ClickException(str(exc)) from None
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"Texting as {number}. Type a message; Ctrl-D to end.", err=True)
    for line in sys.stdin:
        body = line.rstrip("\n")
        now = rt.now()
        message = InboundMessage(
            sid=f"CHAT{uuid.uuid4().hex}", phone=number, channel="sms", body=body, received_at=now
        )
        with rt.Session() as session, session.begin():
            turn = handle_inbound(session, rt, message, now)
        for reply in turn.replies:
            click.echo(f"bot: {reply}")
        if turn.page_ids:
            send_now(rt, turn.page_ids)


COMMANDS = [web_command, scheduler_command, run_command, dispatch_command, chat_command]
