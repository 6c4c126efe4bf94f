"""The triage prefilter (bot/triage/literals.py) never changes an answer.

Each risk category runs only the phrases whose required strings occur in a text; these tests
compare that fast path with a plain reading (the same rules with every prefilter taken away,
so each category's whole alternation runs on every text), over every labelled text, over
random edits of them, and phrase by phrase over texts generated from the phrases themselves.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.triage import load_rules, looks_like_other_message, triage
from bot.triage.literals import Prefilter, prefilter, required
from bot.triage.rules import rules_from_dict
from tests.test_triage_cases import CASES_DIR, load_cases

RULES = load_rules()


def plain(rules):
    """The same rules read the straightforward way: no prefilter anywhere."""
    return dataclasses.replace(
        rules,
        risk=tuple(dataclasses.replace(c, prefilter=None) for c in rules.risk),
        idiom_filter=None,
    )


PLAIN = plain(RULES)
CASES = [case for path in sorted(CASES_DIR.glob("*.yaml")) for case in load_cases(path.stem)]
TEXTS = [case["text"] for case in CASES]


def same(text: str, expect: str | None = None, recent: tuple[int, ...] = ()) -> None:
    fast = triage(text, expect=expect, recent_cravings=recent, rules=RULES)
    slow = triage(text, expect=expect, recent_cravings=recent, rules=PLAIN)
    assert fast == slow, text
    assert looks_like_other_message(text, rules=RULES) == looks_like_other_message(
        text, rules=PLAIN
    ), text


def test_every_category_and_the_idioms_have_a_prefilter():
    # Otherwise the tests below compare the plain reading with itself.
    assert all(isinstance(c.prefilter, Prefilter) for c in RULES.risk)
    assert RULES.idiom_filter is not None


def test_every_labelled_text_triages_the_same():
    differ = []
    for case in CASES:
        for expect in dict.fromkeys((case.get("expect"), None)):
            recent = tuple(case.get("recent_cravings", ()))
            fast = triage(case["text"], expect=expect, recent_cravings=recent, rules=RULES)
            slow = triage(case["text"], expect=expect, recent_cravings=recent, rules=PLAIN)
            if fast != slow:
                differ.append((case["text"], expect, fast, slow))
    assert len(CASES) > 4000
    assert differ == []


def test_every_category_answers_the_same_on_every_labelled_text():
    from bot.triage.matching import prepare, scan_category

    for text in TEXTS:
        prepared = prepare(text, RULES)
        assert prepared == prepare(text, PLAIN), text
        for fast, slow in zip(RULES.risk, PLAIN.risk, strict=True):
            assert scan_category(fast, prepared, RULES) == scan_category(slow, prepared, PLAIN), (
                fast.name,
                text,
            )


_EDIT = st.sampled_from(["insert", "delete", "swap", "join", "upper", "punct", "double"])


@st.composite
def edited(draw) -> str:
    """A labelled text after a few random edits: letters in and out, words swapped, texts
    joined, case and punctuation changed."""
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(_EDIT)
        at = draw(st.integers(0, len(text)))
        if edit == "insert":
            typed = draw(st.text("abcdeilmnorstuy ',.!?é0123456789", max_size=4))
            text = text[:at] + typed + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 4)) :]
        elif edit == "swap":
            words = text.split()
            if len(words) > 1:
                i = draw(st.integers(0, len(words) - 2))
                words[i], words[i + 1] = words[i + 1], words[i]
                text = " ".join(words)
        elif edit == "join":
            text = (
                text[:at]
                + draw(st.sampled_from([" ", ". ", ", but "]))
                + draw(st.sampled_from(TEXTS))
            )
        elif edit == "upper":
            text = text.upper()
        elif edit == "punct":
            text = text[:at] + draw(st.sampled_from(list(".,!?;:-'\"()"))) + text[at:]
        else:  # a letter typed three times, as in "soooo"
            if at < len(text):
                text = text[:at] + text[at] * 3 + text[at + 1 :]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited(), st.sampled_from([None, "craving", "use", "mood"]))
def test_edited_texts_triage_the_same(text, expect):
    same(text, expect)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aeioudgiklmnrst yw'.,!?🍺😔")), max_size=60))
def test_random_texts_triage_the_same(text):
    same(text)


_PHRASES = [(category.name, i) for category in RULES.risk for i in range(len(category.patterns))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PHRASES), st.data())
def test_a_text_any_phrase_matches_gets_through_the_prefilter(phrase, data):
    name, i = phrase
    category = RULES.category(name)
    source = category.prefilter._sources[i]
    text = data.draw(st.from_regex(source), label="text")
    assume(category.regex.search(text))
    assert category.prefilter.search(text), (name, category.patterns[i], text)


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        ("i want to die", {"i want to die"}),
        ("(i|we) (are|were) done", {"i are done", "i were done", "we are done", "we were done"}),
        (
            "kill(ing)? my ?self",
            {"kill myself", "kill my self", "killing myself", "killing my self"},
        ),
        ("(?<!\\d )(?<!\\d)kms", {"kms"}),
        ("su[i1!]?cide", {"sucide", "suicide", "su1cide", "su!cide"}),
        ("(drink|use) (\\w+ ){0,3}(until|till) i die", {"until i die", "till i die"}),
        ("(?:pills?|meds) (?=tonight)", {"pill ", "pills ", "meds "}),
        ("a\\.b\\+", {"a.b+"}),
        ("(?:){0,100000000}die", {"die"}),  # an empty part repeated is still empty
        ("(x|y){2}z", {"xxz", "xyz", "yxz", "yyz"}),
    ],
)
def test_required_strings(pattern, needs):
    assert required(pattern) == needs


@pytest.mark.parametrize(
    "pattern",
    [
        "(a)\\1",  # a backreference
        "(?P<x>a)(?P=x)",
        "(?i:die)",  # a flag changes what the strings mean
        "\\w+",  # nothing plain is required
        "\\d{3}\\W\\d{3}",
        "(die|\\w+)",  # one branch requires nothing
        "x?",
        "a{,}",
        "(unclosed",
        "a)|(b",  # would break out of the word wrapper
        "[^abc]",
        "\\x41",
    ],
)
def test_patterns_the_reader_cannot_vouch_for_require_nothing(pattern):
    assert required(pattern) is None


def test_one_unreadable_phrase_sends_every_text_to_the_whole_alternation():
    assert prefilter([("(?:die)", frozenset({"die"})), ("(?:\\w+ing)", None)]) is None


def _with_extra_pattern(pattern: str):
    data = yaml.safe_load((CASES_DIR.parents[1] / "config" / "triage.yaml").read_text("utf-8"))
    data["risk"]["suicidal"]["en"].append(pattern)
    return rules_from_dict(data, "<test>")


def test_a_clinic_phrase_goes_through_the_prefilter():
    rules = _with_extra_pattern("zorbled (the|my) frobnicator")
    suicidal = rules.category("suicidal")
    assert suicidal.prefilter is not None
    assert suicidal.prefilter.search("i just zorbled my frobnicator")
    result = triage("i just zorbled my frobnicator", rules=rules)
    assert result == triage("i just zorbled my frobnicator", rules=plain(rules))
    assert result.level == "crisis"


def test_a_clinic_phrase_the_reader_cannot_read_still_matches():
    rules = _with_extra_pattern("\\d{3}\\W\\d{3}")
    assert rules.category("suicidal").prefilter is None
    reason = rules.category("suicidal").reason
    assert reason in triage("call 555-123", rules=rules).reasons
    assert reason not in triage("call 555-123", rules=RULES).reasons
