"""The clinic's program file: clinic identity, time rules and message wording."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import SettingsError

LANGUAGES = ("en", "es")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def default_program_path() -> Path:
    """`config/program.yaml` in the working directory if present, else the packaged one."""
    local = Path.cwd() / "config" / "program.yaml"
    if local.is_file():
        return local
    return Path(str(files("config").joinpath("program.yaml")))


def parse_hhmm(text: str) -> time:
    """Parse "HH:MM" (24-hour) or raise ValueError."""
    match = HHMM.match((text or "").strip())
    if not match:
        raise ValueError(f"not a time of day in HH:MM form: {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone `name` or raise ValueError."""
    try:
        if not name or name != name.strip() or ".." in name:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone: {name!r}") from None


@dataclass(frozen=True)
class Program:
    """A loaded, validated program file."""

    path: Path
    clinic_name: str
    clinic_phone: str
    program_name: str
    timezone: str
    quiet_start: time
    quiet_end: time
    default_language: str
    messages: dict[str, dict[str, str]]
    triage_rules_path: Path | None
    raw: dict[str, Any] = field(repr=False)
    # Region for numbers typed without +country code (CLI, console, CSV); ISO 3166 code.
    phone_region: str = "US"
    # Days a text's words are kept in the message log and outbox; None keeps them.
    keep_message_bodies_days: int | None = None
    # The packaged triage rules and ladder with the clinic's overrides laid over them, checked
    # but not compiled: the runtime compiles the triage rules on first use (bot.runtime).
    triage: Mapping[str, Any] = field(default_factory=dict, repr=False)
    escalation: dict[str, Any] = field(default_factory=dict, repr=False)

    def section(self, name: str) -> dict[str, Any]:
        """A top-level section of the file (empty when absent)."""
        value = self.raw.get(name) or {}
        return value if isinstance(value, dict) else {}

    def text(
        self, key: str, language: str | None = None, style: str | None = None, **values
    ) -> str:
        """Render message `key` in `language` (falling back to the default language)."""
        chosen = None
        for lang in (language, self.default_language, "en"):
            table = self.messages.get(lang or "", {})
            if style and f"{key}@{style}" in table:
                chosen = table[f"{key}@{style}"]
                break
            if key in table:
                chosen = table[key]
                break
        if chosen is None:
            raise KeyError(f"no wording for message {key!r}")
        context = {
            "clinic_name": self.clinic_name,
            "clinic_phone": self.clinic_phone,
            "program_name": self.program_name,
            **values,
        }
        return chosen.format(**context)

    def in_quiet_window(self, local: time) -> bool:
        """True when `local` (recipient's wall-clock time) is inside the sending window."""
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end


