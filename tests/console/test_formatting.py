"""Pure wording helpers of the console: alert events in words, ages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.console.alert_rows import describe
from tests.conftest import START


@pytest.mark.parametrize(("action", "who", "detail", "expected"), [
    ("created", None, "triage", "Alert raised"),
    ("notified", "Jordan Lee", "step0", "Texted Jordan Lee"),
    ("notified", "Sam Ortiz", "step2", "Texted Sam Ortiz (ladder step 2)"),
    ("resent", "Jordan Lee", "step1", "No answer yet: texted Jordan Lee again"),
    ("escalated", "Pat Kim", "step3", "No answer yet: escalated to Pat Kim (ladder step 3)"),
    ("skipped", None, "step2 on_call: nobody to text", "Ladder step skipped: nobody to text at "
     "that step"),
    ("told_acked", "Sam Ortiz", "acked", "Told Sam Ortiz that it is being handled"),
    ("acknowledged", "Jordan Lee", "sms:SM123", "Acknowledged by Jordan Lee by text"),
    ("acknowledged", "Jordan Lee", "console", "Acknowledged by Jordan Lee in the console"),
    ("resolved", "Pat Kim", "cli: called, safe", "Resolved by Pat Kim from the command line: "
     "“called, safe”"),
    ("follow_up", None, None, "They texted again"),
])
def test_describe(action, who, detail, expected):
    assert describe(action, who, detail) == expected


@pytest.mark.parametrize(("delta", "expected"), [
    (timedelta(seconds=20), "just now"), (timedelta(minutes=4), "4 min ago"),
    (timedelta(hours=3, minutes=10), "3 h 10 min ago"), (timedelta(hours=2), "2 h ago"),
    (timedelta(days=1, hours=2), "1 day ago"), (timedelta(days=5), "5 days ago"),
])
def test_ago(app, delta, expected):
    from bot.console.formatting import ago

    with app.app_context():
        assert ago(START - delta, START) == expected
