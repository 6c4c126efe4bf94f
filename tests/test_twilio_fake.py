"""The fake Twilio server, exercised through the official twilio library and bot.twilio_http."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.twilio_http import BaseUrlHttpClient, make_client, rewrite_url

try:
    from tests.twilio_fake import FakeTwilio, count_segments
except ModuleNotFoundError:  # pytest put tests/ itself on sys.path (no tests/__init__.py)
    from twilio_fake import FakeTwilio, count_segments

FROM = "+15005550006"
TO = "+15551230001"
SERVICE = "MG" + "0123456789abcdef" * 2
CALLBACK = "https://bot.example.org/twilio/status"


class Clock:
    """A settable clock for the fake's date_created."""

    def __init__(self, now: datetime) -> None:
        """Start at now."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock(datetime(2025, 3, 4, 15, 30, tzinfo=UTC))


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeTwilio]:
    """A running fake Twilio."""
    with FakeTwilio(clock=clock) as server:
        yield server


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    """The official client pointed at the fake."""
    return make_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=5.0)


def send(client: Client, to: str = TO, **kwargs: str) -> object:
    """Create a message from FROM with a body unless overridden."""
    kwargs.setdefault("from_", FROM)
    kwargs.setdefault("body", "Time for your check-in")
    return client.messages.create(to=to, **kwargs)


# URL rewriting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1&PageSize=50",
            "http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?To=%2B1&PageSize=50",
        ),
        ("https://messaging.twilio.com/v1/Services", "http://127.0.0.1:4010/v1/Services"),
        ("https://API.TWILIO.COM:443/x", "http://127.0.0.1:4010/x"),
        ("https://api.twilio.com", "http://127.0.0.1:4010"),
        ("https://example.org/2010-04-01/x", "https://example.org/2010-04-01/x"),
        ("https://api.twilio.com.evil.example/x", "https://api.twilio.com.evil.example/x"),
        ("http://api.twilio.com/x", "http://api.twilio.com/x"),
    ],
)
def test_rewrite_url_replaces_twilio_hosts(url: str, expected: str) -> None:
    """Every https://*.twilio.com prefix becomes the base URL; path and query stay."""
    assert rewrite_url(url, "http://127.0.0.1:4010/") == expected


@pytest.mark.parametrize(
    "url", ["https://api.twilio.com/2010-04-01/x?a=1", "https://messaging.twilio.com/v1/y"]
)
def test_rewrite_url_is_identity_for_the_real_api(url: str) -> None:
    """With the production base URL nothing is rewritten."""
    assert rewrite_url(url, "https://api.twilio.com") == url


def test_http_client_sends_to_base_url(fake: FakeTwilio, client: Client) -> None:
    """The request the library builds for api.twilio.com reaches the base URL."""
    send(client)
    http_client = client.http_client
    assert isinstance(http_client, BaseUrlHttpClient)
    assert http_client.timeout == 5.0
    last = http_client._test_only_last_request
    assert last is not None
    assert last.url.startswith(f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/")


# create, list, fetch -------------------------------------------------------------------------


def test_create_from_number(fake: FakeTwilio, client: Client, clock: Clock) -> None:
    """A create with From answers 201 with the message resource and is recorded."""
    message = send(client, body="Hi Ana, how are you today?", status_callback=CALLBACK)

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.to, message.from_, message.body) == (TO, FROM, "Hi Ana, how are you today?")
    assert message.account_sid == fake.account_sid
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.num_segments == "1"
    assert message.api_version == "2010-04-01"
    assert message.date_created == clock.now
    assert message.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{message.sid}.json"
    [recorded] = fake.messages
    assert recorded == {
        "sid": message.sid,
        "to": TO,
        "from_": FROM,
        "body": "Hi Ana, how are you today?",
        "status_callback": CALLBACK,
        "messaging_service_sid": None,
        "media_urls": [],
        "status": "queued",
        "created_at": clock.now,
    }
    [request] = fake.requests
    assert request["method"] == "POST"
    assert request["form"]["StatusCallback"] == CALLBACK
    assert request["status"] == 201


def test_create_with_messaging_service(fake: FakeTwilio, client: Client) -> None:
    """A create with only a MessagingServiceSid is accepted (status "accepted", no From)."""
    message = client.messages.create(
        to=TO, messaging_service_sid=SERVICE, body="Recordatorio", status_callback=CALLBACK
    )

    assert message.messaging_service_sid == SERVICE
    assert message.from_ is None
    assert message.status == "accepted"
    assert fake.messages[0]["messaging_service_sid"] == SERVICE
    assert fake.messages[0]["status_callback"] == CALLBACK


