"""Family members, the participant's consent to tell them things, and every disclosure made.

42 CFR Part 2: saying anything about a participant to anyone (even that they are a participant)
is a disclosure that needs their written consent naming the recipient, what may be shared, the
purpose, an expiry and how to revoke it; every disclosure is recorded for an accounting.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow

# pending_participant: staff entered it, waiting for the participant's "YES <code>".
# pending_family: the participant signed, the family member is invited, waiting for their YES.
# active: updates flow. revoked / expired: ended for good (a new consent starts over).
CONSENT_STATES = ("pending_participant", "pending_family", "active", "revoked", "expired")
LIVE_CONSENT_STATES = ("pending_participant", "pending_family", "active")
CONTACT_STATES = ("invited", "active", "stopped")


class FamilyContact(Base):
    """Someone a participant may let the program text about them."""

    __tablename__ = "family_contacts"
    __table_args__ = (UniqueConstraint("participant_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    relationship: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="invited")
    # Set once the family member has actually been texted: before that the number is a stranger.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def first_name(self) -> str:
        """The first word of the name, as used in short texts."""
        return (self.name.split() or [self.name])[0]


class Consent(Base):
    """One participant's consent (42 CFR 2.31) to tell one family member specific things."""

    __tablename__ = "family_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    family_contact_id: Mapped[int] = mapped_column(ForeignKey("family_contacts.id"), index=True)
    discloser: Mapped[str] = mapped_column(String(200))  # the clinic, from the program file
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_phone: Mapped[str] = mapped_column(String(20), index=True)
    relationship: Mapped[str] = mapped_column(String(60))
    scopes: Mapped[list] = mapped_column(JSON)  # subset of bot.rules.family_scopes.SCOPES
    purpose: Mapped[str] = mapped_column(String(200))
    expires_on: Mapped[date] = mapped_column(Date)  # nothing is disclosed on or after this date
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # its first instant, participant's tz
    how_to_revoke: Mapped[str] = mapped_column(String(300))
    consent_text: Mapped[str] = mapped_column(Text)  # exactly what the participant was asked
    state: Mapped[str] = mapped_column(String(20), default="pending_participant", index=True)
    code_hash: Mapped[str] = mapped_column(String(100))  # "salt$sha256"; the code is never kept
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The participant's signature: their own "YES <code>" text.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_message_sid: Mapped[str | None] = mapped_column(String(40))
    signed_message_log_id: Mapped[int | None] = mapped_column(ForeignKey("message_log.id"))
    family_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    family_join_message_sid: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Disclosure(Base):
    """One text telling a family member about a participant (42 CFR 2.25 accounting)."""

    __tablename__ = "family_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("family_consents.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(80))  # "invitation", "attendance,summary", ...
    body: Mapped[str] = mapped_column(Text)  # exactly what was sent
    occurrence: Mapped[str] = mapped_column(String(200), unique=True)  # the outbox dedupe key
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
