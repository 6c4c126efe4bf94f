"""Settings: defaults, and every bad setting stops start-up with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

IOPBOT = Path(sys.executable).parent / "iopbot"
SID = "AC" + "a" * 32
GOOD = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "secret",
        "TWILIO_FROM_NUMBER": "+15005550006"}
ENV_NAMES = ("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
             "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL",
             "IOPBOT_CONFIG", "IOPBOT_TRANSPORT", "IOPBOT_SEND_RATE", "IOPBOT_LOG_LEVEL")


def run_iopbot(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the installed console script in an empty folder with only `env` configured."""
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    clean.setdefault("DATABASE_URL", f"sqlite:///{tmp_path}/iopbot.db")
    clean.update(env)
    return subprocess.run([str(IOPBOT), *args], env=clean, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)


# defaults ---------------------------------------------------------------------------------


def test_defaults_without_any_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///iopbot.db"
    assert settings.transport == "console"
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert settings.config_path is None


def test_transport_defaults_to_twilio_when_credentials_are_set():
    assert Settings.from_env(GOOD).transport == "twilio"
    assert Settings.from_env({**GOOD, "IOPBOT_TRANSPORT": "console"}).transport == "console"


@pytest.mark.parametrize("url", ["postgres://u:p@db.example.com:5432/iop",
                                 "postgresql://u:p@db.example.com/iop"])
def test_hosted_postgres_urls_use_the_shipped_driver(url):
    settings = Settings.from_env({"DATABASE_URL": url})
    assert settings.database_url.startswith("postgresql+psycopg://u:p@db.example.com")


def test_dotenv_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("IOPBOT_SEND_RATE=3\n")
    result = run_iopbot(tmp_path, {}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    (tmp_path / ".env").write_text("IOPBOT_SEND_RATE=fast\n")
    result = run_iopbot(tmp_path, {}, "db", "upgrade")
    assert result.returncode != 0
    assert "IOPBOT_SEND_RATE" in result.stderr


def test_default_database_is_iopbot_db_in_the_working_directory(tmp_path):
    result = run_iopbot(tmp_path, {"DATABASE_URL": ""}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "iopbot.db").is_file()


def create_schema(tmp_path: Path) -> None:
    """Tables from the models (the migration is regenerated from them at release time)."""
    from sqlalchemy import create_engine

    from bot.models import Base

    engine = create_engine(f"sqlite:///{tmp_path}/iopbot.db")
    Base.metadata.create_all(engine)
    engine.dispose()


def test_console_transport_prints_one_line_per_text(tmp_path):
    create_schema(tmp_path)
    run_iopbot(tmp_path, {}, "counselor", "add", "--name", "Sam", "--phone", "4155550199")
    added = run_iopbot(tmp_path, {}, "participant", "add", "--name", "Alex", "--phone",
                       "415 555 0123", "--counselor", "4155550199", "--timezone",
                       "America/Chicago")
    assert added.returncode == 0, added.stderr
    result = run_iopbot(tmp_path, {}, "dispatch")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("SMS to ")]
    assert len(lines) == 1
    assert lines[0].startswith("SMS to +14155550123: ")
    assert "Msg & data rates may apply" in lines[0]
    assert "sent: 1" in result.stdout


# bad settings -----------------------------------------------------------------------------


