"""Browser tests: Playwright drives Debian's Chromium against the app served on loopback.

The server is one werkzeug server for the whole run; each test points it at its own app (and so
its own fresh database), through `live_server(app)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.console.conftest import PASSWORD, make_staff

CHROMIUM = "/usr/lib/chromium/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use the distribution's Chromium; Playwright never downloads a browser here."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's browser with "
                    "`apt-get install -y chromium` (.ci/run does this)", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


class _Dispatch:
    """A WSGI app that forwards to whichever app the current test installed."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app installed"]
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _served() -> Iterator[tuple[_Dispatch, str]]:
    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dispatch, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server(_served, app) -> Iterator[str]:
    """The base URL serving this test's app (e.g. http://127.0.0.1:43111)."""
    dispatch, url = _served
    dispatch.app = app
    yield url
    dispatch.app = None


@pytest.fixture
def shot() -> Callable:
    """shot(page, "alerts-queue"): save a full-page screenshot to tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def sign_in(live_server, db_session) -> Callable:
    """sign_in(page, role="counselor", **make_staff kwargs) -> the StaffAccount, signed in."""

    def go(page, role: str = "counselor", *, staff=None, **kw):
        account = staff or make_staff(db_session, role=role, **kw)
        page.goto(f"{live_server}/console/login")
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return account

    return go
