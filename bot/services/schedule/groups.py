"""Therapy groups: adding, listing, membership, and syncing the program file's `groups:` list."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Group, Participant
from bot.program import parse_timezone
from bot.rules.weekly import parse_weekly

NAME_CHARS, LOCATION_CHARS = 80, 200  # Group.name VARCHAR(80), Group.location VARCHAR(200)


class GroupError(ValueError):
    """A group cannot be added or used as asked; the message says why in one line."""


def add_group(
    session: Session, *, name: str, timezone: str, weekly: str | None, location: str | None,
    now: datetime, actor: str = "staff:cli",
) -> Group:
    """Add a group after checking its name, time zone and weekly pattern."""
    name = (name or "").strip()
    if not name:
        raise GroupError("a group needs a name")
    if len(name) > NAME_CHARS:
        raise GroupError(f"--name must be at most {NAME_CHARS} characters")
    if location and len(location) > LOCATION_CHARS:
        raise GroupError(f"--location must be at most {LOCATION_CHARS} characters")
    if session.scalar(select(Group.id).where(Group.name == name)):
        raise GroupError(f"a group named {name!r} already exists")
    parse_timezone(timezone)
    pattern = str(parse_weekly(weekly)) if weekly else None
    group = Group(name=name, timezone=timezone, weekly=pattern, location=location or None,
                  created_at=now)
    session.add(group)
    session.flush()
    audit.record(session, "group.added", now=now, actor=actor, subject_type="group",
                 subject_id=group.id, weekly=pattern)
    return group


def find_group(session: Session, name: str) -> Group:
    """The group called `name`, or GroupError."""
    group = session.scalar(select(Group).where(Group.name == (name or "").strip()))
    if group is None:
        raise GroupError(f"no group named {name!r}")
    return group


def set_membership(
    session: Session, participant: Participant, group: Group | None, now: datetime
) -> None:
    """Put a participant in `group` (or none); a participant belongs to at most one group."""
    participant.group_id = group.id if group else None
    audit.record(session, "participant.group_changed", now=now, actor="staff:cli",
                 subject_type="participant", subject_id=participant.id,
                 group=group.name if group else None)


def program_groups_digest(entries: list[dict[str, Any]]) -> str:
    """A stable digest of the program file's `groups:` list (re-sync only when it changes)."""
    return hashlib.sha256(json.dumps(entries, sort_keys=True, default=str).encode()).hexdigest()


def sync_program_groups(
    session: Session, entries: list[dict[str, Any]], default_timezone: str, now: datetime
) -> list[int]:
    """Create or update the groups listed in the program file; returns ids whose pattern changed."""
    changed = []
    for entry in entries:
        name = str(entry.get("name") or "").strip()
        timezone = str(entry.get("timezone") or default_timezone)
        weekly = entry.get("weekly")
        parse_timezone(timezone)
        pattern = str(parse_weekly(str(weekly))) if weekly else None
        group = session.scalar(select(Group).where(Group.name == name))
        if group is None:
            add_group(session, name=name, timezone=timezone, weekly=pattern,
                      location=entry.get("location"), now=now, actor="program-file")
            continue
        if (group.timezone, group.weekly) != (timezone, pattern):
            changed.append(group.id)
        group.timezone, group.weekly = timezone, pattern
        group.location = entry.get("location") or None
    return changed


def validate_program_groups(entries: Any) -> list[dict[str, Any]]:
    """Check the program file's `groups:` list; raise GroupError naming the bad entry."""
    if entries in (None, []):
        return []
    if not isinstance(entries, list):
        raise GroupError("program file: groups must be a list")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise GroupError(f"program file: groups entry {number} needs a name")
        try:
            if entry.get("timezone"):
                parse_timezone(str(entry["timezone"]))
            if entry.get("weekly"):
                parse_weekly(str(entry["weekly"]))
        except ValueError as exc:
            raise GroupError(f"program file: group {entry['name']!r}: {exc}") from None
    return entries