def load_program(path: Path | str | None = None, *, triage: bool = True) -> Program:
    """Load and check the program file and the clinic files it names; SettingsError on trouble.

    The message is one line naming IOPBOT_CONFIG, the file and the key. `triage=False`: the
    triage rules (the largest file) are read and checked on first use of `Program.triage`, for
    CLI commands that read no text.
    """
    from bot.clinic import ConfigError, checked
    from bot.clinic.files import ProgramFile

    program_path = Path(path) if path else default_program_path()
    try:
        raw = checked(program_path, ProgramFile)
    except ConfigError as exc:
        if not program_path.is_file():
            raise SettingsError(f"IOPBOT_CONFIG: cannot read program file {program_path}: "
                                f"{str(exc).rsplit(': ', 1)[-1]}") from None
        raise SettingsError(f"IOPBOT_CONFIG: {exc}") from None
    try:
        return _build(program_path, raw, triage)
    except ConfigError as exc:
        raise SettingsError(f"IOPBOT_CONFIG: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        raise SettingsError(f"IOPBOT_CONFIG: {program_path}: {exc}") from None


def _beside(path: Path, raw: dict[str, Any], key: str, default: str) -> Path | None:
    """The clinic's overrides file named by `key` (else `default`) next to the program file.

    None when the default name is absent (nothing to override: the packaged file alone); a
    file named otherwise must exist, so a misspelt name is an error, not silently ignored.
    """
    name = str(raw.get(key) or default)
    found = path.parent / name
    return None if name == default and not found.exists() else found


def _build(path: Path, raw: dict[str, Any], triage: bool = True) -> Program:
    from bot.clinic import ConfigError, layered
    from bot.clinic.files import EscalationFile
    from bot.rules.ladder import ladder_from_dict

    clinic = raw.get("clinic") or {}
    if not clinic.get("name"):
        raise ValueError("clinic.name is required")
    tz = str(raw.get("timezone") or "America/New_York")
    parse_timezone(tz)
    quiet = raw.get("quiet_hours") or {}
    language = raw.get("default_language") or "en"
    if language not in LANGUAGES:
        raise ValueError(f"default_language must be one of {', '.join(LANGUAGES)}")
    rules = _beside(path, raw, "triage_rules", "triage.yaml")
    ladder_file = _beside(path, raw, "escalation", "escalation.yaml")
    escalation = layered("escalation.yaml", EscalationFile, ladder_file)
    try:
        ladder_from_dict(escalation, tz)  # values (deadlines, audiences) checked at start-up
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{ladder_file or 'escalation.yaml'}: {exc}") from None
    return Program(
        path=path,
        clinic_name=str(clinic["name"]),
        clinic_phone=str(clinic.get("phone") or ""),
        program_name=str(clinic.get("program_name") or clinic["name"]),
        timezone=tz,
        quiet_start=parse_hhmm(str(quiet.get("start", "09:00"))),
        quiet_end=parse_hhmm(str(quiet.get("end", "20:00"))),
        default_language=language,
        messages=_messages(_beside(path, raw, "messages_dir", "messages")),
        triage_rules_path=rules,
        raw=raw,
        phone_region=_phone_region(raw.get("phone_region")),
        keep_message_bodies_days=_keep_days(raw.get("retention")),
        triage=_layered_triage(rules) if triage else TriageOnFirstUse(rules),
        escalation=escalation,
    )


def _layered_triage(clinic: Path | None) -> dict[str, Any]:
    from bot.clinic import layered
    from bot.clinic.files import TriageFile

    return layered("triage.yaml", TriageFile, clinic)


class TriageOnFirstUse(Mapping[str, Any]):
    """The packaged triage rules with the clinic's overrides (`clinic`), read and checked when
    first looked at; a mistake is a SettingsError naming IOPBOT_CONFIG, as at start-up."""

    def __init__(self, clinic: Path | None) -> None:
        self.clinic = clinic
        self._data: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            from bot.clinic import ConfigError

            with self._lock:
                if self._data is None:
                    try:
                        self._data = _layered_triage(self.clinic)
                    except ConfigError as exc:
                        raise SettingsError(f"IOPBOT_CONFIG: {exc}") from None
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def _phone_region(value: Any) -> str:
    """A region phonenumbers knows (e.g. US, CA, GB, MX); default US."""
    import phonenumbers

    region = str(value or "US").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"phone_region must be a two-letter country code like US, not {value!r}")
    return region


def _keep_days(section: Any) -> int | None:
    """`retention.message_bodies_days`: a whole number of days (at least 1), or empty to keep."""
    value = (section or {}).get("message_bodies_days") if isinstance(section, dict) else None
    if value is None or value == "" or value == "keep":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("retention.message_bodies_days must be a whole number of days (1 or more)")
    return value


def _messages(clinic: Path | None) -> dict[str, dict[str, str]]:
    """The packaged wording with the clinic's messages folder (if any) laid over it."""
    from bot.clinic import packaged, same_file

    base = _packaged_messages()
    merged = {lang: dict(table) for lang, table in base.items()}
    if clinic is None or same_file(clinic, packaged("messages")):
        return merged
    if not clinic.is_dir():
        raise ValueError(f"messages_dir {clinic} is not a folder")
    for lang, table in _load_messages(clinic, known=base).items():
        merged[lang].update(table)
    return merged


TIP_PREFIX = "coping.tip."


@functools.lru_cache(maxsize=1)
def _packaged_messages() -> dict[str, dict[str, str]]:
    from bot.clinic import packaged

    return _load_messages(packaged("messages"))


def _load_messages(
    directory: Path, known: dict[str, dict[str, str]] | None = None
) -> dict[str, dict[str, str]]:
    """Merge every messages/*.yaml file into {language: {key: text}}; keys must be unique.

    With `known` (the packaged wording), a key must reword a packaged message (or a style of
    one, `key@plain`, `key@warm`) or add a coping tip (`coping.tip.*`): anything else is a typo.
    """
    from bot.clinic import ConfigError, checked
    from bot.clinic.files import MessagesFile

    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for file in sorted(directory.glob("*.yaml")):
        data = checked(file, MessagesFile)
        for lang, table in data.items():
            for key, text in (table or {}).items():
                plain, _, style = str(key).partition("@")
                if known is not None and (style not in ("", "plain", "warm") or not (
                    plain.startswith(TIP_PREFIX) or any(plain in t for t in known.values())
                )):
                    raise ConfigError(f"{file}: unknown message {key!r} ({lang})")
                if key in merged[lang]:
                    raise ValueError(f"{file.name}: message {key!r} ({lang}) is defined twice")
                merged[lang][key] = str(text).strip()
    return merged
