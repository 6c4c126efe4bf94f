"""Load the clinic's editable triage rules (thresholds and phrase lists) from YAML."""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from bot.triage import literals

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
class NearRule:
    """Terms that must all occur within `within` words of each other (in any order).

    unless: context that cancels the rule when it occurs anywhere in the message (an ordinary
    reading of the same words: "rope" with "swing", "tylenol" with "headache"). A rule with
    `unless` may have a single term: a phrase that counts only outside those contexts.
    """

    terms: tuple[re.Pattern[str], ...]
    within: int
    source: tuple[str, ...]
    unless: re.Pattern[str] | None = None


@dataclass(frozen=True)
class RiskCategory:
    """One kind of risk signal: its level, the reason staff see, and its compiled patterns."""

    name: str
    level: str
    reason: str
    negatable: bool
    patterns: tuple[str, ...]
    regex: re.Pattern[str]
    near: tuple[NearRule, ...] = ()
    # Searches like `regex` but runs only the patterns whose required strings occur in the
    # text (bot/triage/literals.py). None: every text goes to `regex`.
    prefilter: literals.Prefilter | None = None


@dataclass(frozen=True)
class ModelSettings:
    """Whether the learned layer (bot/triage/model.py) runs, and its decision thresholds.

    The model can only raise a level: crisis when P(crisis) >= crisis_threshold, urgent when
    P(urgent) + P(crisis) >= urgent_threshold. Between screen_threshold and crisis_threshold
    the text is in the uncertain band: it gets the screening question (triage's `screen`).
    A weak rule hit (urgent or crisis without explicit crisis words) is lowered to concern
    when P(urgent) + P(crisis) < lower_threshold (0: never).
    """

    enabled: bool = False
    crisis_threshold: float = 1.0
    urgent_threshold: float = 1.0
    screen_threshold: float = 1.0
    lower_threshold: float = 0.0


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
    # Typo repair: every one-letter deletion of a key word -> the key word (see text.fuzzy_fix).
    fuzzy: Mapping[str, str] = field(default_factory=dict)
    fuzzy_keep: frozenset[str] = frozenset()
    # Words a run-together word ("iwanttodie") may be split into (see text.split_run_together).
    run_together: frozenset[str] = frozenset()
    model: ModelSettings = ModelSettings()
    # Runs only the idioms whose required strings occur in a text (None: run them all).
    idiom_filter: literals.Prefilter | None = None

    @functools.cached_property
    def run_together_longest(self) -> int:
        """The length of the longest word in run_together."""
        return max(map(len, self.run_together), default=0)

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


