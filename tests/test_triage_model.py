"""The learned triage layer: packaged weights, pure-Python inference, and how it combines."""

from __future__ import annotations

import dataclasses
import json
from importlib.resources import files
from pathlib import Path

import pytest

from bot.triage import load_rules, triage
from bot.triage.matching import prepare
from bot.triage.model import CLASSES, MODEL_FILE, features, load_model, model_from_dict
from bot.triage.rules import ModelSettings, rules_from_dict

CHECK = Path(__file__).parent / "triage_cases" / "model_check.json"


def _rules(**settings: object):
    return dataclasses.replace(load_rules(), model=ModelSettings(**settings))


def test_model_loads_once_and_is_small() -> None:
    model = load_model()
    assert model is load_model()
    assert model.classes == CLASSES
    assert 1000 < len(model.weights) <= 50_000
    assert all(len(w) == len(CLASSES) for w in model.weights.values())
    size = len(files("bot.triage").joinpath(MODEL_FILE).read_bytes())
    assert size < 3 * 1024 * 1024


def test_features_are_words_pairs_and_char_grams() -> None:
    got = features("i took 30 , pills")
    assert {"i", "took", "i took", "00", "pills", "#<to", "#ook>", "#<pil"} <= got
    assert "took 00" in got and "00 pills" not in got  # pairs stay inside a clause
    assert features("") == set()


def test_inference_is_deterministic() -> None:
    model = load_model()
    text = prepare("i just want everything to stop for good", load_rules()).model_text
    first = model.probabilities(text)
    assert first == model.probabilities(text)
    assert abs(sum(first.values()) - 1) < 1e-9


def test_pure_python_inference_matches_the_trainer() -> None:
    """The trainer (numpy) saved probabilities for a sample; the runtime must agree."""
    model = load_model()
    sample = json.loads(CHECK.read_text(encoding="utf-8"))
    assert len(sample) >= 100
    for item in sample:
        got = model.probabilities(item["model_text"])
        want = dict(zip(CLASSES, item["probabilities"], strict=True))
        for name in CLASSES:
            assert got[name] == pytest.approx(want[name], abs=1e-6), item["model_text"]


def test_packaged_config_enables_the_model() -> None:
    settings = load_rules().model
    assert settings.enabled
    assert 0 < settings.crisis_threshold <= 1 and 0 < settings.urgent_threshold <= 1


def test_model_can_only_raise_and_says_so() -> None:
    eager = _rules(enabled=True, crisis_threshold=1e-9, urgent_threshold=1.0)
    result = triage("went to group, all good", rules=eager)
    assert result.level == "crisis"
    assert result.reasons == ("model: crisis-like wording",)
    urgent = _rules(enabled=True, crisis_threshold=1.0, urgent_threshold=1e-9)
    assert triage("went to group, all good", rules=urgent).reasons == ("model: use-like wording",)
    # never lowers what the rules found, never adds its reason when it agrees
    result = triage(
        "i want to kill myself",
        rules=_rules(enabled=True, crisis_threshold=1.0, urgent_threshold=1.0),
    )
    assert result.level == "crisis"
    assert not any(r.startswith("model:") for r in result.reasons)


def test_model_keeps_craving_and_use_from_the_rules() -> None:
    eager = _rules(enabled=True, crisis_threshold=1e-9, urgent_threshold=1.0)
    plain = _rules()
    for text, expect in [("7", "craving"), ("used last night", None), ("didn't use", None)]:
        a, b = triage(text, expect=expect, rules=eager), triage(text, expect=expect, rules=plain)
        assert (a.craving, a.used) == (b.craving, b.used)


def test_switched_off_model_never_speaks() -> None:
    off = _rules(enabled=False, crisis_threshold=1e-9, urgent_threshold=1e-9)
    assert triage("went to group, all good", rules=off).level == "none"


@pytest.mark.parametrize(
    "text",
    [
        "this traffic is killing me",
        "I'd die for some pizza",
        "my phone died",
        "shot some hoops",
        "I'm killing it at work",
        "me tomé un café",
        "my back is killing me",
        "dead tired after my shift",
        "me muero de hambre",
    ],
)
def test_idioms_do_not_fire_with_the_model_on(text: str) -> None:
    assert triage(text).level == "none"


def test_model_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        rules_from_dict({"model": {"enabled": True, "crisis_threshold": 0}})
    with pytest.raises(ValueError):
        rules_from_dict({"model": {"enabled": True, "urgent_threshold": 1.5}})
    assert rules_from_dict({}).model == ModelSettings()  # absent: off


def test_model_file_format_is_checked() -> None:
    with pytest.raises(ValueError):
        model_from_dict({"format": 99, "classes": list(CLASSES)})


def test_screening_band_sits_between_two_thresholds() -> None:
    text = "went to group, all good"
    p = load_model().probabilities(prepare(text, load_rules()).model_text)["crisis"]
    inside = _rules(enabled=True, crisis_threshold=min(1.0, p + 1e-6), urgent_threshold=1.0,
                    screen_threshold=p / 2)
    result = triage(text, rules=inside)
    assert (result.level, result.screen) == ("concern", True)
    assert "model: possible crisis (screening question)" in result.reasons
    above = _rules(enabled=True, crisis_threshold=1.0, urgent_threshold=1.0,
                   screen_threshold=min(1.0, p + 1e-6))
    assert triage(text, rules=above).screen is False


def test_model_lowers_only_weak_rule_hits() -> None:
    lowering = _rules(enabled=True, crisis_threshold=1.0, urgent_threshold=1.0,
                      lower_threshold=0.999999)
    weak = triage("im dying inside this meeting", rules=lowering)  # a rule hit, not explicit
    assert weak.level == "concern"
    assert "lowered to concern: the model reads it as routine" in weak.reasons
    # a use report or a plan to use is never lowered by the model
    assert triage("im at the bar... the salad bar", rules=lowering).level == "urgent"
    assert triage("planning to drink after work", rules=lowering).level == "urgent"
    assert triage("i want to kill myself", rules=lowering).level == "crisis"  # explicit
    assert triage("10", expect="craving", rules=lowering).level == "urgent"  # a number
    # the packaged threshold keeps a plain use report urgent
    assert triage("used last night").level == "urgent"


def test_packaged_thresholds_are_ordered() -> None:
    settings = load_rules().model
    assert 0 < settings.lower_threshold < settings.screen_threshold < settings.crisis_threshold
    info = load_model().info
    assert info["calibration"]["temperature"] > 0
    assert "LogisticRegression" in info["classifier"]


def test_a_bad_lower_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="lower_threshold"):
        rules_from_dict({"model": {"enabled": True, "lower_threshold": 1.5}})