def test_create_whatsapp_and_media(fake: FakeTwilio, client: Client) -> None:
    """Channel-prefixed addresses and repeated MediaUrl are accepted."""
    client.messages.create(
        to="whatsapp:+15551230001",
        from_="whatsapp:+15005550006",
        media_url=["https://x.example/a.png", "https://x.example/b.png"],
    )

    [recorded] = fake.messages
    assert recorded["to"] == "whatsapp:+15551230001"
    assert recorded["media_urls"] == ["https://x.example/a.png", "https://x.example/b.png"]


@pytest.mark.parametrize(
    ("body", "segments"),
    [("a" * 160, 1), ("a" * 161, 2), ("é" * 160, 1), ("€" * 80, 1), ("ñ✓" * 35, 1), ("✓" * 71, 2)],
)
def test_segments_follow_gsm7_and_ucs2_limits(body: str, segments: int) -> None:
    """num_segments uses 160/153 GSM-7 units or 70/67 UCS-2 units."""
    assert count_segments(body) == segments


def test_list_filters_by_to_and_date(fake: FakeTwilio, client: Client, clock: Clock) -> None:
    """messages.list(to=..., date_sent_after=...) returns only matching messages, newest first."""
    old = send(client)
    clock.now += timedelta(days=1)
    new = send(client)
    send(client, to="+15551239999")

    by_to = client.messages.list(to=TO)
    recent = client.messages.list(to=TO, date_sent_after=clock.now - timedelta(hours=1))
    by_day = client.messages.list(date_sent=(clock.now - timedelta(days=1)).date())
    before = client.messages.list(date_sent_before=clock.now - timedelta(hours=1))

    assert [m.sid for m in by_to] == [new.sid, old.sid]
    assert [m.sid for m in recent] == [new.sid]
    assert [m.sid for m in by_day] == [old.sid]
    assert [m.sid for m in before] == [old.sid]
    assert fake.requests[-1]["query"]["DateSent<"] == "2025-03-05T14:30:00Z"


def test_list_follows_next_page_uri(client: Client) -> None:
    """The library pages through next_page_uri (rewritten to the fake) until the end."""
    sids = [send(client, body=f"n{i}").sid for i in range(5)]

    listed = client.messages.list(to=TO, page_size=2)
    page = client.messages.page(to=TO, page_size=2)

    assert [m.sid for m in listed] == sids[::-1]
    third = page.next_page().next_page()
    assert [m.sid for m in page] == sids[:2:-1]
    assert [m.sid for m in third] == sids[:1]
    assert third.next_page_url is None
    assert client.messages.list(to=TO, limit=3, page_size=2)[-1].sid == sids[2]


def test_fetch_by_sid(client: Client) -> None:
    """messages(sid).fetch() returns the created message; an unknown sid is a 404 20404."""
    created = send(client, body="fetch me")

    assert client.messages(created.sid).fetch().body == "fetch me"
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


# authentication and validation ---------------------------------------------------------------


def test_wrong_auth_token_is_401(fake: FakeTwilio) -> None:
    """Bad credentials answer 401 code 20003 and nothing is accepted."""
    client = make_client(fake.account_sid, "not-the-token", fake.base_url, timeout=5.0)

    with pytest.raises(TwilioRestException) as raised:
        send(client)

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake.messages == []
    assert fake.requests[0]["status"] == 401


def test_other_account_in_path_is_404(fake: FakeTwilio) -> None:
    """Valid credentials for one account cannot post to another account's path."""
    client = make_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=5.0)
    other = "AC" + "f" * 32

    with pytest.raises(TwilioRestException) as raised:
        client.api.v2010.accounts(other).messages.create(to=TO, from_=FROM, body="x")

    assert raised.value.status == 404
    assert fake.messages == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": ""}, 21604),
        ({"to": "555-0100"}, 21211),
        ({"from_": None}, 21603),
        ({"body": ""}, 21602),
    ],
)
def test_invalid_create_is_400_with_twilio_code(
    fake: FakeTwilio, client: Client, kwargs: dict, code: int
) -> None:
    """Missing To/From/Body or a non-E.164 To answer 400 with Twilio's error code."""
    params = {"to": TO, "from_": FROM, "body": "hello", **kwargs}
    params = {k: v for k, v in params.items() if v is not None}

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**params)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert fake.messages == []
    assert len(fake.requests) == 1


