"""The program report for supervisors and admins: per week, with bar charts and a table."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from markupsafe import Markup

from bot import audit
from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.console.charts import Series, bar_chart
from bot.rules.timing import local_date
from bot.runtime import current
from bot.services.exports import ExportError, period
from bot.services.reports import Week, weekly_report

DEFAULT_WEEKS = 12
LEVELS = ("crisis", "urgent", "concern")


def _pct(v: float) -> str:
    return f"{v:.0%}"


def _minutes(v: float) -> str:
    if v == 0:
        return "0 min"
    return f"{v:.0f} min" if v >= 10 else f"{v:.1f} min"


def _charts(weeks: list[Week]) -> list[dict]:
    """The report's four charts: an id, a title and the SVG (its legend is inside)."""
    labels = [f"{w.starts:%b} {w.starts.day}" for w in weeks]
    specs = [
        ("rates", "Check-in response and group attendance, by week",
         [Series("Check-ins answered", [w.response_rate for w in weeks], "solid"),
          Series("Group attended", [w.attendance_rate for w in weeks], "hatch")],
         {"fmt": _pct, "max_value": 1.0, "axis": "% of asked / of marked"}),
        ("alerts", "Alerts raised by level, by week",
         [Series("Crisis", [w.alerts.get("crisis", 0) for w in weeks], "cross"),
          Series("Urgent", [w.alerts.get("urgent", 0) for w in weeks], "hatch"),
          Series("Concern", [w.alerts.get("concern", 0) for w in weeks], "dots")],
         {"axis": "alerts"}),
        ("ack", "Median time to acknowledge an alert, by week",
         [Series("Median minutes to ACK", [w.median_ack_minutes for w in weeks], "dots")],
         {"fmt": _minutes, "axis": "minutes"}),
        ("active", "Active participants, by week",
         [Series("Active participants", [w.active_participants for w in weeks], "solid")],
         {"axis": "participants"}),
    ]
    return [{"id": chart_id, "title": title,
             "svg": Markup(bar_chart(labels, series, title=title, chart_id=chart_id,
                                     **options))}
            for chart_id, title, series, options in specs]


@bp.get("/reports")
@role_required("supervisor", "admin")
def reports():
    """Per week: active participants, check-in response, attendance, alerts, median time to ACK."""
    staff = signed_in_staff()
    rt = current()
    today = local_date(rt.now(), ZoneInfo(rt.program.timezone))
    default_first = today - timedelta(days=today.weekday(), weeks=DEFAULT_WEEKS - 1)
    error = None
    try:
        first = date.fromisoformat(request.args.get("from") or default_first.isoformat())
        last = date.fromisoformat(request.args.get("to") or today.isoformat())
        p = period(rt.program, first, last)
    except ValueError as exc:
        error = (str(exc) if isinstance(exc, ExportError) else "Dates must be YYYY-MM-DD."
                 ).replace("--to", "“To”").replace("--from", "“From”")
        p = period(rt.program, default_first, today)
    with rt.Session() as s, s.begin():
        weeks = weekly_report(s, p)
        audit.record(s, "report.viewed", now=rt.now(), actor=staff.actor, staff_id=staff.id,
                     first=p.first.isoformat(), last=p.last.isoformat())
    html = render_template("console/reports.html", weeks=weeks, charts=_charts(weeks), p=p,
                           error=error, levels=LEVELS, pct=_pct, minutes=_minutes,
                           timezone=rt.program.timezone)
    return html, 400 if error else 200
