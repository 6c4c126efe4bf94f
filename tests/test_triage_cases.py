"""The labelled message set in tests/triage_cases/, case by case, and the scores over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.triage import load_rules, triage

CASES_DIR = Path(__file__).parent / "triage_cases"
LEVEL_FILES = ("crisis", "urgent", "concern", "routine")
_LABEL_KEYS = ("level", "craving", "used", "expect", "recent_cravings", "topic")


def load_cases(name: str) -> list[dict[str, Any]]:
    """Return the cases of one data file, each with its group's labels filled in."""
    data = yaml.safe_load((CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    cases = []
    for group in data["groups"]:
        defaults = {k: group[k] for k in _LABEL_KEYS if k in group}
        for entry in group["cases"]:
            case = dict(defaults, **(entry if isinstance(entry, dict) else {"text": entry}))
            case["text"] = str(case["text"])
            case["source"] = name
            cases.append(case)
    return cases


def _run(case: dict[str, Any]):
    return triage(
        case["text"],
        expect=case.get("expect"),
        recent_cravings=case.get("recent_cravings", ()),
        rules=load_rules(),
    )


def _params(names: tuple[str, ...]) -> list[Any]:
    # known_miss marks an honest label the rules still get wrong; it must keep failing
    # (strict) so that fixing it means removing the mark.
    known = pytest.mark.xfail(strict=True, reason="known miss, see the data file")
    return [
        pytest.param(
            case,
            id=f"{case['source']}:{case['text'][:40]}",
            marks=[known] if case.get("known_miss") else [],
        )
        for name in names
        for case in load_cases(name)
    ]


@pytest.mark.parametrize("case", _params(LEVEL_FILES))
def test_level(case: dict[str, Any]) -> None:
    result = _run(case)
    assert result.level == case["level"], result.reasons
    if "craving" in case:
        assert result.craving == case["craving"]
    if "used" in case:
        assert result.used is case["used"]


@pytest.mark.parametrize("case", _params(("craving",)))
def test_craving(case: dict[str, Any]) -> None:
    assert _run(case).craving == case["craving"]


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def test_scores_over_labelled_set() -> None:
    crisis = load_cases("crisis")
    urgent = load_cases("urgent")
    routine = load_cases("routine")
    craving = load_cases("craving") + [
        c for name in LEVEL_FILES for c in load_cases(name) if "craving" in c
    ]
    serious = {"urgent", "crisis"}

    crisis_recall = _rate(sum(_run(c).level == "crisis" for c in crisis), len(crisis))
    urgent_recall = _rate(sum(_run(c).level in serious for c in urgent), len(urgent))
    false_alarms = _rate(sum(_run(c).level in serious for c in routine), len(routine))
    craving_accuracy = _rate(sum(_run(c).craving == c["craving"] for c in craving), len(craving))

    print(
        f"\ncrisis recall {crisis_recall:.1%} ({len(crisis)} texts)"
        f"\nuse/urgent recall (urgent or crisis) {urgent_recall:.1%} ({len(urgent)} texts)"
        f"\nroutine false alarms (urgent or crisis) {false_alarms:.1%} ({len(routine)} texts)"
        f"\ncraving exact accuracy {craving_accuracy:.1%} ({len(craving)} texts)"
    )
    assert crisis_recall == 1.0
    assert urgent_recall >= 0.95
    assert false_alarms <= 0.03
    assert craving_accuracy >= 0.95


def test_labelled_set_is_broad() -> None:
    counts = {name: len(load_cases(name)) for name in (*LEVEL_FILES, "craving")}
    assert counts["crisis"] >= 120
    assert counts["urgent"] >= 120
    assert counts["routine"] >= 200
    assert counts["concern"] >= 60
    assert counts["craving"] >= 100
    spanish = [c for n in LEVEL_FILES for c in load_cases(n) if "Spanish" in c.get("topic", "")]
    assert len(spanish) >= 40
