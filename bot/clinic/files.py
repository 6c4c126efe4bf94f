"""The shape of every clinic YAML file: program, triage, escalation, family and messages.

Each model lists the keys a file may hold; `bot.clinic.typed.check` refuses any other key with one
line naming the file and the key (`quiet_hour:` is a typo, not a default). Defaults live in the
packaged files and in the code that reads each section, not here.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bot.clinic.typed import Appended, Phrases

Language = Literal["en", "es"]
Wait = int | Literal["next_business_day"]
Audience = Literal["assigned", "on_call", "supervisors"]


def doc(text: str, **kwargs: Any) -> Any:
    """A field with a description for the JSON Schema (every field is optional)."""
    return field(default=None, metadata={"doc": text}, **kwargs)


# --- program.yaml -----------------------------------------------------------------------------


@dataclass
class Clinic:
    """Who the clinic is, as participants see it (keep it neutral: lock-screen safe)."""

    name: str = doc("The name HELP answers with (required).")
    phone: str = doc("The number HELP tells people to call.")
    program_name: str = doc("The name of the text programme as participants see it.")


@dataclass
class QuietHours:
    """Scheduled texts go out only inside this window, in the recipient's local time."""

    start: str = doc('"HH:MM", default "09:00"')
    end: str = doc('"HH:MM", default "20:00"')


@dataclass
class Checkin:
    """The daily check-in."""

    default_time: str = doc('Local time of the check-in unless enrolment says otherwise, "HH:MM".')
    followup_after_minutes: float = doc("One gentle follow-up when there is no reply by then.")
    missed_before_alert: int = doc("Consecutive missed check-ins that create an alert.")
    ask_mood: bool = doc("Ask an optional mood 1-5 after the two main questions.")
    plan_ahead_minutes: float = doc("Texts are planned this far ahead of their moment.")
    max_catch_up_hours: float = doc("After downtime, look back at most this far.")


@dataclass
class Reminders:
    """Session reminders."""

    offsets_hours: list[float] = doc("Reminders this long before each session, e.g. [24, 2].")


@dataclass
class Group:
    """A therapy group and its weekly meetings."""

    name: str = doc("The group's name (required).")
    timezone: str = doc("IANA time zone, e.g. America/New_York.")
    weekly: str = doc('Days and times, e.g. "mon,wed,thu 18:00-21:00".')
    location: str = doc("Shown in reminders: keep it neutral.")


@dataclass
class Milestones:
    """Family milestone texts, sent once each when the consent includes `milestones`."""

    checkin_weeks: list[int] = doc("Weeks with at least one answered check-in.")
    sessions_attended: list[int] = doc("Group sessions marked attended.")


@dataclass
class Family:
    """Family updates (42 CFR Part 2): only under a participant's own signed consent."""

    weekly_update_day: str = doc("mon ... sun")
    weekly_update_time: str = doc('"HH:MM" in the family member\'s zone.')
    catch_up_hours: int = doc("After downtime, a weekly update later than this is skipped.")
    default_timezone: str = doc("Family member's zone when staff give none; empty: the "
                                "participant's.")
    code_valid_days: int = doc("The participant's YES <code> must arrive within this many days.")
    milestones: Milestones = doc("Milestones to text about.")


@dataclass
class Console:
    """The staff console."""

    counselor_totp: bool = doc("Require a sign-in code (TOTP) from counselors too "
                               "(supervisors and admins always need one).")


@dataclass
class Retention:
    """How long the words of texts are kept (metadata, alerts and consents are kept anyway)."""

    message_bodies_days: int | Literal["keep"] = doc(
        'Blank message bodies older than this many days; "keep" or empty: keep them.'
    )


@dataclass
class ProgramFile:
    """The clinic's program file (IOPBOT_CONFIG)."""

    clinic: Clinic = doc("Clinic identity.")
    timezone: str = doc("Default IANA time zone for people and groups enrolled without one.")
    quiet_hours: QuietHours = doc("The sending window.")
    default_language: Language = doc("Language texts fall back to.")
    checkin: Checkin = doc("The daily check-in.")
    reminders: Reminders = doc("Session reminders.")
    groups: list[Group] = doc("Groups created or updated by name when the clock starts.")
    messages_dir: str = doc("Folder of wording overrides, relative to this file.")
    triage_rules: str = doc("Triage overrides file, relative to this file.")
    escalation: str = doc("Escalation ladder overrides file, relative to this file.")
    family: Family = doc("Family updates.")
    phone_region: str = doc("Country (ISO code, e.g. US, CA, GB) of numbers typed without +code.")
    retention: Retention = doc("How long message bodies are kept.")
    console: Console = doc("The staff console.")


# --- escalation.yaml --------------------------------------------------------------------------


@dataclass
class LevelRule:
    """Who hears about a new alert of one level, and how long each step may wait."""

    notify: list[Audience] = doc("Texted at once when the alert is raised.")
    first_deadline: Wait = doc("Minutes to acknowledge, or next_business_day.")
    step_deadline: Wait = doc("Minutes allowed at each later step.")


@dataclass
class Levels:
    """The rule for each alert level."""

    crisis: LevelRule = doc("Crisis alerts.")
    urgent: LevelRule = doc("Urgent alerts.")
    concern: LevelRule = doc("Concerns.")


