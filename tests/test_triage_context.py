"""Issue 11: crisis by meaning, context that lowers weak hits, and the screening band."""

from __future__ import annotations

import dataclasses

import pytest

from bot.triage import load_rules, triage
from bot.triage.rules import ModelSettings

RULES_ONLY = dataclasses.replace(load_rules(), model=ModelSettings())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("won't be at group tomorrow. or ever", "goodbye or finality"),
        ("by the time you read this it will be done", "goodbye or finality"),
        ("standing at the edge of the platform, waiting", "means or place described"),
        ("gonna drive the truck into the canal on the way home", "means or place described"),
        ("took my whole month's script", "took a whole supply"),
        ("my toddler swallowed one of my suboxone strips", "child may have swallowed medicine"),
        ("seeing bugs on the walls, no drink since monday", "severe withdrawal"),
        ("I'm stabbing him if he shows up", "intent to harm someone"),
        ("the urge to die is the problem", "urge to die"),
        ("if i dont wake up tomorrow thats fine by me", "wish not to be alive"),
    ],
)
def test_crisis_without_crisis_words_is_paged_by_the_rules(text: str, reason: str) -> None:
    result = triage(text, rules=RULES_ONLY)
    assert result.level == "crisis"
    assert reason in result.reasons
    assert result.screen is False


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("A year ago I wanted to die. Today I got my coin", "told as past, recovered"),
        ("Another overdose at the high school, so sad", "about someone else or the news"),
        ("My brother is still drinking and it worries me", "about someone else's use"),
        ("can I take ibuprofen with my suboxone", "a question about medicine"),
        ("im dying inside this zoom is so boring 😂", "said as a joke or idiom"),
    ],
)
def test_context_lowers_a_weak_hit_to_concern_never_to_none(text: str, context: str) -> None:
    result = triage(text, rules=RULES_ONLY)
    assert result.level == "concern"
    assert f"lowered to concern: {context}" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "a year ago i relapsed and today i want to die",  # explicit, present
        "lol i want to kill myself",  # a joke marker never lowers explicit words
        "took like 20 pills lol",  # a whole supply taken is explicit
        "can i take all my pills at once, i want to die",
        "my friend overdosed on the news channel's parking lot and he is not breathing",
    ],
)
def test_explicit_crisis_language_is_never_lowered(text: str) -> None:
    assert triage(text, rules=RULES_ONLY).level == "crisis"


def test_a_use_report_is_not_lowered_by_a_medicine_question() -> None:
    result = triage("I used heroin sunday, can I still take my suboxone?", rules=RULES_ONLY)
    assert result.level == "urgent"


@pytest.mark.parametrize(
    "text",
    ["my papers are all in order now", "I'm tired of all of it", "ya no me importa lo que me pase"],
)
def test_weak_crisis_signals_are_screened_at_concern(text: str) -> None:
    result = triage(text, rules=RULES_ONLY)
    assert (result.level, result.screen) == ("concern", True)


def test_a_hedge_lowers_crisis_wording_and_screens() -> None:
    result = triage("sometimes i think everyone would be better off without me", rules=RULES_ONLY)
    assert (result.level, result.screen) == ("concern", True)


@pytest.mark.parametrize(
    ("text", "craving"),
    [
        ("sevenish", 7),
        ("nine-ish", 9),
        ("5, no, 6", 6),
        ("ocho... no, nueve", 9),
        ("11", 10),
        ("eleven", 10),
        ("off the charts", 10),
        ("not a bit", 0),
        ("Number three.", 3),
        ("room number 3", None),
        ("at 11", None),
    ],
)
def test_craving_numbers(text: str, craving: int | None) -> None:
    assert triage(text, expect="craving", rules=RULES_ONLY).craving == craving


def test_over_the_top_craving_is_urgent() -> None:
    assert triage("off the charts", expect="craving").level == "urgent"


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("dreamt I relapsed and it felt so real", True),
        ("had a nightmare that i drank again, woke up shaking", True),
        ("I relapsed last night", False),
        ("i drank again last night", False),
    ],
)
def test_a_dream_of_using_is_concern_not_a_use_report(text: str, lowered: bool) -> None:
    # Round 5: a using dream is a concern cue (a counselor sees it), never an urgent use alert.
    result = triage(text, rules=RULES_ONLY)
    if lowered:
        assert result.level == "concern", result.reasons
    else:
        assert result.level == "urgent", result.reasons


def test_a_use_report_inside_a_dream_is_lowered_by_the_dream_context() -> None:
    result = triage("had a nightmare that i drank again, woke up shaking", rules=RULES_ONLY)
    assert result.used is True
    assert result.level == "concern"
    assert "lowered to concern: a dream about using" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Je vais en finir avec ce dossier ce soir, promis",
        "vou morrer de fome, cadê o almoço",
        "не можу жити без кави",
        "finished life skills class today",
        "aaj raat sab kaam khatam kar dunga, phir so jaunga",
    ],
)
def test_round5_language_rules_leave_everyday_readings_alone(text: str) -> None:
    # The same verbs about a file, hunger, coffee, a class or work are not crisis wording.
    assert triage(text, rules=RULES_ONLY).level == "none"
