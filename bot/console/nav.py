"""The console's navigation, template globals and error pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, render_template, request, url_for

from bot.console import bp
from bot.console.auth import current_staff, needs_totp
from bot.runtime import current
from bot.services.oncall import on_call_now

# (label, endpoint, roles). A page whose module is not installed yet is simply not shown.
NAV = (
    ("Alerts", "console.alerts", ("counselor", "supervisor")),
    ("Participants", "console.participants", ("counselor", "supervisor")),
    ("Inbox", "console.inbox", ("counselor", "supervisor")),
    ("Calendar", "console.calendar", ("counselor", "supervisor")),
    ("Family", "console.family", ("counselor", "supervisor")),
    ("Counselors", "console.counselors", ("supervisor", "admin")),
    ("On call", "console.oncall", ("counselor", "supervisor", "admin")),
    ("Delivery", "console.delivery", ("supervisor", "admin")),
    ("Import", "console.imports", ("supervisor", "admin")),
    ("Exports", "console.exports", ("supervisor", "admin")),
    ("Reports", "console.reports", ("supervisor", "admin")),
    ("Audit", "console.audit", ("supervisor",)),
    ("Staff", "console.staff", ("admin",)),
)


@dataclass(frozen=True)
class NavItem:
    """One link in the top bar."""

    label: str
    url: str
    active: bool


def nav_items() -> list[NavItem]:
    """The links the signed-in person's role may use."""
    staff = current_staff()
    if staff is None or (not staff.totp_enrolled and needs_totp(staff)):
        return []  # first the sign-in code; every other page would send them back anyway
    items = []
    for label, endpoint, roles in NAV:
        if staff.role in roles and has_page(endpoint):
            url = url_for(endpoint)
            items.append(NavItem(label, url, request.path.startswith(url)))
    return items


def has_page(endpoint: str) -> bool:
    """True when a console page is installed (templates link to pages other modules add)."""
    return endpoint in current_app.view_functions


@bp.before_app_request
def _read_on_call() -> None:
    """Who is on call, read before a page's own transaction starts (SQLite has one writer)."""
    g.pop("on_call_names", None)
    if request.blueprint != "console" or request.endpoint == "console.static":
        return
    if current_staff() is None:
        return
    rt = current()
    with rt.Session() as s:
        g.on_call_names = [c.name for c in on_call_now(s, rt.program, rt.now())]


def on_call_names() -> list[str]:
    """Who is on call right now, by name, for the line under the top bar of every page."""
    return g.get("on_call_names", [])


@bp.context_processor
def _globals() -> dict:
    return {"current_staff": current_staff, "nav_items": nav_items, "has_page": has_page,
            "clinic_name": current().program.clinic_name, "on_call_names": on_call_names}


ERRORS = {
    400: ("Something was missing", "The form was incomplete or too old. Go back, reload the "
          "page and try again."),
    401: ("Please sign in", "You need to sign in to do that."),
    403: ("Not available to your role", "Your account's role does not include this page."),
    404: ("Not found", "There is nothing here, or it is not on your caseload."),
    429: ("Slow down", "Too many requests. Wait a minute and try again."),
}


def error_page(code: int):
    """The console's page for an HTTP error `code`."""
    title, message = ERRORS[code]
    return render_template("console/error.html", title=title, message=message), code


for _code in ERRORS:
    bp.register_error_handler(_code, lambda _e, c=_code: error_page(c))
