"""`iopbot` imports a command only when it runs; `--help` lists them all without importing any."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import COMMANDS, all_commands, build_group, script_info
from bot.clinic import packaged

IOPBOT = Path(sys.executable).parent / "iopbot"
# What `--help` must not import: a command module, the web stack, the database layer, Twilio,
# the triage rules.
HEAVY = ("bot.cli.people", "bot.cli.triage_cmd", "bot.models", "bot.triage", "bot.triage.rules",
         "flask", "sqlalchemy", "twilio", "handlers", "bot.console")
PROBE = """
import sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("EXIT", code)
print("LOADED", " ".join(sorted(sys.modules)))
"""


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run `iopbot args` in a fresh interpreter; (exit code, stdout + stderr, modules imported)."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, timeout=120, env=env, cwd=cwd)
    lines = result.stdout.splitlines()
    assert lines[-2].startswith("EXIT "), result.stdout + result.stderr
    output = "\n".join(lines[:-2]) + result.stderr
    return int(lines[-2].split()[1] or 0), output, set(lines[-1].split()[1:])


def eager_group() -> click.Group:
    """The group as it was before: every command imported and added up front."""
    group = build_group()
    plain = click.Group(name=group.name, help=group.help, params=group.params)
    for command in all_commands():
        plain.add_command(command)
    return plain


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
def test_help_and_version_import_no_command(args):
    code, output, loaded = run_cli(*args)
    assert code in (0, 2)  # no arguments: click shows the help (exit 2 on click >= 8.2)
    assert "iopbot" in output
    assert not {name for name in loaded if name.startswith(HEAVY)}, sorted(
        name for name in loaded if name.startswith(HEAVY))


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_lists_the_same_commands_and_help_as_the_imported_ones(width):
    lazy = CliRunner().invoke(build_group(), ["--help"], prog_name="iopbot", terminal_width=width)
    eager = CliRunner().invoke(eager_group(), ["--help"], prog_name="iopbot",
                               terminal_width=width)
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    assert "participant" in lazy.output and "triage" in lazy.output


def test_the_table_names_each_command_and_keeps_its_help():
    for name, entry in COMMANDS.items():
        command = entry.load()
        assert command.name == name
        stored = click.Command(name, help=entry.help)
        for limit in (30, 45, 1000):
            assert stored.get_short_help_str(limit) == command.get_short_help_str(limit), name


@pytest.mark.parametrize(("group", "verbs"), [
    ("participant", {"add", "list", "discharge", "update", "pause", "resume", "readmit",
                     "import"}),
    ("counselor", {"add", "list", "update", "deactivate"}),
])
def test_a_group_has_the_subcommands_other_modules_add_to_it(group, verbs):
    code, output, loaded = run_cli(group, "--help")  # a fresh process: nothing imported before
    assert code == 0, output
    listed = {line.split()[0] for line in output.split("Commands:")[1].splitlines()
              if line.startswith("  ")}
    assert listed == verbs
    assert "bot.cli.triage_cmd" not in loaded and "bot.cli.staff_cmds" not in loaded


def test_a_command_that_serves_nothing_runs_without_the_web_stack(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IOPBOT_", "TWILIO_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", IOPBOT_TRANSPORT="console")
    code, output, _ = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert code == 0, output
    code, output, loaded = run_cli("oncall", "show", env=env, cwd=tmp_path)
    assert code == 0, output
    assert "on call now" in output
    assert not {n for n in loaded if n.startswith(("handlers", "bot.console", "twilio"))}
    assert "bot.cli.staff_cmds" not in loaded


def test_only_serving_commands_get_the_webhook_and_console_routes(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("IOPBOT_", "TWILIO_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'routes.db'}")
    monkeypatch.chdir(tmp_path)  # no stray .env
    cli_app = script_info(web=False).load_app()
    web_app = script_info(web=True).load_app()
    cli_routes = {rule.rule for rule in cli_app.url_map.iter_rules()}
    web_routes = {rule.rule for rule in web_app.url_map.iter_rules()}
    assert "/twilio/messages" in web_routes and "/twilio/messages" not in cli_routes
    assert not any(route.startswith("/console") for route in cli_routes)
    assert set(cli_app.cli.list_commands(None)) == set(COMMANDS)
    for app in (cli_app, web_app):
        app.extensions["iopbot"].engine.dispose()


# What a command that only reads or changes rows must not import: the web app (its factory's
# Flask, Werkzeug, Jinja), the webhook and console, Twilio, the PostgreSQL driver (the database
# here is SQLite), the clock's scheduler and the triage rules.
NOT_FOR_DATABASE_COMMANDS = ("flask", "werkzeug", "jinja2", "twilio", "psycopg", "apscheduler",
                             "handlers", "bot.console", "schedules", "bot.triage")
# What a database command's `--help` must not import either: the database layer and services.
NOT_FOR_HELP = (*NOT_FOR_DATABASE_COMMANDS, "sqlalchemy", "bot.models", "bot.services",
                "alembic", "yaml")


def imported(loaded: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules in `loaded` that are one of `packages` or inside one."""
    return sorted(n for n in loaded if n in packages or n.startswith(tuple(f"{p}." for p in
                                                                          packages)))


