"""Counselors, participants and the state of each phone number we text."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, UTCDateTime, utcnow

PARTICIPANT_STATUSES = ("active", "paused", "discharged")


class Counselor(Base):
    """A staff member who gets alerts and acknowledges them by text."""

    __tablename__ = "counselors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participants: Mapped[list[Participant]] = relationship(back_populates="counselor")


class Participant(Base):
    """Someone in the program who gets reminders and check-ins."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # the name they want to be called
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default="sms")  # sms | whatsapp
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5), default="en")
    wording: Mapped[str | None] = mapped_column(String(20))  # plain | warm | None (standard)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("counselors.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    checkin_time: Mapped[str] = mapped_column(String(5))  # HH:MM local
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_source: Mapped[str] = mapped_column(String(200))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    counselor: Mapped[Counselor] = relationship(back_populates="participants")

    @property
    def first_name_initial(self) -> str:
        """'Alex R.' style short reference used in staff alerts (minimum necessary)."""
        parts = self.name.split()
        if len(parts) > 1:
            return f"{parts[0]} {parts[-1][0]}."
        return parts[0] if parts else f"#{self.id}"


class PhoneNumber(Base):
    """What we know about a number: opted out of texts, or flagged undeliverable."""

    __tablename__ = "phone_numbers"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag: Mapped[str | None] = mapped_column(String(40))  # invalid | landline | reassigned? ...
    flag_code: Mapped[int | None] = mapped_column(Integer)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
