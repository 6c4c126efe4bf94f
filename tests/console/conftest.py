"""Console fixtures: staff accounts, and a Flask test client already signed in.

    def test_queue(console_client, db_session):
        client = console_client(role="counselor")      # signed in; client.staff is the account
        client.get("/console/alerts")
        client.post_form("/console/alerts/1/ack")        # adds the CSRF token for you
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from bot.console.auth import SESSION_KEY
from bot.console.passwords import hash_password
from bot.models import Counselor, StaffAccount
from bot.services import staff_auth
from tests.factories import make_counselor

PASSWORD = "correct horse battery"  # 21 characters, not on the common list
CSRF_RAW = "test-csrf-raw-token-0123456789abcdef"


def make_staff(
    session: Session, *, role: str = "counselor", counselor: Counselor | None = None,
    email: str | None = None, name: str | None = None, password: str | None = PASSWORD,
    totp_secret: str | None = None, active: bool = True, now=None,
) -> StaffAccount:
    """A staff account; a counselor account gets (or is tied to) a counselor row."""
    from tests.conftest import START

    if role == "counselor" and counselor is None:
        counselor = make_counselor(session, name=name or "Jordan Lee")
    account = StaffAccount(
        email=email or f"{role}{make_staff.counter}@clinic.example",
        name=name or (counselor.name if counselor else role.title()),
        role=role, counselor_id=counselor.id if counselor else None,
        password_hash=hash_password(password) if password else None,
        totp_secret=totp_secret, active=active, failed_attempts=0, generation=1,
        created_at=now or START, password_changed_at=now or START,
    )
    make_staff.counter += 1
    session.add(account)
    session.flush()
    return account


make_staff.counter = 1


@pytest.fixture
def staff_factory(db_session) -> Callable[..., StaffAccount]:
    """make_staff bound to the test's session: staff_factory(role="supervisor")."""
    return lambda **kw: make_staff(db_session, **kw)


class ConsoleClient(FlaskClient):
    """A test client signed in as `staff`, with the CSRF token its forms carry."""

    staff: StaffAccount
    csrf_token: str

    def post_form(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with the CSRF token added."""
        return self.post(path, data={"csrf_token": self.csrf_token, **(data or {})}, **kwargs)


def sign_in_client(app, runtime, db_session: Session, staff: StaffAccount) -> ConsoleClient:
    """A new client with a live, verified server-side session for `staff`."""
    from bot.console.security import shared_secret_key

    app.test_client_class = ConsoleClient
    client: ConsoleClient = app.test_client()
    with app.app_context():
        if not app.secret_key:
            app.secret_key = shared_secret_key()
    token = staff_auth.start_session(db_session, staff, address="127.0.0.1", now=runtime.now(),
                                     verified=True)
    db_session.flush()
    with client.session_transaction("/console/") as flask_session:
        flask_session[SESSION_KEY] = token
        flask_session["csrf_token"] = CSRF_RAW
    client.staff = staff
    client.csrf_token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(
        CSRF_RAW)
    return client


@pytest.fixture
def console_client(app, runtime, db_session) -> Callable[..., ConsoleClient]:
    """console_client(role=..., counselor=..., staff=...) -> a signed-in ConsoleClient."""

    def build(role: str = "counselor", *, staff: StaffAccount | None = None,
              **kw) -> ConsoleClient:
        account = staff or make_staff(db_session, role=role, **kw)
        return sign_in_client(app, runtime, db_session, account)

    return build


def form_token(html: str) -> str:
    """The csrf_token hidden field of a rendered page."""
    marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def new_anon_client(app) -> ConsoleClient:
    """A signed-out client that has loaded the login page (so it holds a CSRF token)."""
    app.test_client_class = ConsoleClient
    client: ConsoleClient = app.test_client()
    client.csrf_token = form_token(client.get("/console/login").get_data(as_text=True))
    return client


@pytest.fixture
def anon_client(app) -> ConsoleClient:
    """A signed-out client holding the login page's CSRF token."""
    return new_anon_client(app)


def make_alert(
    session: Session, participant, *, level: str = "crisis", text: str | None = None,
    state: str = "open", counselor_id: int | None = None, created_at=None, reasons=None,
    notified: list[Counselor] = (),
):
    """An alert about `participant` (assigned to their counselor), with the text that raised it
    and an AlertEvent for each counselor it was texted to."""
    from bot.models import Alert, AlertEvent, MessageLog
    from tests.conftest import START

    when = created_at or START
    log_id = None
    if text is not None:
        log = MessageLog(direction="in", phone=participant.phone, party="participant",
                         participant_id=participant.id, body=text, state="received",
                         created_at=when)
        session.add(log)
        session.flush()
        log_id = log.id
    alert = Alert(
        dedupe_key=f"test:{participant.id}:{make_alert.counter}", participant_id=participant.id,
        counselor_id=counselor_id if counselor_id is not None else participant.counselor_id,
        level=level, kind="triage", reasons=list(reasons or ["self-harm language"]),
        summary="needs a look", message_log_id=log_id, state=state, step=0,
        created_at=when,
    )
    make_alert.counter += 1
    session.add(alert)
    session.flush()
    for c in notified:
        session.add(AlertEvent(alert_id=alert.id, at=when, action="notified", counselor_id=c.id))
    session.flush()
    return alert


make_alert.counter = 1
