"""`iopbot doctor`: is this deployment ready? One line per check, each with its fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from bot.settings import Settings, SettingsError

OK, FAIL, SKIP = "ok", "fail", "skip"
CLOCK_TICKS = 3  # the clock must have finished a pass within this many ticks


@dataclass(frozen=True)
class Check:
    """The outcome of one check: status, what was seen, and how to fix a failure."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """`ok   name: detail` or `fail name: detail -> fix`."""
        text = f"{self.status:<4} {self.name}: {self.detail}"
        return f"{text} -> fix: {self.fix}" if self.status == FAIL and self.fix else text


def run_checks(
    load_settings: Callable[[], Settings], now: Callable[[], datetime]
) -> Iterator[Check]:
    """Every check in order; later checks that need an earlier one's result are failed as such."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        yield Check("settings", FAIL, str(exc), "correct that environment variable (or .env)")
        yield Check("everything else", FAIL, "not checked", "fix the settings first")
        return
    yield Check("settings", OK, f"transport {settings.transport}")
    yield check_timezone_data()
    try:
        from bot.program import load_program
        from bot.runtime import rules_of

        program = load_program(settings.config_path)
        try:
            rules_of(program).get()  # compile the triage patterns: a bad one fails here
        except ValueError as exc:
            source = program.triage_rules_path or "triage.yaml"
            raise SettingsError(f"IOPBOT_CONFIG: {source}: {exc}") from None
        yield Check("clinic files", OK, str(program.path))
    except SettingsError as exc:
        yield Check("clinic files", FAIL, str(exc), "correct the file named above")
    yield from check_database(settings, now)
    yield from check_twilio(settings)
    yield from check_public_urls(settings)


def check_timezone_data() -> Check:
    """The IANA time zone database is installed (tzdata or the system's)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        for name in ("America/New_York", "Europe/Madrid", "Pacific/Auckland"):
            ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return Check("time zone data", FAIL, "IANA zones not found",
                     "pip install tzdata (it is a dependency) or the system's tzdata package")
    return Check("time zone data", OK, "IANA zones present")


def check_database(settings: Settings, now: Callable[[], datetime]) -> Iterator[Check]:
    """Reachable, migrated to the latest revision, and the clock seen recently."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import make_engine, make_session_factory
    from bot.migrate import alembic_config

    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        try:
            with engine.connect() as conn:
                current = set(MigrationContext.configure(conn).get_current_heads())
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:160]
            yield Check("database", FAIL, f"{where}: {reason}",
                        "check DATABASE_URL and that the server is running")
            yield Check("clock", FAIL, "not checked", "fix the database first")
            return
        yield Check("database", OK, where)
        heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
        if current != heads:
            seen = ", ".join(sorted(current)) or "empty"
            yield Check("schema", FAIL, f"at {seen}, latest is {', '.join(sorted(heads))}",
                        "run `iopbot db upgrade`")
            yield Check("clock", FAIL, "not checked", "fix the schema first")
            return
        yield Check("schema", OK, "at the latest migration")
        yield check_clock(make_session_factory(engine), settings, now())
    finally:
        engine.dispose()


def check_clock(Session, settings: Settings, now: datetime) -> Check:  # noqa: N803
    """The clock process finished a pass within CLOCK_TICKS ticks."""
    from bot.health import last_pass

    with Session() as session:
        last = last_pass(session)
    fix = "start the clock process (`iopbot scheduler`, the Procfile's `clock`), exactly one"
    if last is None:
        return Check("clock", FAIL, "no clock pass recorded yet", fix)
    age = (now - last).total_seconds()
    limit = CLOCK_TICKS * settings.tick_seconds
    if age > limit:
        return Check("clock", FAIL, f"last pass {age:.0f}s ago (limit {limit:.0f}s)", fix)
    return Check("clock", OK, f"last pass {max(age, 0):.0f}s ago")


def check_twilio(settings: Settings) -> Iterator[Check]:
    """Credentials accepted (an account fetch) and the sender number or service exists."""
    if settings.transport != "twilio":
        yield Check("twilio", SKIP, "console transport: texts are printed, not sent")
        return
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    from bot.twilio_http import make_client

    client: Client = make_client(
        settings.twilio_account_sid or "", settings.twilio_auth_token or "",
        settings.twilio_api_base_url, timeout=settings.send_timeout,
    )
    try:
        client.api.v2010.accounts(settings.twilio_account_sid).fetch()
    except (TwilioException, OSError) as exc:
        yield Check("twilio credentials", FAIL, _twilio_reason(exc),
                    "copy TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the Twilio console")
        yield Check("twilio sender", FAIL, "not checked", "fix the credentials first")
        return
    yield Check("twilio credentials", OK, "account answered")
    yield _check_sender(client, settings)


def _check_sender(client, settings: Settings) -> Check:
    from twilio.base.exceptions import TwilioException

    try:
        if settings.twilio_messaging_service_sid:
            sid = settings.twilio_messaging_service_sid
            client.messaging.v1.services(sid).fetch()
            return Check("twilio sender", OK, f"Messaging Service {sid} exists")
        number = settings.twilio_from_number or ""
        found = client.incoming_phone_numbers.list(phone_number=number, limit=1)
    except (TwilioException, OSError) as exc:
        return Check("twilio sender", FAIL, _twilio_reason(exc),
                     "set TWILIO_MESSAGING_SERVICE_SID to a service in this account")
    if not found:
        return Check("twilio sender", FAIL, f"{number} is not a number of this account",
                     "set TWILIO_FROM_NUMBER to one of the account's numbers (E.164)")
    return Check("twilio sender", OK, f"{number} belongs to the account")


def check_public_urls(settings: Settings) -> Iterator[Check]:
    """A signed, empty POST to each webhook URL must reach the bot and pass its signature check."""
    if not settings.public_base_url:
        yield Check("webhook URLs", SKIP, "PUBLIC_BASE_URL not set")
        return
    import requests
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(settings.twilio_auth_token or "")
    for path in ("/twilio/messages", "/twilio/status"):
        url = settings.public_base_url.rstrip("/") + path
        headers = {"X-Twilio-Signature": validator.compute_signature(url, {})}
        try:
            # An empty form is refused with 400 *after* the signature passed: nothing is stored.
            answer = requests.post(url, data={}, headers=headers, timeout=10)
        except requests.RequestException as exc:
            yield Check(path, FAIL, f"{url} unreachable ({type(exc).__name__})",
                        "check PUBLIC_BASE_URL, DNS and that the web process is running")
            continue
        if answer.status_code == 400:
            yield Check(path, OK, f"{url} answers and accepts signed requests")
        elif answer.status_code == 403:
            yield Check(path, FAIL, f"{url} refused the signature",
                        "PUBLIC_BASE_URL must be exactly the URL Twilio calls, and "
                        "TWILIO_AUTH_TOKEN the account's current token")
        else:
            yield Check(path, FAIL, f"{url} answered HTTP {answer.status_code}",
                        "point PUBLIC_BASE_URL at this bot's web process")


def _twilio_reason(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    if status == 401:
        return "Twilio refused the credentials (401)"
    if status:
        return f"Twilio answered {status} (code {code})"
    return f"Twilio unreachable ({type(exc).__name__})"
