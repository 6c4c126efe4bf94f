"""When the clock process last finished a pass (read by `iopbot doctor`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime


class ClockPass(Base):
    """A single row (id 1): the end of the clock's latest successful pass."""

    __tablename__ = "clock_pass"

    id: Mapped[int] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