BAD = [
    ({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "x"}, "TWILIO_ACCOUNT_SID"),
    ({**GOOD, "TWILIO_MESSAGING_SERVICE_SID": "MG-nope"}, "TWILIO_MESSAGING_SERVICE_SID"),
    ({**GOOD, "TWILIO_FROM_NUMBER": "not a number"}, "TWILIO_FROM_NUMBER"),
    ({**GOOD, "TWILIO_API_BASE_URL": "api.twilio.com"}, "TWILIO_API_BASE_URL"),
    ({"PUBLIC_BASE_URL": "ftp://bot.example.org"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "https://"}, "PUBLIC_BASE_URL"),
    ({"DATABASE_URL": "mysql://db/iop"}, "DATABASE_URL"),
    ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ({"IOPBOT_TRANSPORT": "twilio"}, "IOPBOT_TRANSPORT"),
    ({"IOPBOT_TRANSPORT": "pigeon"}, "IOPBOT_TRANSPORT"),
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "x"}, "TWILIO_FROM_NUMBER"),
    ({"IOPBOT_SEND_RATE": "fast"}, "IOPBOT_SEND_RATE"),
    ({"IOPBOT_SEND_RATE": "0"}, "IOPBOT_SEND_RATE"),
    ({"IOPBOT_SEND_RATE": "nan"}, "IOPBOT_SEND_RATE"),
    ({"IOPBOT_MAX_SEND_ATTEMPTS": "0"}, "IOPBOT_MAX_SEND_ATTEMPTS"),
    ({"IOPBOT_LOG_LEVEL": "LOUD"}, "IOPBOT_LOG_LEVEL"),
    ({"IOPBOT_CONFIG": "/nonexistent/program.yaml"}, "IOPBOT_CONFIG"),
]


@pytest.mark.parametrize("env, name", BAD)
def test_bad_setting_raises_settings_error_naming_it(env, name):
    with pytest.raises(SettingsError, match=name):
        from bot.program import load_program

        settings = Settings.from_env(env, load_dotenv=False)
        load_program(settings.config_path)


def assert_one_line_error(result: subprocess.CompletedProcess, name: str) -> None:
    """Start-up refused: non-zero exit, one stderr line naming `name`, no traceback."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("env, name", BAD[::2] + [BAD[8], BAD[15]])
def test_console_script_refuses_to_start_with_one_line(tmp_path, env, name):
    assert_one_line_error(run_iopbot(tmp_path, env, "participant", "list"), name)


PROGRAM = """
clinic: {{name: "Test Health", phone: "+1 555 555 0100"}}
timezone: {timezone}
messages_dir: {messages}
"""


def write_program(tmp_path: Path, timezone: str = "America/New_York") -> Path:
    """A program file beside a copy of the shipped wording."""
    import shutil

    import config

    messages = tmp_path / "messages"
    shutil.copytree(Path(config.__file__).parent / "messages", messages)
    path = tmp_path / "program.yaml"
    path.write_text(PROGRAM.format(timezone=timezone, messages=messages))
    return path


def test_custom_program_file_is_used(tmp_path):
    path = write_program(tmp_path)
    assert run_iopbot(tmp_path, {"IOPBOT_CONFIG": str(path)}, "db", "upgrade").returncode == 0
    # `db upgrade` reads no clinic file; listing participants loads the program
    result = run_iopbot(tmp_path, {"IOPBOT_CONFIG": str(path)}, "participant", "list")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "breakage",
    ["timezone", "unreadable", "directory", "yaml", "not-a-mapping", "bad-messages",
     "duplicate-key"],
)
def test_bad_program_file_is_one_line_naming_iopbot_config(tmp_path, breakage):
    path = write_program(tmp_path, "Mars/Olympus_Mons" if breakage == "timezone" else "UTC")
    if breakage == "unreadable":
        path = tmp_path / "missing.yaml"
    elif breakage == "directory":
        path = tmp_path / "messages"
    elif breakage == "yaml":
        path.write_text("clinic: [unclosed\n")
    elif breakage == "not-a-mapping":
        path.write_text("- just\n- a list\n")
    elif breakage == "bad-messages":
        (tmp_path / "messages" / "extra.yaml").write_text("en: {oops: [\n")
    elif breakage == "duplicate-key":
        (tmp_path / "messages" / "extra.yaml").write_text("en:\n  help: again\n")
    result = run_iopbot(tmp_path, {"IOPBOT_CONFIG": str(path)}, "participant", "list")
    assert_one_line_error(result, "IOPBOT_CONFIG")
    if breakage == "timezone":
        assert "Mars/Olympus_Mons" in result.stderr


def test_unknown_timezone_in_program_file_is_a_settings_error(tmp_path):
    from bot.program import load_program

    with pytest.raises(SettingsError, match="unknown timezone"):
        load_program(write_program(tmp_path, "Not/AZone"))
