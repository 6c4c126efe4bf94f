"""Prepare a message for matching and find phrases in it, minding negation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.rules import TriageRules
from bot.triage.text import basic_form, letter_variants


@dataclass(frozen=True)
class Prepared:
    """A message in matching form: one or two spellings, idioms blanked out."""

    raw: str
    variants: tuple[str, ...]


def prepare(text: str, rules: TriageRules) -> Prepared:
    """Normalise text, expand slang spellings and blank out harmless idioms."""
    variants = []
    for variant in letter_variants(basic_form(text)):
        if rules.spelling_regex is not None:
            variant = rules.spelling_regex.sub(lambda m: rules.spelling[m.group(0)], variant)
        variant = rules.phrases["idioms"].sub(" , ", variant)
        variants.append(variant)
    return Prepared(raw=text, variants=tuple(dict.fromkeys(variants)))


def is_negated(text: str, start: int, rules: TriageRules) -> bool:
    """Whether a negation word sits in the few words before start, within the same clause."""
    clause = text[:start].rsplit(" ,", 1)[-1]
    window = clause.split()[-rules.negation_window :] if rules.negation_window else []
    return bool(window) and bool(rules.phrases["negation"].search(" ".join(window)))


def scan(regex: re.Pattern[str], prepared: Prepared, rules: TriageRules) -> tuple[bool, bool]:
    """Return (affirmed, negated): whether regex matches plainly and whether only under negation."""
    negated = False
    for variant in prepared.variants:
        for match in regex.finditer(variant):
            if is_negated(variant, match.start(), rules):
                negated = True
            else:
                return True, False
    return False, negated


def contains(regex: re.Pattern[str], prepared: Prepared) -> bool:
    """Whether regex matches any variant, ignoring negation."""
    return any(regex.search(v) for v in prepared.variants)