@pytest.fixture(scope="module")
def sqlite_cli(tmp_path_factory) -> tuple[dict[str, str], Path]:
    """Environment and folder for `iopbot` on a migrated SQLite database, with no `.env`."""
    folder = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IOPBOT_", "TWILIO_"))}
    env.update(DATABASE_URL=f"sqlite:///{folder / 'cli.db'}", IOPBOT_TRANSPORT="console")
    code, output, _ = run_cli("db", "upgrade", env=env, cwd=folder)
    assert code == 0, output
    return env, folder


@pytest.mark.parametrize("args", [
    ["participant", "list"], ["counselor", "list"], ["alert", "list"], ["oncall", "show"],
    ["staff", "list"], ["delivery", "problems"], ["inbox"], ["group", "list"],
])
def test_a_database_command_builds_no_web_app(sqlite_cli, args):
    env, folder = sqlite_cli
    code, output, loaded = run_cli(*args, env=env, cwd=folder)
    assert code == 0, output
    assert imported(loaded, NOT_FOR_DATABASE_COMMANDS) == []
    assert "sqlalchemy.dialects.sqlite" in loaded and "bot.tables" in loaded  # it read the db


# What a command that only lists rows must not import either: the ORM and the 32 model classes
# (about a quarter of a second before the first query), the services, and on SQLite the
# PostgreSQL dialect (a partial index's `postgresql_where` would load it).
NOT_FOR_LISTING = (*NOT_FOR_DATABASE_COMMANDS, "sqlalchemy.orm", "bot.models", "bot.services",
                   "sqlalchemy.dialects.postgresql", "alembic")