@dataclass
class EscalationFile:
    """The escalation ladder: deadlines to acknowledge and who is told next."""

    business_days: list[str] = doc("Days for next_business_day, e.g. [mon, tue, wed, thu, fri].")
    business_start: str = doc('"HH:MM" a business day starts.')
    holidays: Appended[list[date]] = doc("Dates skipped as business days (added to the "
                                         "packaged list).")
    timezone: str = doc("The ladder's zone; default: the program's.")
    levels: Levels = doc("Per-level rules.")
    steps: list[Literal["resend", "assigned", "on_call", "supervisors"]] = doc(
        "Taken in order, one per passed deadline.")


# --- messages/*.yaml --------------------------------------------------------------------------


@dataclass
class MessagesFile:
    """Message wording by language: a clinic's file holds only the keys it rewords."""

    en: dict[str, str] = doc("English wording by message key.")
    es: dict[str, str] = doc("Spanish wording by message key.")


# --- triage.yaml ------------------------------------------------------------------------------


@dataclass
class Thresholds:
    """Cut-offs (no validated cut-off exists: each clinic sets its own)."""

    urgent_craving: int = doc("Craving rating at or above this is urgent (packaged: 9).")
    concern_craving: int = doc("Craving rating at or above this is a concern (packaged: 7).")
    craving_rise: float = doc("A rating this far above the recent average is a concern.")
    low_mood: int = doc("Mood (1-5) at or below this is a concern.")
    negation_window: int = doc("Words before a phrase checked for not/never/no.")


@dataclass
class ModelBlock:
    """The learned layer's switch and decision thresholds."""

    enabled: bool = doc("false: rules only.")
    crisis_threshold: float = doc("crisis when P(crisis) is at least this.")
    urgent_threshold: float = doc("urgent when P(urgent) + P(crisis) is at least this.")
    screen_threshold: float = doc("Ask the screening question when P(crisis) is at least this "
                                  "(below crisis_threshold).")
    lower_threshold: float = doc("A weak rule hit drops to concern when P(urgent) + P(crisis) "
                                 "is below this (0: never).")


@dataclass
class PhraseList:
    """Phrases (regular expressions matched as whole words) by language; a clinic's add."""

    en: Phrases = doc("English phrases, lowercase, without accents.")
    es: Phrases = doc("Spanish phrases, lowercase, without accents.")
    emoji: Phrases = doc("Symbols matched literally anywhere.")


@dataclass
class NearRule:
    """Terms that must all occur within `within` words of each other."""

    all: list[str] = doc("The terms.")
    within: int = doc("Most words between them (default 4).")
    unless: Phrases = doc("Context anywhere in the text that cancels the rule.")


@dataclass
class RiskCategory:
    """One kind of risk signal; a clinic's phrases add to the packaged ones."""

    level: Literal["none", "concern", "urgent", "crisis"] = doc("Its level.")
    reason: str = doc("The reason staff see.")
    negatable: bool = doc("Whether 'not'/'never' before a phrase cancels it.")
    en: Phrases = doc("English phrases.")
    es: Phrases = doc("Spanish phrases.")
    emoji: Phrases = doc("Symbols.")
    near: Appended[list[list[str] | NearRule]] = doc("Proximity rules.")


@dataclass
class Fuzzy:
    """Typo repair: key words and real words never 'repaired'."""

    words: Phrases = doc("Key words of 5 letters or more.")
    keep: Phrases = doc("Real words near a key word.")


@dataclass
class NumberWords:
    """Number words by language."""

    en: dict[str, int] = doc("English number words.")
    es: dict[str, int] = doc("Spanish number words.")


@functools.cache
def _triage_file() -> type:
    """The triage file's model, made on first use: its phrase lists are named by the triage
    package, which a CLI command that reads no text never imports."""
    from bot.triage.rules import PHRASE_LISTS

    fields: list[tuple[str, Any, Any]] = [
        ("thresholds", Thresholds, doc("Alert cut-offs.")),
        ("model", ModelBlock, doc("The learned layer.")),
        ("spelling", dict[str, str], doc("Slang and contractions rewritten before matching.")),
        ("fuzzy", Fuzzy, doc("Typo repair.")),
        ("run_together", Phrases, doc("Words a run-together word may be split into.")),
        ("classes", dict[str, Phrases | PhraseList], doc("Word classes used as {name}.")),
        ("risk", dict[str, RiskCategory], doc("Risk categories.")),
        ("numbers", NumberWords, doc("Number words.")),
        ("mood", dict[int, PhraseList], doc("Mood words by score 1-5.")),
        *((name, PhraseList, doc(f"The {name.replace('_', ' ')} phrase list."))
          for name in PHRASE_LISTS),
    ]
    model = dataclasses.make_dataclass("TriageFile", fields)
    model.__module__ = __name__
    model.__doc__ = ("Triage rules: a clinic's file holds only its overrides (thresholds, "
                     "extra phrases, exemptions), laid over the packaged rules.")
    return model


def __getattr__(name: str) -> Any:
    """`TriageFile` and `SCHEMAS` (which holds it), made on first use (PEP 562)."""
    if name == "TriageFile":
        return _triage_file()
    if name == "SCHEMAS":
        return {"program": ProgramFile, "triage": _triage_file(), "escalation": EscalationFile,
                "messages": MessagesFile}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
