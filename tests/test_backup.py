"""`iopbot export` / `iopbot import`: encrypted, complete, and restorable across databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.app import build_runtime, create_app
from bot.backup import BackupError, decrypt, encrypt, tables
from bot.migrate import upgrade
from bot.models import Alert, Counselor, Participant
from bot.runtime import Runtime
from tests.conftest import postgres_url
from tests.factories import make_care_team

PASSPHRASE = "correct horse battery staple"


# (source, target): the suite's own database into a new SQLite file, and on the PostgreSQL pass
# also PostgreSQL -> PostgreSQL and SQLite -> PostgreSQL (how a clinic outgrows the default).
PAIRS = [("suite", "sqlite")]
if postgres_url():
    PAIRS += [("suite", "postgresql"), ("sqlite", "postgresql")]


@pytest.fixture
def database_url(database_url, request, tmp_path) -> str:
    """The suite's database, or a SQLite file when a test asks for a SQLite source."""
    if getattr(request, "param", "suite") == "sqlite":
        return f"sqlite:///{tmp_path / 'source.db'}"
    return database_url


@pytest.fixture
def runtime(settings, clock) -> Iterator[Runtime]:
    """The bot's runtime on a database migrated with Alembic (exports record the revision)."""
    rt = build_runtime(settings, clock=clock)
    upgrade(rt.engine)
    yield rt
    rt.engine.dispose()


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database URL: a SQLite file or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'restore-{uuid.uuid4().hex[:6]}.db'}"
        return
    base = postgres_url()
    schema = f"r_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    rt_engine = create_engine(url)
    try:
        with rt_engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(
                    select(t).order_by(*(t.primary_key.columns or t.columns)))]
                for t in tables()
            }
    finally:
        rt_engine.dispose()


@pytest.fixture
def clinic_data(db_session, text_in, runner):
    """People, a crisis alert with its pages and log, and a family consent waiting for YES."""
    team = make_care_team(db_session)
    text_in(team["alex"].phone, "I have the pills counted out")
    text_in(team["alex"].phone, "7")
    result = runner.invoke(args=[
        "family", "invite", "--participant", team["alex"].phone, "--name", "Rosa Rivera",
        "--phone", "+14155550777", "--relationship", "mother", "--share", "attendance",
        "--expires", "2027-06-30",
    ])
    assert result.exit_code == 0, result.output
    return team


