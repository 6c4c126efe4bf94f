"""What each family-update scope permits, and update texts built from permitted facts only.

The builders take counts (integers) and the participant's first name, never a reply, a score
or a free text: nothing a participant said can reach a family member through them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.program import Program

ATTENDANCE, SUMMARY, MILESTONES, ENCOURAGEMENT = (
    "attendance", "summary", "milestones", "encouragement",
)
SCOPES = (ATTENDANCE, SUMMARY, MILESTONES, ENCOURAGEMENT)
WEEKLY_SCOPES = (ATTENDANCE, SUMMARY, ENCOURAGEMENT)  # what goes into the weekly update
MILESTONE_KINDS = ("checkin_weeks", "sessions_attended")


def parse_scopes(text: str | Iterable[str]) -> tuple[str, ...]:
    """'attendance,summary' -> ('attendance', 'summary') in canonical order; ValueError if bad."""
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = {item.strip().lower() for item in items if item and item.strip()}
    if not wanted:
        raise ValueError(f"--share needs at least one of: {', '.join(SCOPES)}")
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(
            f"unknown scope {', '.join(unknown)}: choose from {', '.join(SCOPES)}"
        )
    return tuple(scope for scope in SCOPES if scope in wanted)


@dataclass(frozen=True)
class WeeklyFacts:
    """Counts for one week: the only facts a weekly update may draw on."""

    sessions_scheduled: int = 0
    sessions_attended: int = 0
    checkins_asked: int = 0
    checkins_answered: int = 0

    def __post_init__(self) -> None:
        for name in ("sessions_scheduled", "sessions_attended", "checkins_asked",
                     "checkins_answered"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a non-negative integer")


def scope_list(program: Program, scopes: Sequence[str], language: str) -> str:
    """The consented scopes in words, e.g. 'group attendance; a weekly summary'."""
    return "; ".join(program.text(f"family.scope.{scope}", language) for scope in scopes)


def weekly_update(
    program: Program,
    *,
    scopes: Sequence[str],
    facts: WeeklyFacts,
    participant_first: str,
    language: str,
) -> str | None:
    """The weekly update for the consented scopes, or None when no weekly scope is consented."""
    values = {"participant": participant_first}
    parts = []
    if ATTENDANCE in scopes:
        if facts.sessions_scheduled:
            parts.append(program.text(
                "family.weekly.attendance", language, attended=facts.sessions_attended,
                scheduled=facts.sessions_scheduled, **values,
            ))
        else:
            parts.append(program.text("family.weekly.no_sessions", language, **values))
    if SUMMARY in scopes:
        parts.append(program.text(
            "family.weekly.summary", language, answered=facts.checkins_answered,
            asked=facts.checkins_asked, attended=facts.sessions_attended, **values,
        ))
    if ENCOURAGEMENT in scopes:
        parts.append(program.text("family.weekly.encouragement", language, **values))
    if not parts:
        return None
    header = program.text("family.weekly.header", language, **values)
    return " ".join([header, *parts, footer(program, language)])


def milestone_message(
    program: Program, *, kind: str, count: int, participant_first: str, language: str
) -> str:
    """A milestone text ('4 weeks of check-ins'): a kind and a number, nothing else."""
    if kind not in MILESTONE_KINDS:
        raise ValueError(f"unknown milestone kind {kind!r}")
    text = program.text(
        f"family.milestone.{kind}", language, participant=participant_first, n=int(count)
    )
    return f"{text} {footer(program, language)}"


def footer(program: Program, language: str) -> str:
    """The 42 CFR 2.32 short notice and how to stop: ends every family text about someone."""
    return program.text("family.footer", language, notice=program.text("family.notice", language))


def milestone_due(thresholds: Sequence[int], value: int, last_sent: int) -> int | None:
    """The highest threshold reached by `value` above the last one sent, else None."""
    reached = [t for t in thresholds if t <= value and t > last_sent]
    return max(reached) if reached else None
