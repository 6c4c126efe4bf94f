"""Decide how worried to be about a reply: crisis, urgent, concern or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.triage.matching import Prepared, prepare, scan, scan_category
from bot.triage.model import load_model
from bot.triage.numbers import craving_in
from bot.triage.replies import mood_in, use_in
from bot.triage.rules import LEVELS, TriageRules, load_rules

EXPECTS = (None, "craving", "use", "mood", "confirmation")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Triage:
    """The outcome for one message: its risk level, what was read from it, and why."""

    text: str
    level: str
    craving: int | None
    used: bool | None
    reasons: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """Return the fixed JSON shape: text, level, craving, used, reasons (a list)."""
        return {
            "text": self.text,
            "level": self.level,
            "craving": self.craving,
            "used": self.used,
            "reasons": list(self.reasons),
        }


def _risk_hits(prepared: Prepared, rules: TriageRules) -> list[tuple[str, str]]:
    hits = []
    for category in rules.risk:
        if category.name == "reported_use":
            continue  # decided by use_in, which also understands "yes" to the use question
        if scan_category(category, prepared, rules)[0]:
            hits.append((category.level, category.reason))
    return hits


def _craving_hits(craving: int, recent: Sequence[int], rules: TriageRules) -> list[tuple[str, str]]:
    hits = []
    if craving >= rules.urgent_craving:
        hits.append(("urgent", f"craving {craving} (urgent threshold {rules.urgent_craving})"))
    elif craving >= rules.concern_craving:
        hits.append(("concern", f"craving {craving} (concern threshold {rules.concern_craving})"))
    if recent:
        rise = craving - sum(recent) / len(recent)
        if rise >= rules.craving_rise:
            hits.append(("concern", f"craving rise +{round(rise, 1):g} over recent average"))
    return hits


_MODEL_REASONS = {
    "crisis": "model: crisis-like wording",
    "urgent": "model: use-like wording",
}


def _model_level(prepared: Prepared, rules: TriageRules) -> str:
    """The learned layer's level (crisis, urgent or none), or none when it is switched off."""
    settings = rules.model
    if not settings.enabled:
        return "none"
    return load_model().level(
        prepared.model_text, settings.crisis_threshold, settings.urgent_threshold
    )


def triage(
    text: str,
    *,
    expect: str | None = None,
    recent_cravings: Sequence[int] = (),
    rules: TriageRules | None = None,
) -> Triage:
    """Read one participant message and return its risk level, craving, use and reasons."""
    if expect not in EXPECTS:
        raise ValueError(f"expect must be one of {EXPECTS}, not {expect!r}")
    rules = rules or load_rules()
    text = "" if text is None else str(text)
    prepared = prepare(text, rules)
    hits = _risk_hits(prepared, rules)
    used = use_in(prepared, rules, expect_use=expect == "use")
    use_category = rules.category("reported_use")
    if used and use_category is not None:
        hits.append((use_category.level, use_category.reason))
    craving = craving_in(prepared, rules, expect_craving=expect == "craving")
    if craving is not None:
        hits.extend(_craving_hits(craving, recent_cravings, rules))
    if expect == "mood":
        mood = mood_in(prepared, rules, expect_mood=True)
        if mood is not None and mood <= rules.low_mood:
            hits.append(("concern", f"mood {mood} of 5"))
    hits = [hit for hit in hits if hit[0] != "none"]
    hits.sort(key=lambda hit: -_RANK[hit[0]])  # stable: keeps rule order within a level
    level = hits[0][0] if hits else "none"
    model_level = _model_level(prepared, rules)
    if _RANK[model_level] > _RANK[level]:
        level = model_level
        hits.insert(0, (model_level, _MODEL_REASONS[model_level]))
    reasons = tuple(dict.fromkeys(reason for _, reason in hits))
    return Triage(text=text, level=level, craving=craving, used=used, reasons=reasons)


def looks_like_other_message(text: str, *, rules: TriageRules | None = None) -> bool:
    """Whether a text sent during an open check-in is clearly something else (a question, news)."""
    rules = rules or load_rules()
    prepared = prepare(text, rules)
    if _risk_hits(prepared, rules) or use_in(prepared, rules, expect_use=False) is not None:
        return False
    if _model_level(prepared, rules) != "none":
        return False
    if craving_in(prepared, rules, expect_craving=False) is not None:
        return False
    if scan(rules.phrases["other_message"], prepared, rules)[0]:
        return True
    if "?" in text or "¿" in text:
        first = prepared.variants[0].lstrip(" ,")
        m = rules.phrases["question_start"].match(first)
        return m is not None
    return False
