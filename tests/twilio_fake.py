"""A fake of Twilio's Messages API (2010-04-01) served over real HTTP on loopback.

Use it in-process (``with FakeTwilio() as fake:``) or as a separate process:

    python tests/twilio_fake.py --port 0 --account-sid AC... --auth-token ... [--latency-ms 50]

which prints its base URL on the first line (and ``<account_sid> <auth_token>`` on the second)
and serves until killed. Point the official library at it with
``bot.twilio_http.make_client(fake.account_sid, fake.auth_token, fake.base_url)``.
Only the standard library is imported, so the script runs from any interpreter.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API_VERSION = "2010-04-01"
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
_MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$")
_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)\.json$")
_NUMBERS_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\.json$")
_SERVICE_PATH = re.compile(r"^/v1/Services/([^/]+)$")
_ADDRESS = re.compile(r"^(?:[a-z]+:)?\+[1-9][0-9]{1,14}$")
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21614: "'To' number is not a valid mobile number",
    30001: "Queue overflow",
}
STATUS_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def error_body(status: int, code: int | None = None, message: str | None = None) -> dict:
    """Return Twilio's legacy error JSON; without a code it carries only message and status."""
    text = message or ERROR_MESSAGES.get(code or 0) or STATUS_MESSAGES.get(status, "Error")
    if code is None:
        return {"message": text, "status": status}
    return {
        "code": code,
        "message": text,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def count_segments(body: str) -> int:
    """Return how many SMS segments Twilio would bill for body (GSM-7 or UCS-2)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in body)
        return 1 if units <= 160 else -(-units // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def new_sid(prefix: str) -> str:
    """Return a Twilio-style SID: two-letter prefix and 32 hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass
class _Script:
    """One scripted behaviour for the next matching create request(s)."""

    kind: str  # "fail", "delay" or "drop"
    to: str | None
    times: int
    status: int = 0
    code: int | None = None
    message: str | None = None
    seconds: float = 0.0


@dataclass
class _Answer:
    """What the handler should send back."""

    status: int
    body: dict | None
    delay: float = 0.0
    drop: bool = False


class FakeTwilio:
    """Loopback HTTP server speaking Twilio's Messages API, with scripted failures."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Configure the fake; nothing listens until start() or entering the context."""
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.latency = latency_ms / 1000.0
        self._host, self._port = host, port
        self._clock = clock or (lambda: datetime.now(UTC))
        self._auth = "Basic " + base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()
        ).decode("ascii")
        self._lock = threading.Lock()
        self._accepted = threading.Condition(self._lock)
        self._messages: list[dict[str, Any]] = []
        self._by_sid: dict[str, dict[str, Any]] = {}
        self._requests: list[dict[str, Any]] = []
        self._scripts: list[_Script] = []
        # What `iopbot doctor` looks up: the account's numbers and Messaging Services.
        self.phone_numbers: set[str] = {"+15005550006"}
        self.messaging_services: set[str] = set()
        self._stall_until = 0.0  # time.monotonic() before which every request is held
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Bind the port and serve in a daemon thread."""
        if self._server is None:
            self._server = _Server((self._host, self._port), _Handler, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-twilio",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and cut kept-alive client connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    @property
    def base_url(self) -> str:
        """Return the URL to pass as base_url, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running; call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # inspection ------------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Return a copy of the accepted messages, oldest first."""
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Return a copy of every request received, rejected ones included, oldest first."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def clear(self) -> None:
        """Forget messages, requests and pending scripts."""
        with self._lock:
            self._messages.clear()
            self._by_sid.clear()
            self._requests.clear()
            self._scripts.clear()
            self.phone_numbers = {"+15005550006"}
            self.messaging_services = set()
            self._stall_until = 0.0

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least n messages were accepted; return them or raise TimeoutError."""
        with self._accepted:
            if not self._accepted.wait_for(lambda: len(self._messages) >= n, timeout):
                raise TimeoutError(f"{len(self._messages)} of {n} messages after {timeout}s")
            return [dict(m) for m in self._messages]

    # scripting -------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        code: int | None = None,
        *,
        to: str | None = None,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """Answer the next `times` creates (to `to`, if given) with Twilio's error JSON."""
        self._script(_Script("fail", to, times, status=status, code=code, message=message))

    def delay_next(self, seconds: float, *, to: str | None = None, times: int = 1) -> None:
        """Accept the next matching creates but answer only after `seconds`."""
        self._script(_Script("delay", to, times, seconds=seconds))

    def stall(self, seconds: float = float("inf")) -> None:
        """Be slow for `seconds` from now (default: until resume()): every request arriving
        meanwhile is held until then, and only then handled; a create is accepted then, even
        if the client gave up waiting, as Twilio would."""
        with self._lock:
            self._stall_until = time.monotonic() + seconds

    def resume(self) -> None:
        """End a stall now: held requests are handled."""
        with self._lock:
            self._stall_until = 0.0

    def wait_out_stall(self) -> None:
        """Hold the calling request until any stall is over (called by the server threads)."""
        while True:
            with self._lock:
                left = self._stall_until - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.01))

    def drop_connection_next(self, *, to: str | None = None, times: int = 1) -> None:
        """Close the socket without answering the next matching creates (nothing accepted)."""
        self._script(_Script("drop", to, times))

    def _script(self, script: _Script) -> None:
        if script.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._scripts.append(script)

    def _take_scripts(self, to: str | None) -> dict[str, _Script]:
        """Consume at most one matching script of each kind (caller holds the lock)."""
        taken: dict[str, _Script] = {}
        for script in self._scripts:
            if script.kind not in taken and script.to in (None, to):
                taken[script.kind] = script
                script.times -= 1
        if taken:
            self._scripts = [s for s in self._scripts if s.times > 0]
        return taken

    # request handling (called from server threads) -------------------------------------------

    def handle(self, method: str, target: str, headers: Any, form: dict[str, list[str]]) -> _Answer:
        """Decide the answer to one request and record it."""
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        record = {
            "method": method,
            "path": split.path,
            "query": {k: v[0] for k, v in query.items()},
            "form": {k: v[0] for k, v in form.items()},
            "status": None,
        }
        try:
            answer = self._route(method, split.path, query, headers.get("Authorization"), form)
        except ValueError as error:  # e.g. PageSize=abc
            answer = _Answer(400, error_body(400, 20001, f"Invalid parameter: {error}"))
        record["status"] = None if answer.drop else answer.status
        with self._lock:
            self._requests.append(record)
        if self.latency:
            answer.delay += self.latency
        return answer

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        authorization: str | None,
        form: dict[str, list[str]],
    ) -> _Answer:
        if authorization != self._auth:
            return _Answer(401, error_body(401, 20003))
        if method == "GET" and (answer := self._account_lookup(path, query)) is not None:
            return answer
        if match := _MESSAGES_PATH.match(path):
            if match.group(1) != self.account_sid:
                return _Answer(404, error_body(404, 20404))
            if method == "POST":
                return self._create(form)
            if method == "GET":
                return _Answer(200, self._list(path, query))
        elif match := _MESSAGE_PATH.match(path):
            if match.group(1) != self.account_sid:
                return _Answer(404, error_body(404, 20404))
            if method == "GET":
                with self._lock:
                    message = self._by_sid.get(match.group(2))
                if message is None:
                    return _Answer(404, error_body(404, 20404))
                return _Answer(200, self._resource(message))
        else:
            return _Answer(404, error_body(404, 20404))
        return _Answer(405, error_body(405, 20004, "Method not allowed"))

    def _account_lookup(self, path: str, query: dict[str, list[str]]) -> _Answer | None:
        """The account, its incoming numbers and its Messaging Services (None: another path)."""
        if match := _ACCOUNT_PATH.match(path):
            if match.group(1) != self.account_sid:
                return _Answer(404, error_body(404, 20404))
            return _Answer(200, {"sid": self.account_sid, "status": "active",
                                 "friendly_name": "fake", "type": "Full"})
        if match := _NUMBERS_PATH.match(path):
            wanted = (query.get("PhoneNumber") or [None])[0]
            found = sorted(n for n in self.phone_numbers if wanted in (None, n))
            return _Answer(200, {
                "incoming_phone_numbers": [
                    {"sid": "PN" + "0" * 32, "phone_number": n, "account_sid": self.account_sid}
                    for n in found
                ],
                "first_page_uri": path, "next_page_uri": None, "previous_page_uri": None,
                "page": 0, "page_size": 50, "start": 0, "end": max(len(found) - 1, 0), "uri": path,
            })
        if match := _SERVICE_PATH.match(path):
            if match.group(1) not in self.messaging_services:
                return _Answer(404, error_body(404, 20404))
            return _Answer(200, {"sid": match.group(1), "account_sid": self.account_sid,
                                 "friendly_name": "fake service"})
        return None

    def _create(self, form: dict[str, list[str]]) -> _Answer:
        def first(key: str) -> str | None:
            values = form.get(key)
            return values[0] if values else None

        to, from_, service = first("To"), first("From"), first("MessagingServiceSid")
        body, media = first("Body"), form.get("MediaUrl", [])
        with self._lock:
            scripts = self._take_scripts(to)
        delay = scripts["delay"].seconds if "delay" in scripts else 0.0
        if "drop" in scripts:
            return _Answer(0, None, delay=delay, drop=True)
        if fail := scripts.get("fail"):
            return _Answer(fail.status, error_body(fail.status, fail.code, fail.message), delay)
        if not to:
            return _Answer(400, error_body(400, 21604), delay)
        if not _ADDRESS.match(to):
            return _Answer(400, error_body(400, 21211, f"Invalid 'To' Phone Number: {to}"), delay)
        if not (from_ or service):
            return _Answer(400, error_body(400, 21603), delay)
        if not (body or media or first("ContentSid")):
            return _Answer(400, error_body(400, 21602), delay)
        now = self._clock()
        message = {
            "sid": new_sid("SM"),
            "to": to,
            "from_": from_,
            "body": body or "",
            "status_callback": first("StatusCallback"),
            "messaging_service_sid": service,
            "media_urls": list(media),
            # With only a Messaging Service Twilio answers "accepted" (sender not chosen yet).
            "status": "queued" if from_ else "accepted",
            "created_at": now,
        }
        with self._accepted:
            self._messages.append(message)
            self._by_sid[message["sid"]] = message
            self._accepted.notify_all()
        return _Answer(201, self._resource(message), delay)

    def _list(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        def first(key: str) -> str | None:
            values = query.get(key)
            return values[0] if values else None

        to, from_ = first("To"), first("From")
        filters = [
            (_date_filter(first("DateSent"), "eq")),
            (_date_filter(first("DateSent>"), "ge")),
            (_date_filter(first("DateSent<"), "le")),
        ]
        page_size = max(1, min(1000, int(first("PageSize") or 50)))
        page = max(0, int(first("Page") or 0))
        with self._lock:
            found = [
                m
                for m in reversed(self._messages)  # newest first, as Twilio lists them
                if (to is None or m["to"] == to)
                and (from_ is None or m["from_"] == from_)
                and all(f(m["created_at"]) for f in filters)
            ]
        chunk = found[page * page_size : (page + 1) * page_size]
        base = {k: v[0] for k, v in query.items() if k not in ("Page", "PageToken")}

        def uri(number: int) -> str:
            params = dict(base, PageSize=str(page_size), Page=str(number))
            return f"{path}?{urlencode(params)}"

        has_next = (page + 1) * page_size < len(found)
        return {
            "messages": [self._resource(m) for m in chunk],
            "end": page * page_size + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": page * page_size,
            "uri": uri(page),
        }

    def _resource(self, message: dict[str, Any]) -> dict[str, Any]:
        """Return the message as the API's JSON resource."""
        created = format_datetime(message["created_at"], usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message['sid']}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": message["body"],
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message["from_"],
            "messaging_service_sid": message["messaging_service_sid"],
            "num_media": str(len(message["media_urls"])),
            "num_segments": str(count_segments(message["body"])),
            "price": None,
            "price_unit": "USD",
            "sid": message["sid"],
            "status": message["status"],
            "subresource_uris": {
                "media": f"{uri}/Media.json",
                "feedback": f"{uri}/Feedback.json",
            },
            "to": message["to"],
            "uri": f"{uri}.json",
        }


