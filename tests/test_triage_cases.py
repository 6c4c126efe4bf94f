"""The labelled message sets in tests/triage_cases/, case by case, and the scores over them.

Three kinds of data file:
- the original set (crisis, urgent, concern, routine, craving): exact levels are checked;
- held-out batches (heldoutN_*.yaml), each written and labelled before triage was run on it,
  to measure how the rules generalise. They are checked against the quality targets:
  a crisis must be rated crisis (or, for a few, screened: the uncertain band), use/urgent
  urgent or crisis, routine never urgent or crisis (and rarely screened), concern at least
  concern;
- made-up variants of the classes a fresh batch missed (variantsN.yaml), checked the same way.

`python -m tests.test_triage_cases` prints the scores of every batch (`--rules-only` without
the learned layer, `--misses` to list misses, `--sealed` to add the sealed final batch).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.triage import load_rules, triage

CASES_DIR = Path(__file__).parent / "triage_cases"
LEVEL_FILES = ("crisis", "urgent", "concern", "routine")
HELDOUT_FILES = tuple(sorted(p.stem for p in CASES_DIR.glob("heldout*.yaml")))
# Made-up variants of the classes a fresh batch missed (variantsN.yaml): checked and scored
# like a held-out batch, but fitted on by construction (see the file's header).
VARIANT_FILES = tuple(sorted(p.stem for p in CASES_DIR.glob("variants*.yaml")))
_LABEL_KEYS = ("level", "craving", "used", "expect", "recent_cravings", "topic")
SERIOUS = frozenset({"urgent", "crisis"})
# What a held-out case's level may come out as and still meet the quality targets.
ACCEPTABLE = {
    "crisis": {"crisis"},
    "urgent": {"urgent", "crisis"},
    "concern": {"concern", "urgent", "crisis"},
    "none": {"none", "concern"},
}


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


def _run(case: dict[str, Any], rules=None):
    return triage(
        case["text"],
        expect=case.get("expect"),
        recent_cravings=case.get("recent_cravings", ()),
        rules=rules or load_rules(),
    )


def _params(names: tuple[str, ...]) -> list[Any]:
    # known_miss marks an honest label the rules still get wrong; it must keep failing
    # (strict) so that fixing it means removing the mark.
    known = pytest.mark.xfail(strict=True, reason="known miss, see the data file")
    return [
        pytest.param(
            case,
            id=f"{case['source']}:{case['text'][:40]}",
            # a crisis is never marked: the mark is dropped, so the test fails (a strict xfail
            # would turn the assertion below into a pass)
            marks=[known] if case.get("known_miss") and case.get("level") != "crisis" else [],
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


@pytest.mark.parametrize("case", _params(HELDOUT_FILES + VARIANT_FILES))
def test_heldout(case: dict[str, Any]) -> None:
    assert not (case.get("known_miss") and case.get("level") == "crisis"), "never xfail a crisis"
    result = _run(case)
    if "level" in case:
        # A crisis in the uncertain band is not paged at once but gets the resources and the
        # screening question; test_scores_per_batch bounds how many may end there (<= 5%).
        screened = case["level"] == "crisis" and result.screen
        assert result.level in ACCEPTABLE[case["level"]] or screened, (
            result.level,
            result.reasons,
        )
    if "craving" in case:
        assert result.craving == case["craving"]
    if "used" in case:
        assert result.used is case["used"]


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def scores(
    cases: list[dict[str, Any]], rules=None
) -> dict[str, tuple[float, int, list[str]]]:
    """Score cases by their labels: {metric: (rate, count, texts that missed)}."""
    buckets: dict[str, list[tuple[bool, str]]] = {
        "crisis recall": [],
        "crisis paged or screened": [],
        "use/urgent recall (urgent or crisis)": [],
        "routine false alarms (urgent or crisis)": [],
        "routine rated exactly none": [],
        "routine screened (asked the safety question)": [],
        "concern caught (concern or higher)": [],
        "craving exact accuracy": [],
    }
    for case in cases:
        result = _run(case, rules)
        screen = " screen" if result.screen else ""
        text = f"{case['text']!r} -> {result.level}{screen} {list(result.reasons)}"
        level = case.get("level")
        if level == "crisis":
            buckets["crisis recall"].append((result.level == "crisis", text))
            buckets["crisis paged or screened"].append(
                (result.level == "crisis" or result.screen, text)
            )
        elif level == "urgent":
            buckets["use/urgent recall (urgent or crisis)"].append((result.level in SERIOUS, text))
        elif level == "none" and "craving" not in case:
            # a false alarm is the miss here: store "ok" as not-serious
            buckets["routine false alarms (urgent or crisis)"].append(
                (result.level not in SERIOUS, text)
            )
            buckets["routine rated exactly none"].append((result.level == "none", text))
            # a miss here is a routine texter asked the safety question
            buckets["routine screened (asked the safety question)"].append(
                (not result.screen, text)
            )
        elif level == "concern":
            buckets["concern caught (concern or higher)"].append((result.level != "none", text))
        if "craving" in case:
            buckets["craving exact accuracy"].append(
                (result.craving == case["craving"], f"{text} craving={result.craving}")
            )
    out = {}
    for name, items in buckets.items():
        ok = sum(hit for hit, _ in items)
        rate = _rate(ok, len(items))
        if name.startswith(("routine false", "routine screened")):
            rate = (len(items) - ok) / len(items) if items else 0.0  # exact: 3/60 is 5%
        out[name] = (rate, len(items), [t for hit, t in items if not hit])
    return out


def _meets_targets(result: dict[str, tuple[float, int, list[str]]]) -> list[str]:
    """The issue-11 targets a batch must meet."""
    failures = []
    if result["crisis recall"][0] < 0.95:
        failures.append("crisis paged at once below 95%")
    if result["crisis paged or screened"][0] < 0.99:
        failures.append("crisis paged or screened below 99%")
    if result["use/urgent recall (urgent or crisis)"][0] < 0.95:
        failures.append("use/urgent recall below 95%")
    if result["concern caught (concern or higher)"][0] < 0.85:
        failures.append("concern caught below 85%")
    if result["routine false alarms (urgent or crisis)"][0] > 0.03:
        failures.append("routine false alarms above 3%")
    if result["craving exact accuracy"][0] < 0.98:
        failures.append("craving accuracy below 98%")
    # Asking a routine texter the safety question is a real cost (round 3's wider band).
    if result["routine screened (asked the safety question)"][0] > 0.05:
        failures.append("routine screened above 5%")
    return failures


SEALED = tuple(f"sealed/{p.stem}" for p in sorted((CASES_DIR / "sealed").glob("heldout*.yaml")))


def batches(sealed: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Return every batch of cases: the original set and each held-out batch.

    sealed adds the final batch kept out of every test and of training (see
    tests/triage_cases/sealed/README.md); only `main --sealed` asks for it.
    """
    out = {"original": [c for n in (*LEVEL_FILES, "craving") for c in load_cases(n)]}
    for name in HELDOUT_FILES + VARIANT_FILES + (SEALED if sealed else ()):
        out.setdefault(name.split("/")[-1].split("_", 1)[0], []).extend(load_cases(name))
    return out


