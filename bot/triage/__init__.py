"""Understand check-in replies and rate their risk: pure functions over text and rules."""

from __future__ import annotations

from bot.triage.levels import Triage, looks_like_other_message, triage
from bot.triage.replies import (
    parse_confirmation,
    parse_craving,
    parse_mood,
    parse_use,
    parse_yes_no,
)
from bot.triage.rules import TriageRules, load_rules

__all__ = [
    "Triage",
    "TriageRules",
    "load_rules",
    "looks_like_other_message",
    "parse_confirmation",
    "parse_craving",
    "parse_mood",
    "parse_use",
    "parse_yes_no",
    "triage",
]