def _date_filter(value: str | None, op: str) -> Callable[[datetime], bool]:
    """Return a DateSent predicate on created_at: YYYY-MM-DD compares days, else instants."""
    if not value:
        return lambda _: True
    value = value.lstrip("<>=")
    pivot: date | datetime
    if len(value) == 10 or op == "eq":  # DateSent=... names a day, even with a time attached
        pivot = date.fromisoformat(value[:10])

        def key(moment: datetime) -> date | datetime:
            return moment.astimezone(UTC).date()
    else:
        pivot = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if pivot.tzinfo is None:
            pivot = pivot.replace(tzinfo=UTC)

        def key(moment: datetime) -> date | datetime:
            return moment.replace(microsecond=0)

    if op == "ge":
        return lambda moment: key(moment) >= pivot
    if op == "le":
        return lambda moment: key(moment) <= pivot
    return lambda moment: key(moment) == pivot


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type, fake: FakeTwilio) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        """Shut down every open client connection so no handler keeps serving after stop."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._serve({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        self._serve(parse_qs(raw, keep_blank_values=True))

    def _serve(self, form: dict[str, list[str]]) -> None:
        self.server.fake.wait_out_stall()
        answer = self.server.fake.handle(self.command, self.path, self.headers, form)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload = json.dumps(answer.body).encode("utf-8")
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if answer.status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timed out) before we answered
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a log line per request would dominate benchmark time


def main(argv: list[str] | None = None) -> None:
    """Run the fake until killed, printing its base URL first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid")
    parser.add_argument("--auth-token")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.account_sid and not _ACCOUNT_SID.match(args.account_sid):
        parser.error("--account-sid must be AC followed by 32 hex digits")
    fake = FakeTwilio(
        args.account_sid,
        args.auth_token,
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
    )
    fake.start()
    print(fake.base_url, flush=True)
    print(fake.account_sid, fake.auth_token, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