_CLASS_REF = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, classes: Mapping[str, str], where: str) -> str:
    """Replace each {name} in a pattern by the word class `name` from the `classes:` block."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in classes:
            raise ValueError(f"{where}: unknown word class {{{m.group(1)}}} in {pattern!r}")
        return classes[m.group(1)]

    return _CLASS_REF.sub(sub, pattern)


def _classes(data: Mapping[str, Any]) -> dict[str, str]:
    """Build the word classes: name -> "(?:alternative|...)"; a class may use other classes."""
    raw: dict[str, list[str]] = {}
    for name, block in (data.get("classes") or {}).items():
        if isinstance(block, Mapping):
            items = [p for lang in LANGUAGES for p in _strings(block.get(lang), f"classes.{name}")]
        else:
            items = _strings(block, f"classes.{name}")
        if not items:
            raise ValueError(f"classes.{name}: empty word class")
        raw[str(name)] = items
    out: dict[str, str] = {}

    def build(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"classes.{name}: refers to itself ({' -> '.join((*path, name))})")
        for item in raw[name]:
            for ref in _CLASS_REF.findall(item):
                if ref in raw and ref not in out:
                    build(ref, (*path, name))
        where = f"classes.{name}"
        out[name] = "(?:" + "|".join(_expand(p, out, where) for p in raw[name]) + ")"

    for name in raw:
        if name not in out:
            build(name, ())
    return out


# A phrase matches as whole words; the alternation of several is one such phrase.
_WORD_PATTERN = r"(?<!\w)(?:{})(?!\w)"


def _alternation(patterns: Iterable[str], emoji: Iterable[str], where: str) -> re.Pattern[str]:
    words = [f"(?:{p})" for p in patterns]
    symbols = [re.escape(e) for e in emoji]
    parts = []
    if words:
        parts.append(_WORD_PATTERN.format("|".join(words)))
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


def _patterns(block: Mapping[str, Any], where: str, classes: Mapping[str, str]) -> list[str]:
    return [
        _expand(p, classes, where)
        for lang in LANGUAGES
        for p in _strings(block.get(lang), f"{where}.{lang}")
    ]


def _phrase_list(
    data: Mapping[str, Any], name: str, classes: Mapping[str, str]
) -> re.Pattern[str]:
    block = data.get(name) or {}
    if not isinstance(block, Mapping):
        raise ValueError(f"{name}: expected en/es lists")
    patterns = _patterns(block, name, classes)
    return _alternation(patterns, _strings(block.get("emoji"), f"{name}.emoji"), name)


def _prefiltered(
    patterns: Iterable[str], emoji: Iterable[str]
) -> list[tuple[str, frozenset[str] | None]]:
    """What a prefilter for _alternation(patterns, emoji) needs: each phrase as a regex of
    its own and the strings it requires (bot/triage/literals.py)."""
    return [(_WORD_PATTERN.format(p), literals.required(p)) for p in patterns] + [
        (re.escape(e), frozenset({e})) for e in emoji
    ]


def _near(entry: Any, where: str, classes: Mapping[str, str]) -> NearRule:
    """Parse one proximity rule: [A, B, ...] or {all: [A, ...], within: N, unless: [C, ...]}."""
    within = 4
    unless: list[str] = []
    if isinstance(entry, Mapping):
        within = int(entry.get("within", within))
        unless = [_expand(u, classes, where) for u in _strings(entry.get("unless"), where)]
        entry = entry.get("all")
    terms = _strings(entry, where)
    if len(terms) < (1 if unless else 2) or within < 0:
        raise ValueError(
            f"{where}: a near rule needs two or more terms (one, with unless) and within >= 0"
        )
    expanded = [_expand(t, classes, where) for t in terms]
    return NearRule(
        terms=tuple(_alternation([t], (), where) for t in expanded),
        within=within,
        source=tuple(terms),
        unless=_alternation(unless, (), f"{where}.unless") if unless else None,
    )


def _risk(
    name: str, block: Mapping[str, Any], classes: Mapping[str, str]
) -> tuple[RiskCategory, list[tuple[str, frozenset[str] | None]]]:
    """The category (without its prefilter) and what its prefilter needs."""
    level = block.get("level")
    if level not in LEVELS:
        raise ValueError(f"risk.{name}.level must be one of {LEVELS}, not {level!r}")
    patterns = tuple(_patterns(block, f"risk.{name}", classes))
    emoji = _strings(block.get("emoji"), f"risk.{name}.emoji")
    near = block.get("near") or []
    if not isinstance(near, list):
        raise ValueError(f"risk.{name}.near: expected a list of rules")
    category = RiskCategory(
        name=name,
        level=level,
        reason=str(block.get("reason") or name.replace("_", " ")),
        negatable=bool(block.get("negatable", False)),
        patterns=patterns + tuple(emoji),
        regex=_alternation(patterns, emoji, f"risk.{name}"),
        near=tuple(_near(e, f"risk.{name}.near", classes) for e in near),
    )
    return category, _prefiltered(patterns, emoji)


def _fuzzy(data: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """Index the key words for typo repair by their one-letter deletions."""
    block = data.get("fuzzy") or {}
    words = [w.lower() for w in _strings(block.get("words"), "fuzzy.words")]
    keep = frozenset(w.lower() for w in _strings(block.get("keep"), "fuzzy.keep"))
    index: dict[str, str] = {}
    for word in words:
        if len(word) < 5 or not word.isalpha():
            raise ValueError(f"fuzzy.words: {word!r}: use plain words of 5 letters or more")
        for key in (word, *(word[:i] + word[i + 1 :] for i in range(len(word)))):
            index.setdefault(key, word)
    return index, keep | frozenset(words)


def _numbers(data: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for lang in LANGUAGES:
        for word, value in ((data.get("numbers") or {}).get(lang) or {}).items():
            if not isinstance(value, int) or not 0 <= value <= 10:
                raise ValueError(f"numbers.{lang}.{word}: expected a whole number 0-10")
            out[str(word).strip().lower()] = value
    return out


def _mood(data: Mapping[str, Any], classes: Mapping[str, str]) -> dict[int, re.Pattern[str]]:
    out = {}
    for score, block in (data.get("mood") or {}).items():
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"mood.{score}: mood scores are whole numbers 1-5")
        patterns = _patterns(block, f"mood.{score}", classes)
        out[score] = _alternation(patterns, _strings(block.get("emoji"), "mood"), f"mood.{score}")
    return out


def _model_settings(data: Mapping[str, Any]) -> ModelSettings:
    block = data.get("model") or {}
    if not isinstance(block, Mapping):
        raise ValueError("model: expected enabled, crisis_threshold, urgent_threshold")
    settings = ModelSettings(
        enabled=bool(block.get("enabled", False)),
        crisis_threshold=float(block.get("crisis_threshold", 1.0)),
        urgent_threshold=float(block.get("urgent_threshold", 1.0)),
        screen_threshold=float(block.get("screen_threshold", 1.0)),
        lower_threshold=float(block.get("lower_threshold", 0.0)),
    )
    if not 0.0 <= settings.lower_threshold < 1.0:
        raise ValueError("model.lower_threshold: expected a probability from 0 to below 1")
    for name in ("crisis_threshold", "urgent_threshold", "screen_threshold"):
        if not 0.0 < getattr(settings, name) <= 1.0:
            raise ValueError(f"model.{name}: expected a probability above 0 and at most 1")
    return settings


def rules_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> TriageRules:
    """Build TriageRules from the parsed YAML mapping, raising ValueError on mistakes."""
    limits = data.get("thresholds") or {}
    classes = _classes(data)
    fuzzy, fuzzy_keep = _fuzzy(data)
    spelling = {str(k).lower(): str(v).lower() for k, v in (data.get("spelling") or {}).items()}
    spelling_regex = None
    if spelling:
        words = sorted(spelling, key=len, reverse=True)
        spelling_regex = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    risk = [_risk(name, block, classes) for name, block in (data.get("risk") or {}).items()]
    idioms = data.get("idioms") if isinstance(data.get("idioms"), Mapping) else {}
    # One prefilter per category and one for the idioms, sharing one pass over a text.
    idiom_phrases = _patterns(idioms, "idioms", classes)
    idiom_emoji = _strings(idioms.get("emoji"), "idioms.emoji")
    *filters, idiom_filter = literals.prefilters(
        [wanted for _, wanted in risk] + [_prefiltered(idiom_phrases, idiom_emoji)]
    )
    return TriageRules(
        urgent_craving=int(limits.get("urgent_craving", 9)),
        concern_craving=int(limits.get("concern_craving", 7)),
        craving_rise=float(limits.get("craving_rise", 3)),
        low_mood=int(limits.get("low_mood", 1)),
        negation_window=int(limits.get("negation_window", 3)),
        risk=tuple(
            dataclasses.replace(category, prefilter=found)
            for (category, _), found in zip(risk, filters, strict=True)
        ),
        phrases={name: _phrase_list(data, name, classes) for name in PHRASE_LISTS},
        numbers=_numbers(data),
        mood=_mood(data, classes),
        spelling=spelling,
        spelling_regex=spelling_regex,
        source=source,
        fuzzy=fuzzy,
        fuzzy_keep=fuzzy_keep,
        run_together=frozenset(
            w.lower() for w in _strings(data.get("run_together"), "run_together")
        ),
        model=_model_settings(data),
        idiom_filter=idiom_filter,
    )


class LazyRules:
    """The clinic's triage rules: checked when loaded, compiled on first use, once per process.

    Compiling the ~2,000 patterns takes most of a second: commands that never read a text
    (`iopbot --help`, `alert list`) never pay for it, and `gunicorn --preload` pays once per
    deploy, before the workers fork.
    """

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self._data, self.source = data, source
        self._rules: TriageRules | None = None
        self._lock = threading.Lock()

    @property
    def compiled(self) -> bool:
        """Whether the rules were already compiled in this process."""
        return self._rules is not None

    def get(self) -> TriageRules:
        """The compiled rules (compiled now if this is the first use)."""
        if self._rules is None:
            with self._lock:
                if self._rules is None:
                    self._rules = rules_from_dict(self._data, self.source)
        return self._rules


def _layered(path: Path | None) -> Mapping[str, Any]:
    from bot.clinic import layered
    from bot.clinic.files import TriageFile

    return layered("triage.yaml", TriageFile, path)


@functools.lru_cache(maxsize=1)
def _default_rules() -> TriageRules:
    return rules_from_dict(_layered(None), str(files("config").joinpath("triage.yaml")))


def load_rules(path: str | Path | None = None) -> TriageRules:
    """The packaged rules, with the overrides file `path` (if any) laid over them, compiled.

    For tools and tests; the running bot compiles the clinic's rules once, in its runtime.
    """
    if path is None:
        return _default_rules()
    return _rules_file(str(path), Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _rules_file(path: str, mtime_ns: int) -> TriageRules:
    return rules_from_dict(_layered(Path(path)), path)
