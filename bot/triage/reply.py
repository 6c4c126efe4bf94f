"""One inbound text read once: everything the intent handlers need to know about its words.

`parse_reply(text, rules, context)` is pure: the clinic's rules and what the participant was
asked last (`ReplyContext`, known from the party lookup) come in; a `Reply` comes out. Handlers
choose an intent from the Reply and never read the words themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.rules.keywords import keyword_of, normalize
from bot.rules.pause import PauseRequest, parse_pause
from bot.triage.levels import Triage, looks_like_other_message, triage
from bot.triage.matching import prepare
from bot.triage.numbers import craving_in
from bot.triage.replies import confirmation_in, mood_in, use_in, yes_no_in
from bot.triage.rules import TriageRules

CHECKIN_STEPS = ("craving", "use", "mood")
_SKIP = re.compile(r"^(?:skip|pass|saltar|salta|paso|omitir)$")


@dataclass(frozen=True)
class ReplyContext:
    """What the sender was asked last, as the party lookup found it."""

    checkin_step: str | None = None  # the open check-in's question: craving | use | mood
    reminded: bool = False  # a session reminder awaits its C / N
    screening: bool = False  # a screening question awaits its YES / NO
    recent_cravings: tuple[int, ...] = ()  # the week's ratings, for the "rise of 3+" rule


@dataclass(frozen=True)
class CheckinAnswer:
    """The text read as the answer to the open check-in question."""

    step: str  # craving | use | mood
    understood: bool  # False: ask again (or, after one re-ask, treat as a message)
    value: int | bool | None  # the rating / use; None for a skipped mood
    also_used: bool | None  # "3, no use": the use question answered along with the craving
    risk: Triage  # the text triaged as this answer (the clinic's thresholds, the week's cravings)


@dataclass(frozen=True)
class Reply:
    """Everything read from one text."""

    text: str
    keyword: str | None  # opt_out | opt_in | help
    plain: Triage  # read without context: crisis wording and the screening band
    risk: Triage  # read as free text, with the week's cravings
    yes_no: bool | None  # how the text opens, for a screening question
    confirmation: bool | None  # C / N to a session reminder (only when one awaits)
    fits_checkin: bool  # it would also answer a check-in question (a number, yes or no)
    other_message: bool  # during an open check-in: clearly something else (a question, news)
    answer: CheckinAnswer | None  # the open check-in's answer, when one is open
    pause: PauseRequest | None
    normalized: str  # lower-case, accents and punctuation gone (for exact commands)

    @property
    def crisis(self) -> bool:
        """Crisis language, whatever was asked."""
        return self.plain.level == "crisis"


def parse_reply(
    text: str, rules: TriageRules, context: ReplyContext, *, plain: Triage | None = None
) -> Reply:
    """Read `text` once with the clinic's `rules` in `context`; `plain` reuses a context-free
    triage the caller already made (the webhook reads one before touching the database)."""
    if rules is None:  # never the packaged rules behind the caller's back
        raise TypeError("parse_reply needs the clinic's triage rules")
    text = "" if text is None else str(text)
    prepared = prepare(text, rules)
    plain = plain if plain is not None and plain.text == text else triage(text, rules=rules)
    recent = context.recent_cravings
    risk = triage(text, recent_cravings=recent, rules=rules) if recent else plain
    step = context.checkin_step if context.checkin_step in CHECKIN_STEPS else None
    fits = (craving_in(prepared, rules, expect_craving=True) is not None
            or use_in(prepared, rules, expect_use=True) is not None)
    return Reply(
        text=text,
        keyword=keyword_of(text),
        plain=plain,
        risk=risk,
        yes_no=yes_no_in(prepared, rules),
        confirmation=confirmation_in(prepared, rules) if context.reminded else None,
        fits_checkin=fits,
        other_message=step is not None and looks_like_other_message(text, rules=rules),
        answer=_answer(text, prepared, rules, step, recent, plain) if step else None,
        pause=parse_pause(text),
        normalized=normalize(text),
    )


def _answer(
    text: str, prepared, rules: TriageRules, step: str, recent: tuple[int, ...], plain: Triage
) -> CheckinAnswer:
    """The text as the answer to check-in question `step`."""
    also_used = None
    if step == "craving":
        value = craving_in(prepared, rules, expect_craving=True)
        also_used = use_in(prepared, rules, expect_use=False)
    elif step == "use":
        value = use_in(prepared, rules, expect_use=True)
    elif _SKIP.match(normalize(text)):
        return CheckinAnswer(step, True, None, None, plain)  # a skipped mood rates nothing
    else:
        value = mood_in(prepared, rules, expect_mood=True)
    risk = triage(text, expect=step, recent_cravings=recent, rules=rules)
    return CheckinAnswer(step, value is not None, value, also_used, risk)
