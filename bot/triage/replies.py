"""Understand answers to the check-in questions: use, yes/no, mood, session confirmation."""

from __future__ import annotations

import re
from typing import TypeVar

from bot.triage.matching import Prepared, prepare, scan, scan_category
from bot.triage.numbers import craving_in, mood_number_in
from bot.triage.rules import TriageRules, load_rules

_FILLER = re.compile(
    r"^(?:(?:oh|um+|uh+|well|haha|lol|hmm+|pues|eh|ah|bueno|so|ok so|hey|hi|hola)\b\s*,?\s*)+"
)
_CONFIRM_ALONE = {"c": True, "y": True, "n": False}
T = TypeVar("T")


def _earliest(patterns: list[tuple[re.Pattern[str], T]], text: str) -> T | None:
    """Return the value of the pattern matching earliest (longest on a tie), or None."""
    best: tuple[int, int, T] | None = None
    for regex, value in patterns:
        m = regex.search(text)
        if m and (best is None or (m.start(), -len(m.group(0))) < best[:2]):
            best = (m.start(), -len(m.group(0)), value)
    return None if best is None else best[2]


def _first_words(prepared: Prepared) -> str:
    return _FILLER.sub("", prepared.variants[0]).lstrip(" ,")


def use_in(prepared: Prepared, rules: TriageRules, *, expect_use: bool) -> bool | None:
    """Return True (use reported), False (denied) or None for a prepared reply."""
    category = rules.category("reported_use")
    if category is not None:
        affirmed, negated = scan_category(category, prepared, rules)
        if affirmed:
            return True
        if negated:
            return False
    if scan(rules.phrases["use_denial"], prepared, rules)[0]:
        return False
    if expect_use:
        return yes_no_in(prepared, rules)
    return None


def yes_no_in(prepared: Prepared, rules: TriageRules) -> bool | None:
    """Return the yes/no answer that opens a prepared reply, or None."""
    text = _first_words(prepared)
    choices = [(rules.phrases["affirmative"], True), (rules.phrases["negative"], False)]
    best = None
    for regex, value in choices:
        m = regex.search(text)
        if m and m.start() == 0 and (best is None or len(m.group(0)) > best[0]):
            best = (len(m.group(0)), value)
    return None if best is None else best[1]


def parse_use(
    text: str, *, expect_use: bool = False, rules: TriageRules | None = None
) -> bool | None:
    """Return True if the reply reports use, False if it denies use, None if it says neither."""
    rules = rules or load_rules()
    return use_in(prepare(text, rules), rules, expect_use=expect_use)


def parse_craving(
    text: str, *, expect_craving: bool, rules: TriageRules | None = None
) -> int | None:
    """Return the craving rating 0-10 in the reply, or None; bare numbers need expect_craving."""
    rules = rules or load_rules()
    return craving_in(prepare(text, rules), rules, expect_craving=expect_craving)


def parse_yes_no(text: str, *, rules: TriageRules | None = None) -> bool | None:
    """Return True for yes, False for no, None when the reply does not open with either."""
    rules = rules or load_rules()
    return yes_no_in(prepare(text, rules), rules)


def mood_in(prepared: Prepared, rules: TriageRules, *, expect_mood: bool) -> int | None:
    """Return a mood 1-5 from words, emoji or (when expected) a bare number, or None."""
    if expect_mood:
        number = mood_number_in(prepared, rules)
        if number is not None:
            return number
    for variant in prepared.variants:
        found = _earliest([(regex, score) for score, regex in rules.mood.items()], variant)
        if found is not None:
            return found
    return None


def parse_mood(
    text: str, *, expect_mood: bool = False, rules: TriageRules | None = None
) -> int | None:
    """Return a mood 1 (worst) to 5 (best) from the reply, or None."""
    rules = rules or load_rules()
    return mood_in(prepare(text, rules), rules, expect_mood=expect_mood)


def confirmation_in(prepared: Prepared, rules: TriageRules) -> bool | None:
    """Return True if a prepared reply confirms a session, False if it declines, else None."""
    text = _first_words(prepared)
    if text in _CONFIRM_ALONE:
        return _CONFIRM_ALONE[text]
    choices = [(rules.phrases["decline"], False), (rules.phrases["confirm"], True)]
    return _earliest(choices, text)


def parse_confirmation(text: str, *, rules: TriageRules | None = None) -> bool | None:
    """Return True for "C"/"I'll be there", False for "N"/"can't make it", None otherwise."""
    rules = rules or load_rules()
    return confirmation_in(prepare(text, rules), rules)
