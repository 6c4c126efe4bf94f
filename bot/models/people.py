"""Counselors, participants and the state of each phone number we text.

Their tables are defined in `bot.tables` (commands list them without the ORM); the classes
here map them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped, relationship

from bot import tables
from bot.models.base import Base
from bot.tables import PARTICIPANT_STATUSES

__all__ = ["PARTICIPANT_STATUSES", "Counselor", "Participant", "PhoneNumber"]


class Counselor(Base):
    """A staff member who gets alerts and acknowledges them by text."""

    __table__ = tables.counselors

    id: Mapped[int]
    name: Mapped[str]
    phone: Mapped[str]
    on_call: Mapped[bool]
    supervisor: Mapped[bool]
    active: Mapped[bool]
    created_at: Mapped[datetime]

    participants: Mapped[list[Participant]] = relationship(back_populates="counselor")


class Participant(Base):
    """Someone in the program who gets reminders and check-ins."""

    __table__ = tables.participants

    id: Mapped[int]
    name: Mapped[str]  # the name they want to be called
    phone: Mapped[str]
    channel: Mapped[str]  # sms | whatsapp
    timezone: Mapped[str]
    language: Mapped[str]
    wording: Mapped[str | None]  # plain | warm | None (standard)
    counselor_id: Mapped[int]
    group_id: Mapped[int | None]
    status: Mapped[str]
    paused_until: Mapped[date | None]
    checkin_time: Mapped[str]  # HH:MM local
    consent_at: Mapped[datetime]
    consent_source: Mapped[str]
    enrolled_at: Mapped[datetime]
    discharged_at: Mapped[datetime | None]

    counselor: Mapped[Counselor] = relationship(back_populates="participants")

    @property
    def first_name_initial(self) -> str:
        """'Alex R.' style short reference used in staff alerts (minimum necessary)."""
        return tables.first_name_initial(self.name, self.id)


class PhoneNumber(Base):
    """What we know about a number: opted out of texts, or flagged undeliverable."""

    __table__ = tables.phone_numbers

    phone: Mapped[str]
    opted_out: Mapped[bool]
    opted_out_at: Mapped[datetime | None]
    opted_in_at: Mapped[datetime | None]
    flag: Mapped[str | None]  # invalid | landline | reassigned? ...
    flag_code: Mapped[int | None]
    flagged_at: Mapped[datetime | None]
