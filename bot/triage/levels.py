"""Decide how worried to be about a reply: crisis, urgent, concern or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.triage.matching import Prepared, prepare, scan, scan_category
from bot.triage.model import load_model
from bot.triage.numbers import craving_in
from bot.triage.replies import mood_in, use_in
from bot.triage.rules import LEVELS, RiskCategory, TriageRules, load_rules

EXPECTS = (None, "craving", "use", "mood", "confirmation")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# A risk category named maybe_* is a weak crisis signal: its level (concern) plus the screening
# question. Categories at level none are context, read only to lower a weak hit (_lowered).
WEAK_CRISIS_PREFIX = "maybe_"
EXPLICIT = "explicit_crisis"
_USE_CATEGORIES = frozenset({"near_use", "about_to_use", "intoxicated", "reported_use"})
# A body in danger: the model reading the words as routine is no reason to lower these
# ("See people not there. Stop drink 3 days" was lowered to concern before round 4).
_NEVER_MODEL_LOWERED = frozenset({"severe_withdrawal"})
# Which context lowers what: a question about medicine explains a medicine name, not a use
# report; a hedge ("but I'd never do anything") speaks to crisis wording only.
_CONTEXTS = (
    ("context_past", frozenset({"urgent", "crisis"}), False),
    ("context_others", frozenset({"crisis"}), False),
    ("context_someone_using", frozenset({"urgent"}), False),
    ("context_dream", frozenset({"urgent"}), False),  # "dreamt I relapsed" (round 5)
    ("context_joke", frozenset({"crisis"}), False),
    ("context_question", frozenset({"crisis"}), False),
    ("context_hedge", frozenset({"crisis"}), True),  # True: the lowered text is screened
)


@dataclass(frozen=True)
class Triage:
    """The outcome for one message: its risk level, what was read from it, and why."""

    text: str
    level: str
    craving: int | None
    used: bool | None
    reasons: tuple[str, ...]
    # The uncertain band: a weak crisis signal, or the model's crisis probability between its
    # screen and crisis thresholds. The participant gets the resources and a screening question.
    screen: bool = False

    def to_json_dict(self) -> dict[str, Any]:
        """Return the fixed JSON shape: text, level, craving, used, reasons (a list), screen."""
        return {
            "text": self.text,
            "level": self.level,
            "craving": self.craving,
            "used": self.used,
            "reasons": list(self.reasons),
            "screen": self.screen,
        }


def _category_hits(prepared: Prepared, rules: TriageRules) -> list[RiskCategory]:
    out = []
    for category in rules.risk:
        if category.name == "reported_use" or category.level == "none":
            continue  # use is decided by use_in, which also understands "yes" to the question
        if scan_category(category, prepared, rules)[0]:
            out.append(category)
    return out


def _risk_hits(prepared: Prepared, rules: TriageRules) -> list[tuple[str, str]]:
    return [(c.level, c.reason) for c in _category_hits(prepared, rules)]


def _explicit(prepared: Prepared, rules: TriageRules) -> bool:
    """Whether the text holds explicit crisis language (never lowered by context or model)."""
    explicit = rules.category(EXPLICIT)
    return explicit is not None and scan_category(explicit, prepared, rules)[0]


def _context(
    prepared: Prepared, rules: TriageRules, level: str, names: set[str]
) -> tuple[str, bool] | None:
    """The context that lowers a weak urgent/crisis hit to concern: (reason, screen), or None.

    A use report under a medicine question is not lowered, nor anything the rules hold no
    context category for.
    """
    for name, lowers, screen in _CONTEXTS:
        if level not in lowers or (name == "context_question" and names & _USE_CATEGORIES):
            continue
        category = rules.category(name)
        if category is not None and scan_category(category, prepared, rules)[0]:
            return category.reason, screen
    return None


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


_MODEL_LOWERS = "the model reads it as routine"
_MODEL_REASONS = {
    "crisis": "model: crisis-like wording",
    "urgent": "model: use-like wording",
}


def _model_level(prepared: Prepared, rules: TriageRules) -> str:
    """The learned layer's level (crisis, urgent or none), or none when it is switched off."""
    return _model_read(prepared, rules).level


@dataclass(frozen=True)
class _ModelRead:
    level: str = "none"  # crisis, urgent or none
    band: bool = False  # P(crisis) in the screening band
    serious: float = 1.0  # P(urgent) + P(crisis); 1.0 when the layer is off


def _model_read(prepared: Prepared, rules: TriageRules) -> _ModelRead:
    """What the learned layer says about a prepared text, by the rules' thresholds."""
    settings = rules.model
    if not settings.enabled:
        return _ModelRead()
    p = load_model().probabilities(prepared.model_text)
    crisis, serious = p["crisis"], p["urgent"] + p["crisis"]
    if crisis >= settings.crisis_threshold:
        return _ModelRead("crisis", False, serious)
    band = crisis >= settings.screen_threshold
    level = "urgent" if serious >= settings.urgent_threshold else "none"
    return _ModelRead(level, band, serious)


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
    categories = _category_hits(prepared, rules)
    hits = [(c.level, c.reason) for c in categories]
    names = {c.name for c in categories}
    screen = any(name.startswith(WEAK_CRISIS_PREFIX) for name in names)
    used = use_in(prepared, rules, expect_use=expect == "use")
    use_category = rules.category("reported_use")
    if used and use_category is not None:
        hits.append((use_category.level, use_category.reason))
        names.add(use_category.name)
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
    model = _model_read(prepared, rules)
    raised = _RANK[model.level] > _RANK[level]
    if raised:
        level = model.level
        hits.insert(0, (model.level, _MODEL_REASONS[model.level]))
    if level in ("urgent", "crisis") and not _explicit(prepared, rules):
        context = _context(prepared, rules, level, names)
        # The model may lower a weak hit of the risk phrases, never a number or an answer.
        if (
            context is None
            and not raised
            and expect is None
            and craving is None
            and not names & _USE_CATEGORIES
            and not names & _NEVER_MODEL_LOWERED
            and model.serious < rules.model.lower_threshold
        ):
            context = (_MODEL_LOWERS, True)
        if context is not None:
            reason, screens = context
            screen = screen or (screens and level == "crisis")
            level = "concern"
            hits.append(("concern", f"lowered to concern: {reason}"))
    if model.band and level != "crisis":
        screen = True
        hits.append(("concern", "model: possible crisis (screening question)"))
    screen = screen and level != "crisis"
    if screen and level == "none":
        level = "concern"
    reasons = tuple(dict.fromkeys(reason for _, reason in hits))
    return Triage(
        text=text, level=level, craving=craving, used=used, reasons=reasons, screen=screen
    )


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
