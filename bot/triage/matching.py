"""Prepare a message for matching and find phrases in it, minding negation."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from bot.triage.rules import NearRule, RiskCategory, TriageRules
from bot.triage.text import basic_form, fuzzy_fix, letter_variants, split_run_together


@dataclass(frozen=True)
class Prepared:
    """A message in matching form: one or more spellings, idioms blanked out."""

    raw: str
    variants: tuple[str, ...]
    # The one spelling the learned layer reads (bot/triage/model.py): the first variant, typos
    # repaired, each idiom replaced by the placeholder word "_".
    model_text: str = ""


def prepare(text: str, rules: TriageRules) -> Prepared:
    """Normalise text, expand slang spellings, repair typos and blank out harmless idioms."""
    variants: list[str] = []
    model_index = -1
    base = basic_form(text)
    bases = [base]
    if rules.run_together:
        # Read "iwanttodie" as "i want to die" first (the learned layer reads that reading),
        # and keep the text as typed as a second reading.
        split = split_run_together(
            base, rules.run_together, rules.run_together_longest, rules.spelling
        )
        if split != base:
            bases.insert(0, split)
    for variant in (v for b in bases for v in letter_variants(b)):
        if rules.spelling_regex is not None:
            variant = rules.spelling_regex.sub(lambda m: rules.spelling[m.group(0)], variant)
        variants.append(variant)
        if rules.fuzzy:
            fixed = fuzzy_fix(variant, rules.fuzzy, rules.fuzzy_keep)
            if fixed != variant:
                variants.append(fixed)
        if model_index < 0:
            model_index = len(variants) - 1
    idioms, held = rules.phrases["idioms"], rules.idiom_filter

    def blank(variant: str, mark: str) -> str:
        if held is not None and not held.search(variant):
            return variant  # no idiom can be in it (checked without running them all)
        return idioms.sub(mark, variant)

    # The model reads idioms as a placeholder word, not as nothing: "me tomé un café" must not
    # shrink to a bare "me".
    model_text = blank(variants[model_index], " _ ") if variants else ""
    variants = [blank(v, " , ") for v in variants]
    return Prepared(raw=text, variants=tuple(dict.fromkeys(variants)), model_text=model_text)


def is_negated(text: str, start: int, rules: TriageRules) -> bool:
    """Whether a negation word sits in the few words before start, within the same clause."""
    clause = text[:start].rsplit(" ,", 1)[-1]
    window = clause.split()[-rules.negation_window :] if rules.negation_window else []
    return bool(window) and bool(rules.phrases["negation"].search(" ".join(window)))


def scan(
    regex: re.Pattern[str], prepared: Prepared, rules: TriageRules
) -> tuple[bool, bool]:
    """Return (affirmed, negated): whether regex matches plainly and whether only under negation."""
    return _scan(regex, prepared.variants, rules)


def _scan(
    regex: re.Pattern[str], variants: tuple[str, ...], rules: TriageRules
) -> tuple[bool, bool]:
    negated = False
    for variant in variants:
        for match in regex.finditer(variant):
            if is_negated(variant, match.start(), rules):
                negated = True
            else:
                return True, False
    return False, negated


def contains(regex: re.Pattern[str], prepared: Prepared) -> bool:
    """Whether regex matches any variant, ignoring negation."""
    return any(regex.search(v) for v in prepared.variants)


_WORD_START = re.compile(r"\S+")


_GATES: dict[int, tuple[tuple[NearRule, ...], re.Pattern[str]]] = {}


def _near_gate(near: tuple[NearRule, ...]) -> re.Pattern[str]:
    """One regex of every rule's first term: a near rule needs all its terms, so without any
    first term none of the rules can match (checked in one C-level scan per variant)."""
    held = _GATES.get(id(near))
    if held is None or held[0] is not near:
        gate = re.compile("|".join(f"(?:{rule.terms[0].pattern})" for rule in near))
        held = _GATES[id(near)] = (near, gate)
    return held[1]


def near_starts(rule: NearRule, text: str) -> list[int]:
    """Return the start offset of each place where all of rule's terms fall within its window."""
    if rule.unless is not None and rule.unless.search(text):
        return []
    spans = []
    for term in rule.terms:
        found = [m.span() for m in term.finditer(text)]
        if not found:
            return []
        spans.append(found)
    starts = [m.start() for m in _WORD_START.finditer(text)]

    def word(offset: int) -> int:
        return bisect_right(starts, offset) - 1

    # Word ranges each term match covers; a term "touches" another if the gap is <= within.
    ranges = [[(word(a), word(max(a, b - 1))) for a, b in term] for term in spans]
    if len(ranges) == 1:
        return [a for a, _ in spans[0]]
    out = []
    for (first, last), (a, _) in zip(ranges[0], spans[0], strict=True):
        lo, hi, ok = first, last, True
        for other in ranges[1:]:
            close = [
                (f, t) for f, t in other if f - last <= rule.within and first - t <= rule.within
            ]
            if not close:
                ok = False
                break
            lo = min(lo, min(f for f, _ in close))
            hi = max(hi, max(t for _, t in close))
        if ok:
            out.append(starts[lo] if lo < len(starts) else a)
    return out


def _phrases(category: RiskCategory, prepared: Prepared, rules: TriageRules) -> tuple[bool, bool]:
    """(affirmed, negated) for the category's phrase alternation alone."""
    variants = prepared.variants
    if category.prefilter is not None:
        # The spellings one of the phrases matches, found by running only the few phrases
        # whose required words occur in each: the same answer as the whole alternation.
        variants = tuple(v for v in variants if category.prefilter.search(v))
        if not category.negatable or not variants:
            return bool(variants), False
    if category.negatable:
        # Which match negation looks at depends on the whole alternation: run it.
        return _scan(category.regex, variants, rules)
    return any(category.regex.search(v) for v in variants), False


def scan_category(
    category: RiskCategory, prepared: Prepared, rules: TriageRules
) -> tuple[bool, bool]:
    """Return (affirmed, negated) for a risk category: its phrases and its near rules."""
    affirmed, negated = _phrases(category, prepared, rules)
    if affirmed or not category.near:
        return affirmed, negated
    gate = _near_gate(category.near)
    for variant in prepared.variants:
        if not gate.search(variant):
            continue  # no rule's first term is here, so no rule can match
        for rule in category.near:
            for start in near_starts(rule, variant):
                if category.negatable and is_negated(variant, start, rules):
                    negated = True
                else:
                    return True, False
    return False, negated
