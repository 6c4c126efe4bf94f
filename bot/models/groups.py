"""Therapy groups that participants belong to (table: `bot.tables.groups`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped

from bot import tables
from bot.models.base import Base


class Group(Base):
    """A therapy group with a weekly meeting pattern."""

    __table__ = tables.groups

    id: Mapped[int]
    name: Mapped[str]
    timezone: Mapped[str]
    weekly: Mapped[str | None]  # "mon,wed,thu 18:00-21:00"
    location: Mapped[str | None]
    created_at: Mapped[datetime]
