"""One inbound text being handled: who sent it, what they said, and what we answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import MessageLog
from bot.program import Program
from bot.runtime import Runtime
from bot.services.inbound.party import InboundMessage, Party, Sender
from bot.services.inbound.records import store_inbound
from bot.triage import TriageRules
from bot.triage.reply import Reply

__all__ = ["InboundMessage", "Party", "Turn"]


@dataclass
class Turn:
    """Everything an intent handler needs; handlers add replies and pages to it."""

    session: Session
    runtime: Runtime
    message: InboundMessage
    party: Party
    now: datetime
    reply: Reply | None = None  # the text read once (parse_reply), in its context
    sender: Sender | None = None  # what the sender was asked last (the party lookup)
    entry: MessageLog | None = None  # the text's log row, once a handler needed its id
    opted_out: bool = False
    replies: list[str] = field(default_factory=list)
    page_ids: list[int] = field(default_factory=list)  # outbox rows the web process sends now
    intent: str | None = None

    @property
    def log(self) -> MessageLog:
        """The text's log row, written when first needed (most texts need it only at the end,
        where it is written with the replies)."""
        if self.entry is None:
            self.entry = store_inbound(self.session, self.message, self.party)
        return self.entry

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
