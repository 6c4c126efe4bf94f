"""parse_reply: one text read once, in what the sender was asked last (table-driven, no I/O)."""

from __future__ import annotations

import pytest

from bot.triage import load_rules
from bot.triage.reply import ReplyContext, parse_reply
from bot.triage.rules import rules_from_dict

RULES = load_rules()
NOTHING = ReplyContext()
CRAVING = ReplyContext(checkin_step="craving")
USE = ReplyContext(checkin_step="use")
MOOD = ReplyContext(checkin_step="mood")
REMINDED = ReplyContext(reminded=True)


@pytest.mark.parametrize(("text", "context", "expected"), [
    # the open check-in question decides what a bare answer means
    ("6", CRAVING, {"answer.value": 6, "answer.understood": True}),
    ("3, no use", CRAVING, {"answer.value": 3, "answer.also_used": False}),
    ("no", USE, {"answer.value": False}),
    ("yes", USE, {"answer.value": True, "answer.risk.level": "urgent"}),
    ("4", MOOD, {"answer.value": 4}),
    ("skip", MOOD, {"answer.value": None, "answer.understood": True}),
    ("purple", CRAVING, {"answer.understood": False}),
    ("6", NOTHING, {"answer": None, "risk.craving": None}),  # a bare number asked nothing
    ("can i get a ride to group?", CRAVING, {"other_message": True}),
    # a session reminder's C / N, only when one awaits
    ("C", REMINDED, {"confirmation": True}),
    ("can't make it", REMINDED, {"confirmation": False}),
    ("C", NOTHING, {"confirmation": None}),
    # keywords, pause, screening answers, risk
    ("STOP", NOTHING, {"keyword": "opt_out"}),
    ("help", NOTHING, {"keyword": "help"}),
    ("pause 3 days", NOTHING, {"pause.days": 3}),
    ("yes", ReplyContext(screening=True), {"yes_no": True}),
    ("I want to kill myself", CRAVING, {"crisis": True, "plain.level": "crisis"}),
    ("craving is like a 6", NOTHING, {"risk.craving": 6, "crisis": False}),
])
def test_parse_reply(text, context, expected):
    reply = parse_reply(text, RULES, context)
    for path, value in expected.items():
        found = reply
        for name in path.split("."):
            found = getattr(found, name)
        assert found == value, (text, path)


def test_the_weeks_cravings_raise_a_rise():
    calm = parse_reply("craving is like a 6", RULES, NOTHING)
    rising = parse_reply("craving is like a 6", RULES, ReplyContext(recent_cravings=(1, 2)))
    assert calm.risk.level == "none" and rising.risk.level == "concern"
    assert calm.plain == rising.plain  # the context-free reading ignores the history


def test_the_clinics_rules_are_the_ones_read():
    strict = rules_from_dict({**_packaged_data(), "thresholds": {"urgent_craving": 5}})
    assert parse_reply("6", strict, CRAVING).answer.risk.level == "urgent"
    assert parse_reply("6", RULES, CRAVING).answer.risk.level != "urgent"


def test_no_rules_is_an_error_not_the_packaged_ones():
    with pytest.raises(TypeError):
        parse_reply("6", None, CRAVING)


def _packaged_data() -> dict:
    from importlib.resources import files

    import yaml

    return yaml.safe_load(files("config").joinpath("triage.yaml").read_text("utf-8"))
