"""Who may change what on the roster from the console (seeing a participant is access.py's rule)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.access import StaffLike
from bot.models import Participant


@dataclass(frozen=True)
class RosterRights:
    """What the signed-in person may change about one participant."""

    basics: bool = False  # preferred name and check-in time
    details: bool = False  # phone, time zone, language, group, counselor
    pause: bool = False  # pause and resume check-ins
    discharge: bool = False  # discharge and re-admit

    @property
    def any(self) -> bool:
        """True when they may change anything at all."""
        return self.basics or self.details or self.pause or self.discharge


def may_enrol(staff: StaffLike) -> bool:
    """Only supervisors enrol participants from the console."""
    return staff.role == "supervisor"


def roster_rights(staff: StaffLike, participant: Participant) -> RosterRights:
    """A supervisor may change everything; a counselor the basics and pausing, and only for
    their own caseload (not for people they see through an alert); an admin nothing."""
    if staff.role == "supervisor":
        return RosterRights(basics=True, details=True, pause=True, discharge=True)
    own = staff.counselor_id is not None and participant.counselor_id == staff.counselor_id
    if staff.role == "counselor" and own:
        return RosterRights(basics=True, pause=True)
    return RosterRights()
