"""Declarative base and column types shared by every table."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

# The naming convention, the timestamp type and the column default live with the tables that
# commands read without the ORM (`bot.tables`): every table is on that one MetaData.
from bot.tables import NAMING, UTCDateTime, metadata, utcnow

__all__ = ["NAMING", "Base", "UTCDateTime", "utcnow"]


class Base(DeclarativeBase):
    """Base class of every iopbot table."""

    metadata = metadata
