"""One inbound text being handled: who sent it, what they said, and what we answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Counselor, MessageLog, Participant
from bot.program import Program
from bot.runtime import Runtime
from bot.triage import Triage, TriageRules, triage


@dataclass(frozen=True)
class InboundMessage:
    """A text as Twilio delivered it, already validated and normalised."""

    sid: str
    phone: str  # E.164
    channel: str  # sms | whatsapp
    body: str
    received_at: datetime
    opt_out_type: str | None = None  # STOP | START | HELP when Twilio's Advanced Opt-Out answered


@dataclass
class Party:
    """Who a phone number belongs to."""

    kind: str  # participant | counselor | family | unknown
    participant: Participant | None = None
    counselor: Counselor | None = None
    family: Any = None  # a FamilyContact when kind == "family"


@dataclass
class Turn:
    """Everything an intent handler needs; handlers add replies and pages to it."""

    session: Session
    runtime: Runtime
    message: InboundMessage
    party: Party
    log: MessageLog
    now: datetime
    opted_out: bool = False
    replies: list[str] = field(default_factory=list)
    page_ids: list[int] = field(default_factory=list)  # outbox rows the web process sends now
    intent: str | None = None
    reading: Triage | None = None  # the text's plain triage, read once (see `read`)

    def read(self) -> Triage:
        """The text triaged without context (crisis and screening checks), computed once."""
        if self.reading is None:
            self.reading = triage(self.message.body, rules=self.rules)
        return self.reading

    @property
    def program(self) -> Program:
        """The clinic's program file."""
        return self.runtime.program

    @property
    def rules(self) -> TriageRules:
        """The clinic's triage rules, loaded once per process into the runtime."""
        return self.runtime.rules

    @property
    def language(self) -> str:
        """The sender's language (participants choose; others get the default)."""
        if self.party.participant is not None:
            return self.party.participant.language
        family = self.party.family
        return getattr(family, "language", None) or self.program.default_language

    @property
    def style(self) -> str | None:
        """The participant's chosen wording style, if any."""
        return self.party.participant.wording if self.party.participant else None

    def say(self, key: str, **values: Any) -> None:
        """Reply with message `key` in the sender's language."""
        self.replies.append(self.program.text(key, self.language, self.style, **values))

    def answer(self, intent: str, key: str | None = None, **values: Any) -> bool:
        """Mark the turn handled as `intent`, optionally replying with `key`; returns True."""
        self.intent = intent
        if key:
            self.say(key, **values)
        return True
