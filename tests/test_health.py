"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from bot.app import build_runtime, create_app


def test_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_503_when_postgresql_is_not_listening(settings, clock):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    down = settings.with_overrides(
        database_url="postgresql+psycopg://iopbot@127.0.0.1:9/iopbot?connect_timeout=2"
    )
    app = create_app(runtime=build_runtime(down, clock=clock))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "database unavailable"}


def test_503_when_the_sqlite_folder_is_missing(settings, clock, tmp_path):
    gone = settings.with_overrides(database_url=f"sqlite:///{tmp_path}/missing/dir/iopbot.db")
    app = create_app(runtime=build_runtime(gone, clock=clock))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert not (tmp_path / "missing").exists()


def test_health_needs_no_signature_and_stores_nothing(client, db_session):
    from sqlalchemy import func, select

    from bot.models import MessageLog

    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert db_session.scalar(select(func.count()).select_from(MessageLog)) == 0