@pytest.fixture(scope="module")
def sqlite_rows(sqlite_cli) -> tuple[dict[str, str], Path]:
    """`sqlite_cli`'s database with a row in each table the listing commands read."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from bot.db import make_engine
    from bot.tables import (
        alerts,
        counselors,
        groups,
        oncall_overrides,
        oncall_shifts,
        participants,
        phone_numbers,
        staff_accounts,
    )

    env, folder = sqlite_cli
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(insert(counselors).values(id=1, name="Jordan Lee",
                                                     phone="+14155550101", on_call=True))
        connection.execute(insert(groups).values(id=1, name="Evening", timezone="UTC"))
        connection.execute(insert(participants).values(
            id=1, name="Alex Rivera", phone="+14155550600", timezone="America/Chicago",
            counselor_id=1, group_id=1, checkin_time="17:00", consent_at=now,
            consent_source="test"))
        connection.execute(insert(phone_numbers).values(phone="+14155550600", opted_out=True))
        connection.execute(insert(alerts).values(id=1, dedupe_key="k", participant_id=1,
                                                 level="urgent", kind="triage",
                                                 reasons=["used"], created_at=now))
        connection.execute(insert(oncall_shifts).values(counselor_id=1, weekday=3,
                                                        starts="09:00", ends="17:00"))
        connection.execute(insert(oncall_overrides).values(
            counselor_id=1, starts_at=now, ends_at=datetime(2099, 1, 1, tzinfo=UTC)))
        connection.execute(insert(staff_accounts).values(email="a@x.org", name="Ay",
                                                         role="admin"))
    engine.dispose()
    return env, folder


@pytest.mark.parametrize(("args", "printed"), [
    (["participant", "list"], "1\tAlex Rivera\t+14155550600\tactive,opted-out\ten\t17:00\t"
                              "Evening\tJordan Lee"),
    (["alert", "list"], "1\turgent\topen\tAlex R.\ttriage\tcreated 2026-11-26T15:00Z\t"
                        "step 0\tdeadline -\tused"),
    (["alert", "list", "--open"], "1\turgent\topen\tAlex R."),
    (["oncall", "show"], "on call now: Jordan Lee +14155550101\nshift 1\tthu 09:00-17:00\t"
                         "Jordan Lee\t+14155550101\noverride 1\t2026-11-26T15:00Z to "),
    (["staff", "list"], "a@x.org\tAy\tadmin\tno-password-yet\ttotp off\tlast sign-in -"),
    (["counselor", "list"], "1\tJordan Lee\t+14155550101\ton-call"),
    (["group", "list"], "1\tEvening\tUTC\t-\t-"),
])
def test_a_listing_command_imports_no_orm(sqlite_rows, args, printed):
    env, folder = sqlite_rows
    code, output, loaded = run_cli(*args, env=env, cwd=folder)
    assert code == 0, output
    assert printed in output, output  # it did read rows
    assert imported(loaded, NOT_FOR_LISTING) == []


def test_the_listing_modules_import_no_orm():
    code = ("import sys, bot.tables, bot.queries.listing, bot.queries.oncall; "
            "print(' '.join(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert imported(set(result.stdout.split()), NOT_FOR_LISTING) == []


def test_db_upgrade_at_head_runs_no_alembic_and_reads_no_clinic_file(sqlite_cli):
    env, folder = sqlite_cli
    code, output, loaded = run_cli("db", "upgrade", env=env, cwd=folder)
    assert code == 0, output
    assert output.startswith("database at head (sqlite:///"), output
    assert imported(loaded, (*NOT_FOR_DATABASE_COMMANDS, "alembic", "sqlalchemy.orm", "bot.models",
                             "bot.clinic", "yaml")) == []


@pytest.mark.parametrize("args", [
    ["participant", "list", "--help"], ["participant", "discharge", "--help"],
    ["participant", "add", "--help"], ["staff", "add", "--help"], ["oncall", "set", "--help"],
    ["db", "upgrade", "--help"], ["alert", "--help"], ["family", "invite", "--help"],
])
def test_a_database_commands_help_imports_no_database_layer(args):
    code, output, loaded = run_cli(*args)
    assert code == 0, output
    assert "Usage: iopbot" in output
    assert imported(loaded, NOT_FOR_HELP) == []


def test_help_choices_are_the_ones_the_services_check():
    from bot.services.people import DISCHARGE_REASONS, LANGUAGES
    from bot.services.staff import STAFF_ROLES

    verbs = {"discharge": ("reason", DISCHARGE_REASONS), "add": ("language", LANGUAGES)}
    participant = all_commands_by_name()["participant"]
    for verb, (option, choices) in verbs.items():
        param = next(p for p in participant.commands[verb].params if p.name == option)
        assert tuple(param.type.choices) == choices
    staff_add = all_commands_by_name()["staff"].commands["add"]
    assert tuple(next(p for p in staff_add.params if p.name == "role").type.choices) == \
        STAFF_ROLES


def all_commands_by_name() -> dict[str, click.Command]:
    """Every top-level command, imported, by name."""
    return {command.name: command for command in all_commands()}


def test_the_migration_files_heads_are_alembics():
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config, script_heads

    assert script_heads() == frozenset(ScriptDirectory.from_config(alembic_config(None))
                                       .get_heads())


def test_at_head_only_when_the_version_table_says_the_head(tmp_path):
    from sqlalchemy import text

    from bot.db import make_engine
    from bot.migrate import at_head, script_heads, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'heads.db'}")
    try:
        assert not at_head(engine)  # no version table yet
        upgrade(engine)
        assert at_head(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'd463c56c8504'"))
        assert not at_head(engine)
        assert script_heads() != frozenset({"d463c56c8504"})
    finally:
        engine.dispose()


def test_only_commands_that_read_texts_read_the_triage_file(sqlite_cli, tmp_path):
    env, folder = sqlite_cli
    shutil.copyfile(packaged("program.yaml"), tmp_path / "program.yaml")
    with (tmp_path / "program.yaml").open("a", encoding="utf-8") as program:
        program.write("triage_rules: triage.yaml\n")
    (tmp_path / "triage.yaml").write_text("thresholds: {urgent_cravings: 5}\n", "utf-8")
    env = {**env, "IOPBOT_CONFIG": str(tmp_path / "program.yaml")}
    code, output, loaded = run_cli("participant", "list", env=env, cwd=folder)
    assert code == 0, output
    assert "bot.triage" not in loaded
    for args in (["chat", "--phone", "+14155550123"], ["dispatch"]):  # checked before starting
        code, output, _ = run_cli(*args, env=env, cwd=folder)
        assert code == 2, output
        assert output.strip() == (f"iopbot: IOPBOT_CONFIG: {tmp_path / 'triage.yaml'}: "
                                  "unknown key 'thresholds.urgent_cravings' (did you mean "
                                  "'urgent_craving'?)"), output
    code, output, _ = run_cli("triage", "hello", env=env, cwd=folder)  # read on first use
    assert code == 1
    assert "IOPBOT_CONFIG" in output and "urgent_cravings" in output
