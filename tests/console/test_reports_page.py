"""The program report page: weekly figures as inline SVG bar charts and a table."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.console.charts import Series, bar_chart
from bot.models import Alert, AuditEvent
from bot.models.schedule import Attendance, TherapySession
from tests.factories import make_counselor, make_participant
from tests.test_family_support import add_checkin

TOTP = "JBSWY3DPEHPK3PXP"
SVG = "{http://www.w3.org/2000/svg}"
PERIOD = "from=2026-11-02&to=2026-11-15"  # the weeks of Mon 2 and Mon 9 November


def at(day: int, hour: int = 15) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def clinic(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    alex = make_participant(db_session, counselor=jordan, enrolled_at=at(1))
    bo = make_participant(db_session, counselor=jordan, enrolled_at=at(1), status="discharged",
                          discharged_at=at(6))
    make_participant(db_session, counselor=jordan, enrolled_at=at(10))  # from week two
    for day, answered in ((2, True), (3, True), (4, False), (5, True), (10, False)):
        add_checkin(db_session, alex.id, at(day, 22), answered=answered)
    group_session = TherapySession(starts_at=at(11, 23), ends_at=at(12, 1))
    db_session.add(group_session)
    db_session.flush()
    db_session.add_all([
        Attendance(session_id=group_session.id, participant_id=alex.id, present=True,
                   marked_at=at(12), marked_by="staff:cli"),
        Attendance(session_id=group_session.id, participant_id=bo.id, present=False,
                   marked_at=at(12), marked_by="staff:cli")])
    for key, level, minutes in (("a", "crisis", 3), ("b", "urgent", 9), ("c", "urgent", None),
                                ("d", "concern", 30)):
        db_session.add(Alert(
            dedupe_key=key, participant_id=alex.id, counselor_id=jordan.id, level=level,
            kind="triage", reasons=[], state="acknowledged" if minutes else "open",
            created_at=at(3), acknowledged_at=at(3) + timedelta(minutes=minutes)
            if minutes else None))
    db_session.flush()
    return alex


@pytest.fixture
def boss(console_client):
    return console_client(role="supervisor", totp_secret=TOTP)


def cells(page: str) -> list[list[str]]:
    """The report table's body rows, as the text of each cell."""
    body = page.split('<table class="list report">', 1)[1].split("<tbody>", 1)[1]
    body = body.split("</tbody>", 1)[0]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_weekly_figures_in_the_table(boss, clinic, db_session):
    response = boss.get(f"/console/reports?{PERIOD}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert cells(page) == [
        ["2026-11-02", "2", "75% (3 of 4)", "–", "1", "2", "1", "9.0 min"],
        ["2026-11-09", "2", "0% (0 of 1)", "50% (1 of 2)", "0", "0", "0", "–"],
    ]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "report.viewed"))
    assert event.staff_id == boss.staff.id
    assert event.detail == {"first": "2026-11-02", "last": "2026-11-15"}


def test_four_charts_readable_without_colour_and_without_script(boss, clinic):
    response = boss.get(f"/console/reports?{PERIOD}")
    page = response.get_data(as_text=True)
    assert "<script" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 4
    titles = [ET.fromstring(svg).find(f"{SVG}title").text for svg in svgs]
    assert titles == ["Check-in response and group attendance, by week",
                      "Alerts raised by level, by week",
                      "Median time to acknowledge an alert, by week",
                      "Active participants, by week"]
    alerts = ET.fromstring(svgs[1])
    # Each level has its own pattern, named in the picture's legend, and bars carry numbers.
    fills = {bar.get("fill") for bar in alerts.iter(f"{SVG}rect")
             if (bar.get("class") or "").startswith("bar")}
    assert fills == {"url(#alerts-cross)", "url(#alerts-hatch)", "url(#alerts-dots)"}
    texts = [t.text for t in alerts.iter(f"{SVG}text")]
    assert {"Crisis", "Urgent", "Concern"} <= set(texts)
    tips = [t.text for t in alerts.iter(f"{SVG}title")]
    assert "Nov 2: Urgent 2" in tips and "Nov 9: Crisis 0" in tips
    rates = ET.fromstring(svgs[0])
    assert "75%" in [t.text for t in rates.iter(f"{SVG}text")]
    assert "Nov 2: Group attended no data" in [t.text for t in rates.iter(f"{SVG}title")]
    assert "Check-ins answered: latest 0%" in rates.find(f"{SVG}desc").text


def test_default_period_is_twelve_weeks_and_bad_dates_are_explained(boss, clinic):
    page = boss.get("/console/reports").get_data(as_text=True)
    rows = cells(html.unescape(page))
    assert len(rows) == 12 and rows[-1][0] == "2026-11-23" and rows[0][0] == "2026-09-07"
    bad = boss.get("/console/reports?from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 400
    assert "“To” must not be before “From”" in html.unescape(bad.get_data(as_text=True))


def test_roles(console_client):
    assert console_client(role="counselor").get("/console/reports").status_code == 403
    admin = console_client(role="admin", totp_secret=TOTP)
    assert admin.get("/console/reports").status_code == 200


def test_bar_chart_marks_missing_values_and_scales_to_round_numbers():
    svg = bar_chart(["Nov 2", "Nov 9"], [Series("Active", [7, None], "solid")],
                    title="Active", chart_id="t")
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar s0"]
    assert len(bars) == 1
    assert float(bars[0].get("height")) == pytest.approx(170 * 7 / 10)  # axis up to 10
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "nodata"] == ["–"]
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[:3] == ["0", "5", "10"]
    one = ET.fromstring(bar_chart(["a"], [Series("A", [1])], title="One", chart_id="o"))
    assert [t.text for t in one.iter(f"{SVG}text") if t.get("class") == "tick"][:3] == [
        "0", "1", "2"]  # never "0.5"


def test_many_weeks_keep_numbers_in_tooltips_only():
    labels = [f"W{i}" for i in range(53)]
    svg = bar_chart(labels, [Series("A", [1] * 53), Series("B", [2] * 53, "hatch")],
                    title="Year", chart_id="y")
    root = ET.fromstring(svg)
    assert not [t for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert len([t for t in root.iter(f"{SVG}title")]) == 1 + 106
    shown = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("W")]
    assert 8 <= len(shown) <= 14  # the week labels thin out instead of overlapping


def test_first_week_of_a_period_counts_only_its_own_days(boss, db_session):
    person = make_participant(db_session, enrolled_at=at(1))
    add_checkin(db_session, person.id, datetime(2026, 11, 2, 22, tzinfo=UTC), answered=True)
    add_checkin(db_session, person.id, datetime(2026, 11, 4, 22, tzinfo=UTC), answered=False)
    page = html.unescape(boss.get("/console/reports?from=2026-11-04&to=2026-11-04").get_data(
        as_text=True))
    assert cells(page)[0][:3] == ["2026-11-02", "1", "0% (0 of 1)"]
    assert date(2026, 11, 2).weekday() == 0
