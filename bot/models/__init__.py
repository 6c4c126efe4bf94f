"""All tables; importing this package registers every model on Base.metadata."""

from bot.models import family, schedule  # noqa: F401  (feature tables register on import)
from bot.models.alerts import Alert, AlertEvent
from bot.models.audit import AuditEvent
from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.groups import Group
from bot.models.inbox import ConsoleReply, InboxReview
from bot.models.messaging import MessageLog, OutboxMessage, SendPacing
from bot.models.people import Counselor, Participant, PhoneNumber
from bot.models.screening import ScreeningQuestion
from bot.models.staff import (
    AppSecret,
    LoginFailure,
    SetPasswordToken,
    StaffAccount,
    StaffSession,
)
from bot.models.staffing import AccountProblem, FormerPhone, OnCallOverride, OnCallShift

__all__ = [
    "Alert", "AlertEvent", "AuditEvent", "Base", "Counselor", "Group", "MessageLog",
    "OutboxMessage", "Participant", "PhoneNumber", "SendPacing", "UTCDateTime", "utcnow",
    "AccountProblem", "FormerPhone", "OnCallOverride", "OnCallShift",
    "ScreeningQuestion",
    "ConsoleReply", "InboxReview",
    "AppSecret", "LoginFailure", "SetPasswordToken", "StaffAccount", "StaffSession",
]
