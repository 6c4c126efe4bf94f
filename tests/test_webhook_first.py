"""The webhook's WSGI fast path (handlers/webhook.py `WebhookFirst`) against Flask's own route.

The same texts, sent once through the app as served (the middleware answers
`POST /twilio/messages`) and once through Flask's route behind it, on two fresh databases,
must give the same answers and leave the same rows in every table the inbound path writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from bot.app import build_runtime, create_app
from bot.models import Base
from bot.models.schedule import CheckIn
from bot.paging import wait_for_pages
from handlers.webhook import WebhookFirst
from tests.conftest import PUBLIC_BASE_URL, START, Clock, sign
from tests.factories import make_counselor, make_participant

CHECKIN_TIME = datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC)  # 17:00 in New York
ALEX, BLAIR, UNKNOWN = "+14155550201", "+14155550202", "+14155550299"
# (sender, body): check-in answers, an unclear one, free text at every level, keywords, a
# crisis, an unknown number, a counselor, and a replayed MessageSid.
TEXTS = [
    (ALEX, "3"), (ALEX, "no"), (ALEX, "banana"), (ALEX, "7"),
    (BLAIR, "had a good day at work today"), (BLAIR, "i really want to use tonight"),
    (UNKNOWN, "who is this?"), (BLAIR, "HELP"), (BLAIR, "STOP"), (BLAIR, "are you there"),
    (BLAIR, "START"), ("+14155550210", "help"), (ALEX, "I want to kill myself"),
    (UNKNOWN, "I want to die"),
]
# Tables written on the real clock (the send pacer, the senders' beats), not by the texts.
SKIPPED_TABLES = {"send_pacing", "senders"}


def run(settings, tmp_path: Path, name: str, *, through_flask: bool, monkeypatch) -> dict:
    """Send TEXTS to a fresh database; return the answers and every table's rows."""
    monkeypatch.setattr("handlers.webhook.send_pages_soon", lambda _rt, _ids: None)
    clock = Clock(START)
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    runtime = build_runtime(settings.with_overrides(database_url=url), clock=clock)
    Base.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime)
    app.testing = True
    assert isinstance(app.wsgi_app, WebhookFirst)
    if through_flask:
        app.wsgi_app = app.wsgi_app.flask
    with Session(runtime.engine) as s, s.begin():
        counselor = make_counselor(s, name="Jordan Lee", phone="+14155550210")
        make_counselor(s, name="Sam Ortiz", phone="+14155550211", on_call=True)
        for name, phone in (("Alex Rivera", ALEX), ("Blair Chen", BLAIR)):
            person = make_participant(s, counselor=counselor, name=name, phone=phone,
                                      enrolled_at=START)
            s.add(CheckIn(participant_id=person.id, local_date=CHECKIN_TIME.date(),
                          asked_at=CHECKIN_TIME, prompted_at=CHECKIN_TIME,
                          closes_at=CHECKIN_TIME + timedelta(hours=4), step="craving"))
    clock.set(CHECKIN_TIME + timedelta(minutes=1))
    client, answers = app.test_client(), []
    sids = [f"SM{i:032x}" for i in range(len(TEXTS))]
    for phone, body, sid in [(*text, sid) for text, sid in zip(TEXTS, sids, strict=True)] + [
            (*TEXTS[0], sids[0])]:  # the last is a replayed MessageSid
        form = {"From": phone, "To": "+15005550006", "Body": body, "MessageSid": sid,
                "AccountSid": "AC" + "0" * 32}
        signature = sign(PUBLIC_BASE_URL + "/twilio/messages", form,
                         settings.twilio_auth_token)
        response = client.post("/twilio/messages", data=form,
                               headers={"X-Twilio-Signature": signature})
        answers.append((response.status_code, response.mimetype, response.get_data(as_text=True)))
        clock.advance(seconds=7)
    forged = client.post("/twilio/messages", data={"From": ALEX, "Body": "x", "MessageSid": "SMx"},
                         headers={"X-Twilio-Signature": "forged"})
    answers.append((forged.status_code, forged.mimetype, forged.get_data(as_text=True)))
    answers.append((client.get("/twilio/messages").status_code,))
    wait_for_pages()
    rows = {}
    meta = MetaData()
    meta.reflect(runtime.engine)
    with runtime.engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in SKIPPED_TABLES:
                continue
            rows[table.name] = [dict(row._mapping) for row in conn.execute(
                select(table).order_by(*table.primary_key.columns))]
    runtime.engine.dispose()
    return {"answers": answers, "rows": rows}


def test_the_fast_path_answers_and_writes_exactly_what_flasks_route_does(
    settings, tmp_path, monkeypatch
):
    fast = run(settings, tmp_path, "fast", through_flask=False, monkeypatch=monkeypatch)
    flask = run(settings, tmp_path, "flask", through_flask=True, monkeypatch=monkeypatch)
    assert fast["answers"] == flask["answers"]
    statuses = [a[0] for a in fast["answers"]]
    assert statuses == [200] * (len(TEXTS) + 1) + [403, 405]
    assert "<Message>" in fast["answers"][0][2]  # the check-in's next question
    assert any(r["craving"] == 3 for r in fast["rows"]["checkins"])
    assert fast["rows"].keys() == flask["rows"].keys()
    for name, rows in fast["rows"].items():
        assert rows == flask["rows"][name], name
    # The texts were really handled: every one logged once, the crisis alerted.
    inbound = [r for r in fast["rows"]["message_log"] if r["direction"] == "in"]
    assert len(inbound) == len(TEXTS)
    assert any(r["level"] == "crisis" for r in fast["rows"]["alerts"])


@pytest.mark.parametrize("through_flask", [False, True])
def test_an_unexpected_error_is_a_500_when_not_testing(
    app, post_twilio, monkeypatch, caplog, through_flask
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.webhook.handle_inbound", broken)
    app.testing = False
    if through_flask:
        app.wsgi_app = app.wsgi_app.flask
    response = post_twilio("/twilio/messages", From=ALEX, Body="hi", MessageSid="SM" + "1" * 32)
    assert response.status_code == 500
    assert "Exception on /twilio/messages [POST]" in caplog.text


def test_other_paths_still_reach_flask(client):
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/twilio/messages/extra").status_code == 404