# Fitted batches that do not meet every target yet, with exactly the targets they miss: the
# test fails when a batch misses another target too, and when it meets one listed here (then
# the entry shrinks). Round 5 (docs/triage.md) fitted batch 14 by retraining the model and by
# rules for its two crises only; its use, concern and look-alike misses are still open.
SHORT_OF_TARGETS = {
    "heldout14": {
        "use/urgent recall below 95%",
        "concern caught below 85%",
        "routine false alarms above 3%",
    },
}


@pytest.mark.parametrize("batch", sorted(batches()))
def test_scores_per_batch(batch: str) -> None:
    result = scores(batches()[batch])
    for name, (rate, count, _) in result.items():
        print(f"{batch}: {name} {rate:.1%} ({count} texts)")
    assert set(_meets_targets(result)) == SHORT_OF_TARGETS.get(batch, set())


def test_sealed_batches_stay_out_of_tests_and_training() -> None:
    # Only file names are listed here: a sealed batch's texts are never read before scoring.
    sealed = {p.stem.split("_", 1)[0] for p in (CASES_DIR / "sealed").glob("heldout*.yaml")}
    assert not sealed & set(batches()), "a sealed batch is read by the tests and the trainer"
    assert "heldout12" in batches(), "batch 12 was scored once and is now fitted"
    assert "heldout13" in batches(), "batch 13 was scored blind twice and is now fitted"
    assert "heldout14" in batches(), "batch 14 was scored blind twice and is now fitted"
    assert "heldout15" in batches(), "batch 15 was scored blind once and is now fitted"


def test_labelled_set_is_broad() -> None:
    counts = {name: len(load_cases(name)) for name in (*LEVEL_FILES, "craving")}
    assert counts["crisis"] >= 120
    assert counts["urgent"] >= 120
    assert counts["routine"] >= 200
    assert counts["concern"] >= 60
    assert counts["craving"] >= 100
    spanish = [c for n in LEVEL_FILES for c in load_cases(n) if "Spanish" in c.get("topic", "")]
    assert len(spanish) >= 40
    heldout = [c for n in HELDOUT_FILES for c in load_cases(n)]
    assert sum(c.get("level") == "crisis" for c in heldout) >= 150


def main(argv: list[str]) -> None:
    """Print scores per batch; --misses lists misses, --rules-only turns the model off."""
    show = "--misses" in argv
    rules = load_rules()
    if "--rules-only" in argv:
        rules = dataclasses.replace(rules, model=dataclasses.replace(rules.model, enabled=False))
    wanted = [a for a in argv if not a.startswith("--")]
    for batch, cases in batches(sealed="--sealed" in argv).items():
        if wanted and batch not in wanted:
            continue
        print(f"== {batch} ({len(cases)} texts)")
        result = scores(cases, rules)
        for name, (rate, count, misses) in result.items():
            print(f"  {name}: {rate:.1%} of {count}")
            if show:
                for text in misses:
                    print(f"      {text}")
        failures = _meets_targets(result)
        print("  targets:", "met" if not failures else "; ".join(failures))


if __name__ == "__main__":
    main(sys.argv[1:])