def export(runner, out: Path, monkeypatch) -> str:
    monkeypatch.setenv("IOPBOT_EXPORT_PASSPHRASE", PASSPHRASE)
    result = runner.invoke(args=["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def restore(url: str, dump: Path, settings, clock, monkeypatch):
    """Migrate a new database at `url` and `iopbot import` the dump into it."""
    target = build_runtime(settings.with_overrides(database_url=url), clock=clock)
    try:
        upgrade(target.engine)
        monkeypatch.setenv("IOPBOT_EXPORT_PASSPHRASE", PASSPHRASE)
        return create_app(runtime=target).test_cli_runner().invoke(args=["import", str(dump)])
    finally:
        target.engine.dispose()


@pytest.mark.parametrize(("database_url", "target"), PAIRS, indirect=["database_url"])
def test_round_trip_restores_every_row(
    target, clinic_data, runner, runtime, settings, clock, tmp_path, monkeypatch
):
    dump = tmp_path / "clinic.iopbot"
    said = export(runner, dump, monkeypatch)
    assert said.startswith("exported ") and f"{len(tables())} tables" in said
    raw = dump.read_bytes()
    assert b"Alex Rivera" not in raw and b"pills" not in raw  # never clear text
    assert dump.stat().st_mode & 0o077 == 0  # readable by its owner only

    before = snapshot(settings.database_url)
    assert before["alerts"] and before["family_consents"] and before["message_log"]
    with fresh_database(target, tmp_path) as url:
        result = restore(url, dump, settings, clock, monkeypatch)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("imported ")
        assert snapshot(url) == before
        # New rows continue after the imported ids (PostgreSQL sequences were moved on).
        again = build_runtime(settings.with_overrides(database_url=url), clock=clock)
        try:
            with again.Session() as session, session.begin():
                highest = session.scalar(select(func.max(Counselor.id)))
                added = Counselor(name="New Person", phone="+14155550900")
                session.add(added)
                session.flush()
                assert added.id == highest + 1
                assert session.scalar(select(func.count()).select_from(Alert)) == len(
                    before["alerts"])
                names = set(session.scalars(select(Participant.name)))
                assert names == {"Alex Rivera"}
        finally:
            again.engine.dispose()


def test_import_refuses_a_database_that_is_not_empty(
    clinic_data, runner, settings, clock, tmp_path, monkeypatch
):
    dump = tmp_path / "clinic.iopbot"
    export(runner, dump, monkeypatch)
    result = runner.invoke(args=["import", str(dump)])  # into the very database it came from
    assert result.exit_code == 1
    assert result.output.startswith("Error: the database is not empty (")
    assert len(result.output.strip().splitlines()) == 1


def test_export_refuses_without_a_passphrase(runner, runtime, tmp_path, monkeypatch):
    monkeypatch.delenv("IOPBOT_EXPORT_PASSPHRASE", raising=False)
    out = tmp_path / "clinic.iopbot"
    result = runner.invoke(args=["export", "--out", str(out)])
    assert result.exit_code == 1
    assert "set IOPBOT_EXPORT_PASSPHRASE" in result.output
    assert not out.exists()
    monkeypatch.setenv("IOPBOT_EXPORT_PASSPHRASE", "short")
    result = runner.invoke(args=["export", "--out", str(out)])
    assert result.exit_code == 1 and "at least 12 characters" in result.output


def test_wrong_passphrase_or_foreign_file_is_one_line(
    runner, runtime, settings, clock, tmp_path, monkeypatch
):
    dump = tmp_path / "clinic.iopbot"
    export(runner, dump, monkeypatch)
    with fresh_database("sqlite", tmp_path) as url:
        target = build_runtime(settings.with_overrides(database_url=url), clock=clock)
        upgrade(target.engine)
        cli = create_app(runtime=target).test_cli_runner()
        monkeypatch.setenv("IOPBOT_EXPORT_PASSPHRASE", "not the passphrase at all")
        result = cli.invoke(args=["import", str(dump)])
        assert result.exit_code == 1
        assert result.output.strip() == (
            "Error: wrong IOPBOT_EXPORT_PASSPHRASE, or the file is damaged")
        other = tmp_path / "notes.txt"
        other.write_text("hello\n")
        result = cli.invoke(args=["import", str(other)])
        assert result.output.strip() == "Error: not an iopbot export file"
        result = cli.invoke(args=["import", str(tmp_path / "missing.iopbot")])
        assert result.exit_code == 1 and "cannot read" in result.output
        target.engine.dispose()


def test_import_needs_a_migrated_database(runner, runtime, settings, clock, tmp_path, monkeypatch):
    dump = tmp_path / "clinic.iopbot"
    export(runner, dump, monkeypatch)
    with fresh_database("sqlite", tmp_path) as url:
        target = build_runtime(settings.with_overrides(database_url=url), clock=clock)
        result = create_app(runtime=target).test_cli_runner().invoke(args=["import", str(dump)])
        target.engine.dispose()
    assert result.exit_code == 1
    assert "run `iopbot db upgrade` first" in result.output


def test_tampering_is_detected():
    sealed = bytearray(encrypt(b"payload", PASSPHRASE))
    assert decrypt(bytes(sealed), PASSPHRASE) == b"payload"
    sealed[-1] ^= 1
    with pytest.raises(BackupError, match="damaged"):
        decrypt(bytes(sealed), PASSPHRASE)
