"""The check-in chart: an SVG built from day points, readable without colour or JavaScript."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from bot.charts import checkin_chart
from bot.queries.checkin_series import DayPoint

SVG = "{http://www.w3.org/2000/svg}"
DAY = date(2026, 11, 1)


def day(n: int, state="answered", craving=None, mood=None, used=None) -> DayPoint:
    return DayPoint(DAY + timedelta(days=n), state, craving, mood, used)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def points_of(root: ET.Element, cls: str) -> list[str]:
    return [el.get("points") for el in root.iter(f"{SVG}polyline") if el.get("class") == cls]


def tips(root: ET.Element, tag: str, cls: str) -> list[str]:
    return [el.find(f"{SVG}title").text for el in root.iter(f"{SVG}{tag}")
            if el.get("class") == cls]


def test_each_answer_is_a_marker_with_its_value_in_words():
    root = parse(checkin_chart([day(0, craving=2, mood=4), day(1, craving=9, mood=1)],
                               title="Urges and mood, last 2 days"))
    assert tips(root, "circle", "urge") == ["Nov 1: urges 2", "Nov 2: urges 9"]
    assert tips(root, "rect", "mood") == ["Nov 1: mood 4", "Nov 2: mood 1"]


def test_higher_urges_are_drawn_higher():
    root = parse(checkin_chart([day(0, craving=0), day(1, craving=10)], title="t"))
    low, high = (float(c.get("cy")) for c in root.iter(f"{SVG}circle"))
    assert high < low  # SVG y grows downwards


def test_a_line_never_bridges_a_missed_day():
    points = [day(0, craving=3), day(1, craving=4), day(2, "missed"), day(3, craving=6)]
    root = parse(checkin_chart(points, title="t"))
    runs = points_of(root, "urge-line")
    assert [len(r.split()) for r in runs] == [2, 1]


def test_missed_days_and_reported_use_have_their_own_shapes_not_just_colour():
    root = parse(checkin_chart([day(0, "missed"), day(1, craving=5, used=True), day(2, "none")],
                               title="t"))
    missed = [el for el in root.iter(f"{SVG}text") if el.get("class") == "missed"]
    assert [el.text for el in missed] == ["×"]
    assert tips(root, "path", "used") == ["Nov 2: reported use"]
    hatched = [el for el in root.iter(f"{SVG}rect") if el.get("class") == "missed-col"]
    assert len(hatched) == 1 and hatched[0].get("fill").startswith("url(#")
    assert points_of(root, "mood-line") == []  # no mood answered: no mood line at all


def test_title_and_description_summarise_for_a_screen_reader():
    points = [day(0, craving=2, mood=3), day(1, "missed"), day(2, craving=8, mood=5, used=True),
              day(3, "none")]
    root = parse(checkin_chart(points, title="Urges & mood, last 4 days", chart_id="c30"))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c30-t c30-d"
    assert root.find(f"{SVG}title").text == "Urges & mood, last 4 days"
    assert root.find(f"{SVG}desc").text == (
        "2 of 4 days answered, 1 missed; urges average 5.0 (lowest 2, highest 8, latest 8); "
        "mood average 4.0 of 5; use reported on 1 day.")


def test_titles_are_escaped():
    svg = checkin_chart([day(0)], title='<script>alert("x")</script>')
    assert "<script>" not in svg and parse(svg) is not None


@pytest.mark.parametrize("days", [1, 30, 90])
def test_day_labels_never_collide(days):
    root = parse(checkin_chart([day(n, craving=n % 11) for n in range(days)], title="t"))
    labels = [el for el in root.iter(f"{SVG}text")
              if el.get("class") == "tick" and re.match(r"[A-Z][a-z]{2} \d", el.text or "")]
    xs = sorted(float(el.get("x")) for el in labels)
    assert xs and all(b - a >= 60 for a, b in zip(xs, xs[1:], strict=False))
    last = DAY + timedelta(days=days - 1)
    assert labels[-1].text == f"{last:%b} {last.day}"


def test_an_empty_period_still_renders():
    root = parse(checkin_chart([day(n, "none") for n in range(30)], title="t"))
    assert root.find(f"{SVG}desc").text == "0 of 30 days answered, 0 missed."
