"""Load the clinic's editable triage rules (thresholds and phrase lists) from YAML."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

LEVELS = ("none", "concern", "urgent", "crisis")
LANGUAGES = ("en", "es")
# Phrase lists the parsers need; each is {en: [...], es: [...]} in the YAML file.
PHRASE_LISTS = (
    "negation",
    "idioms",
    "use_denial",
    "craving_words",
    "no_craving",
    "zero_answer",
    "time_before",
    "count_after",
    "not_a_number_before",
    "affirmative",
    "negative",
    "confirm",
    "decline",
    "other_message",
    "question_start",
)


@dataclass(frozen=True)
class RiskCategory:
    """One kind of risk signal: its level, the reason staff see, and its compiled patterns."""

    name: str
    level: str
    reason: str
    negatable: bool
    patterns: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True, eq=False)
class TriageRules:
    """Thresholds and phrase lists that decide how a reply is understood and how risky it is."""

    urgent_craving: int
    concern_craving: int
    craving_rise: float
    low_mood: int
    negation_window: int
    risk: tuple[RiskCategory, ...]
    phrases: Mapping[str, re.Pattern[str]]
    numbers: Mapping[str, int]
    mood: Mapping[int, re.Pattern[str]]
    spelling: Mapping[str, str]
    spelling_regex: re.Pattern[str] | None
    source: str

    def category(self, name: str) -> RiskCategory | None:
        """Return the risk category called name, if the rules define it."""
        return next((c for c in self.risk if c.name == name), None)


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        # An unquoted `no` or `yes` in YAML becomes a boolean: insist on strings.
        raise ValueError(f"{where}: expected a list of quoted strings")
    return [v.strip() for v in value if v.strip()]


def _alternation(patterns: Iterable[str], emoji: Iterable[str], where: str) -> re.Pattern[str]:
    words = [f"(?:{p})" for p in patterns]
    symbols = [re.escape(e) for e in emoji]
    parts = []
    if words:
        parts.append(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
    if symbols:
        parts.append("(?:" + "|".join(symbols) + ")")
    source = "|".join(parts) or r"(?!x)x"
    try:
        return re.compile(source)
    except re.error as exc:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as bad:
                raise ValueError(f"{where}: bad pattern {p!r}: {bad}") from exc
        raise ValueError(f"{where}: {exc}") from exc


def _phrase_list(data: Mapping[str, Any], name: str) -> re.Pattern[str]:
    block = data.get(name) or {}
    if not isinstance(block, Mapping):
        raise ValueError(f"{name}: expected en/es lists")
    patterns = [p for lang in LANGUAGES for p in _strings(block.get(lang), f"{name}.{lang}")]
    return _alternation(patterns, _strings(block.get("emoji"), f"{name}.emoji"), name)


def _risk(name: str, block: Mapping[str, Any]) -> RiskCategory:
    level = block.get("level")
    if level not in LEVELS:
        raise ValueError(f"risk.{name}.level must be one of {LEVELS}, not {level!r}")
    patterns = tuple(p for lang in LANGUAGES for p in _strings(block.get(lang), f"risk.{name}"))
    emoji = _strings(block.get("emoji"), f"risk.{name}.emoji")
    return RiskCategory(
        name=name,
        level=level,
        reason=str(block.get("reason") or name.replace("_", " ")),
        negatable=bool(block.get("negatable", False)),
        patterns=patterns + tuple(emoji),
        regex=_alternation(patterns, emoji, f"risk.{name}"),
    )


def _numbers(data: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for lang in LANGUAGES:
        for word, value in ((data.get("numbers") or {}).get(lang) or {}).items():
            if not isinstance(value, int) or not 0 <= value <= 10:
                raise ValueError(f"numbers.{lang}.{word}: expected a whole number 0-10")
            out[str(word).strip().lower()] = value
    return out


def _mood(data: Mapping[str, Any]) -> dict[int, re.Pattern[str]]:
    out = {}
    for score, block in (data.get("mood") or {}).items():
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"mood.{score}: mood scores are whole numbers 1-5")
        patterns = [p for lang in LANGUAGES for p in _strings(block.get(lang), f"mood.{score}")]
        out[score] = _alternation(patterns, _strings(block.get("emoji"), "mood"), f"mood.{score}")
    return out


def rules_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> TriageRules:
    """Build TriageRules from the parsed YAML mapping, raising ValueError on mistakes."""
    limits = data.get("thresholds") or {}
    spelling = {str(k).lower(): str(v).lower() for k, v in (data.get("spelling") or {}).items()}
    spelling_regex = None
    if spelling:
        words = sorted(spelling, key=len, reverse=True)
        spelling_regex = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    return TriageRules(
        urgent_craving=int(limits.get("urgent_craving", 9)),
        concern_craving=int(limits.get("concern_craving", 7)),
        craving_rise=float(limits.get("craving_rise", 3)),
        low_mood=int(limits.get("low_mood", 1)),
        negation_window=int(limits.get("negation_window", 3)),
        risk=tuple(_risk(name, block) for name, block in (data.get("risk") or {}).items()),
        phrases={name: _phrase_list(data, name) for name in PHRASE_LISTS},
        numbers=_numbers(data),
        mood=_mood(data),
        spelling=spelling,
        spelling_regex=spelling_regex,
        source=source,
    )


@functools.lru_cache(maxsize=1)
def _default_rules() -> TriageRules:
    resource = files("config").joinpath("triage.yaml")
    return rules_from_dict(yaml.safe_load(resource.read_text(encoding="utf-8")), str(resource))


def load_rules(path: str | Path | None = None) -> TriageRules:
    """Load triage rules from path, or the packaged config/triage.yaml (cached) by default."""
    if path is None:
        return _default_rules()
    text = Path(path).read_text(encoding="utf-8")
    return rules_from_dict(yaml.safe_load(text) or {}, str(path))