# scripted failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "expected_code", "text"),
    [
        (400, 21610, 21610, "Attempt to send to unsubscribed recipient"),
        (400, 21211, 21211, "Invalid 'To' Phone Number"),
        (400, 21614, 21614, "'To' number is not a valid mobile number"),
        (429, 20429, 20429, "Too Many Requests"),
        (500, None, 500, "Internal Server Error"),  # no code in the body: the library uses status
        (503, None, 503, "Service Unavailable"),
    ],
)
def test_fail_next_surfaces_status_and_code(
    fake: FakeTwilio, client: Client, status: int, code: int | None, expected_code: int, text: str
) -> None:
    """A scripted failure reaches the caller as TwilioRestException; the next send succeeds."""
    fake.fail_next(status, code)

    with pytest.raises(TwilioRestException) as raised:
        send(client)

    assert (raised.value.status, raised.value.code) == (status, expected_code)
    assert text in raised.value.msg
    assert fake.messages == []
    assert send(client).status == "queued"
    assert [r["status"] for r in fake.requests] == [status, 201]


def test_fail_next_matches_recipient_and_times(fake: FakeTwilio, client: Client) -> None:
    """fail_next(to=..., times=2) fails only that recipient, twice."""
    stopped = "+15551230002"
    fake.fail_next(400, 21610, to=stopped, times=2)

    send(client)
    outcomes = []
    for _ in range(3):
        try:
            send(client, to=stopped)
            outcomes.append("sent")
        except TwilioRestException as error:
            outcomes.append(error.code)

    assert outcomes == [21610, 21610, "sent"]
    assert [m["to"] for m in fake.messages] == [TO, stopped]


def test_delay_makes_the_client_time_out(fake: FakeTwilio) -> None:
    """A slow answer raises requests' ReadTimeout, though the fake did accept the message."""
    client = make_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=0.3)
    fake.delay_next(1.0)

    with pytest.raises(requests.exceptions.ReadTimeout) as raised:
        send(client)

    assert isinstance(raised.value, requests.exceptions.Timeout)
    assert not isinstance(raised.value, TwilioRestException)
    assert len(fake.messages) == 1  # accepted: a blind retry would send it twice
    assert send(client).status == "queued"


def test_dropped_connection_is_connection_error(fake: FakeTwilio, client: Client) -> None:
    """Closing the socket without answering raises requests' ConnectionError."""
    fake.drop_connection_next()

    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        send(client)

    assert not isinstance(raised.value, requests.exceptions.Timeout)
    assert fake.messages == []
    assert fake.requests[0]["status"] is None
    assert send(client).status == "queued"


def test_server_down_is_connection_error(fake: FakeTwilio, client: Client) -> None:
    """After stop() the pooled connection is cut and a new one is refused."""
    send(client)
    fake.stop()

    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)


# bookkeeping ---------------------------------------------------------------------------------


def test_wait_for_sees_messages_from_other_threads(fake: FakeTwilio) -> None:
    """wait_for(n) returns once n messages arrived from concurrent senders."""

    def worker(i: int) -> None:
        client = make_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=5.0)
        send(client, body=f"m{i}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    messages = fake.wait_for(8, timeout=10.0)
    for thread in threads:
        thread.join()

    assert sorted(m["body"] for m in messages) == sorted(f"m{i}" for i in range(8))
    assert len({m["sid"] for m in messages}) == 8


def test_wait_for_times_out(fake: FakeTwilio, client: Client) -> None:
    """wait_for raises TimeoutError when too few messages arrive."""
    send(client)

    with pytest.raises(TimeoutError, match="1 of 2"):
        fake.wait_for(2, timeout=0.1)


def test_clear_forgets_everything(fake: FakeTwilio, client: Client) -> None:
    """clear() empties messages, requests and pending scripts."""
    send(client)
    fake.fail_next(500)
    fake.clear()

    assert (fake.messages, fake.requests) == ([], [])
    assert send(client).status == "queued"


def test_runs_as_a_separate_process() -> None:
    """The script prints its base URL first and serves the given account until killed."""
    sid, token = "AC" + "a1" * 16, "secret-token"
    script = Path(__file__).with_name("twilio_fake.py")
    command = [sys.executable, str(script), "--port", "0", "--latency-ms", "20"]
    command += ["--account-sid", sid, "--auth-token", token]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert process.stdout.readline().split() == [sid, token]
            client = make_client(sid, token, base_url, timeout=5.0)
            message = send(client)
            assert client.messages(message.sid).fetch().to == TO
        finally:
            process.terminate()
