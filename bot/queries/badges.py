"""Status badges for a participant: opted out, number flagged by Twilio, paused, discharged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.models import Participant, PhoneNumber

FLAGS = {
    "landline": "number is a landline: texts can't reach it",
    "invalid": "number is invalid",
    "not_mobile": "number can't get texts (not a mobile)",
    "unreachable": "number unreachable: texts keep failing",
    "unknown_handset": "number unknown to the carrier: it may belong to someone else now",
    "carrier_filtered": "carrier is filtering our texts",
    "whatsapp_template_needed": "WhatsApp window closed",
}


@dataclass(frozen=True)
class Badge:
    """One status shown next to a participant's name; `tone` picks its style and icon."""

    label: str
    detail: str
    tone: str  # stop | warn | info


def badges(session: Session, participant: Participant) -> list[Badge]:
    """Every status a counselor should see before reading or texting this participant."""
    out: list[Badge] = []
    number = session.get(PhoneNumber, participant.phone)
    if number is not None and number.opted_out:
        since = f" since {number.opted_out_at:%Y-%m-%d}" if number.opted_out_at else ""
        out.append(Badge("Opted out", f"replied STOP{since}: no texts until they text START",
                         "stop"))
    if number is not None and number.flag:
        code = f" (Twilio {number.flag_code})" if number.flag_code else ""
        out.append(Badge("Number flagged",
                         FLAGS.get(number.flag, number.flag.replace("_", " ")) + code, "warn"))
    if participant.status == "paused":
        until = (f" until {participant.paused_until:%Y-%m-%d}" if participant.paused_until
                 else " until resumed")
        out.append(Badge("Paused", "no daily check-ins" + until, "info"))
    if participant.status == "discharged":
        when = (f" on {participant.discharged_at:%Y-%m-%d}" if participant.discharged_at else "")
        out.append(Badge("Discharged", f"discharged{when}: nothing is sent", "stop"))
    return out
