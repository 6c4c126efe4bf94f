"""Deployment settings, read once from the environment (and `.env`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
TRANSPORTS = ("twilio", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """Everything a deployment configures, typed and validated."""

    database_url: str = "sqlite:///iopbot.db"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    public_base_url: str | None = None
    config_path: Path | None = None
    transport: str = "console"
    send_rate: float = 1.0
    tick_seconds: float = 30.0
    send_timeout: float = 10.0
    max_send_attempts: int = 8
    send_concurrency: int = 4
    log_level: str = "INFO"
    secret_key: str | None = None  # signs console cookies; unset: one kept in the database
    console_idle_minutes: float = 15.0
    console_absolute_hours: float = 12.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, load_dotenv: bool = True
    ) -> Settings:
        """Build settings from `env` (default: os.environ plus a `.env` file in the cwd)."""
        if env is None:
            if load_dotenv:
                _load_dotenv()
            env = os.environ
        get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731
        sid, token = get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN")
        has_credentials = bool(sid and token)
        transport = (
            get("IOPBOT_TRANSPORT") or ("twilio" if has_credentials else "console")
        ).lower()
        config = get("IOPBOT_CONFIG")
        settings = cls(
            database_url=_database_url(get("DATABASE_URL") or cls.database_url),
            twilio_account_sid=sid,
            twilio_auth_token=token,
            twilio_from_number=get("TWILIO_FROM_NUMBER"),
            twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
            twilio_api_base_url=get("TWILIO_API_BASE_URL") or cls.twilio_api_base_url,
            public_base_url=get("PUBLIC_BASE_URL"),
            config_path=Path(config) if config else None,
            transport=transport,
            send_rate=_number(get, "IOPBOT_SEND_RATE", 1.0),
            tick_seconds=_number(get, "IOPBOT_TICK_SECONDS", 30.0),
            send_timeout=_number(get, "IOPBOT_SEND_TIMEOUT", 10.0),
            max_send_attempts=int(_number(get, "IOPBOT_MAX_SEND_ATTEMPTS", 8)),
            send_concurrency=int(_number(get, "IOPBOT_SEND_CONCURRENCY", 4)),
            log_level=(get("IOPBOT_LOG_LEVEL") or "INFO").upper(),
            secret_key=get("IOPBOT_SECRET_KEY"),
            console_idle_minutes=_number(get, "IOPBOT_CONSOLE_IDLE_MINUTES", 15.0),
            console_absolute_hours=_number(get, "IOPBOT_CONSOLE_ABSOLUTE_HOURS", 12.0),
        )
        return settings.validated()

    def with_overrides(self, **changes: object) -> Settings:
        """A validated copy with some fields changed (tests and the CLI use this)."""
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        """Check every field; raise SettingsError naming the first bad one."""
        # Here, not at the top: `bot.program` (the CLI's option choices) imports this module.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(self.database_url)
        except ArgumentError:
            raise SettingsError(
                f"DATABASE_URL is not a database URL: {self.database_url!r}"
            ) from None
        except ValueError:  # not echoed: the URL may hold a password
            raise SettingsError("DATABASE_URL has a port that is not a number") from None
        if url.port is not None and not 0 < url.port < 65536:
            raise SettingsError(f"DATABASE_URL has port {url.port}: it must be 1 to 65535")
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise SettingsError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if self.twilio_account_sid and not ACCOUNT_SID.match(self.twilio_account_sid):
            raise SettingsError("TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits")
        if self.twilio_messaging_service_sid and not SERVICE_SID.match(
            self.twilio_messaging_service_sid
        ):
            raise SettingsError(
                "TWILIO_MESSAGING_SERVICE_SID must look like MG followed by 32 hex digits"
            )
        if self.twilio_from_number:
            from bot.phones import InvalidPhone, split_address

            try:
                split_address(self.twilio_from_number)
            except InvalidPhone:
                raise SettingsError(
                    f"TWILIO_FROM_NUMBER is not a phone number: {self.twilio_from_number!r}"
                ) from None
        _check_http_url("TWILIO_API_BASE_URL", self.twilio_api_base_url)
        if self.public_base_url:
            _check_http_url("PUBLIC_BASE_URL", self.public_base_url)
        if self.transport not in TRANSPORTS:
            raise SettingsError(f"IOPBOT_TRANSPORT must be one of {', '.join(TRANSPORTS)}")
        if self.transport == "twilio":
            if not (self.twilio_account_sid and self.twilio_auth_token):
                raise SettingsError(
                    "IOPBOT_TRANSPORT=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
                )
            if not (self.twilio_from_number or self.twilio_messaging_service_sid):
                raise SettingsError(
                    "IOPBOT_TRANSPORT=twilio needs TWILIO_FROM_NUMBER or "
                    "TWILIO_MESSAGING_SERVICE_SID"
                )
        if not self.send_rate > 0:
            raise SettingsError("IOPBOT_SEND_RATE must be a positive number of messages per second")
        if not self.tick_seconds > 0:
            raise SettingsError("IOPBOT_TICK_SECONDS must be a positive number")
        if not self.send_timeout > 0:
            raise SettingsError("IOPBOT_SEND_TIMEOUT must be a positive number of seconds")
        if self.max_send_attempts < 1:
            raise SettingsError("IOPBOT_MAX_SEND_ATTEMPTS must be at least 1")
        if not 1 <= self.send_concurrency <= 64:
            raise SettingsError("IOPBOT_SEND_CONCURRENCY must be a whole number from 1 to 64")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise SettingsError("IOPBOT_SECRET_KEY must be at least 32 characters")
        if not 0 < self.console_idle_minutes <= 24 * 60:
            raise SettingsError("IOPBOT_CONSOLE_IDLE_MINUTES must be a number of minutes (0-1440]")
        if not 0 < self.console_absolute_hours <= 24 * 7:
            raise SettingsError("IOPBOT_CONSOLE_ABSOLUTE_HOURS must be a number of hours (0-168]")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(f"IOPBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return self


def _database_url(value: str) -> str:
    """Map the postgres:// URLs hosts hand out to postgresql+psycopg:// (the driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def _number(get, name: str, default: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{name} must be a number, not {raw!r}")
    return value


def _check_http_url(name: str, value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name} must be an http(s) URL, not {value!r}")


def _load_dotenv() -> None:
    path = Path.cwd() / ".env"
    if path.is_file():  # python-dotenv is imported only when there is a file for it to read
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def export_passphrase(env: Mapping[str, str] | None = None) -> str | None:
    """IOPBOT_EXPORT_PASSPHRASE: encrypts `iopbot export` files (kept out of Settings' repr)."""
    _load_dotenv()
    value = (env if env is not None else os.environ).get("IOPBOT_EXPORT_PASSPHRASE") or ""
    return value or None
