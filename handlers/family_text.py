"""Family texts: the participant's consent commands, and what family members may ask.

Nothing here ever puts participant information in a reply: participants get confirmations
about their own consents; family members get fixed templates that name no one.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.models.family import Consent
from bot.services.family.codes import code_in
from bot.services.family.consent import join, sign
from bot.services.family.notes import forward_family_note, request_setup
from bot.services.family.revoke import live_consents, revoke_named
from bot.triage.reply import Reply
from handlers.turn import Turn

ADD = re.compile(r"^(?:add|agregar|anadir)\s+(?:a\s+|un\s+)?(?:family|familia|familiar)"
                 r"(?:\s+member)?$")
STOP_ALL = re.compile(
    r"^(?:stop|end|cancel)\s+(?:all\s+)?family(?:\s+updates?)?$"
    r"|^no\s+more\s+family\s+updates$"
    r"|^(?:parar|detener|terminar)\s+(?:los\s+)?avisos\s+(?:a\s+la\s+|de\s+)?familia$"
)
REVOKE = re.compile(r"^(?:revoke|revocar)\s+(.+)$")
JOIN = frozenset({"yes", "y", "si", "join", "unirme"})
NOTE = re.compile(
    r"^\s*(?:(?:message|msg|note)\s+(?:for|to)\s+(?:the\s+|my\s+)?"
    r"(?:counselou?r|care\s+team|team)"
    r"|(?:mensaje|nota)\s+(?:para|al?)\s+(?:el\s+|la\s+)?(?:consejer[oa]|equipo))"
    r"\s*[:,.-]?\s*(?P<note>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def participant(turn: Turn, reply: Reply) -> bool:
    """"YES <code>", "stop family updates", "REVOKE <name>" and "add family" from a participant."""
    who = turn.party.participant
    if who is None:
        return False
    code = code_in(turn.message.body)
    if code is not None:
        signed = sign(turn.session, turn.program, who, code, message_sid=turn.message.sid,
                      message_log_id=turn.log.id, now=turn.now)
        if signed.outcome != "confirmed":
            return turn.answer("family_consent_refused", f"family.consent.{signed.outcome}")
        c = signed.consent
        return turn.answer("family_consent", "family.consent.confirmed",
                           recipient=c.recipient_name, recipient_first=c.recipient_name.split()[0])
    text = reply.normalized
    revoke_match = REVOKE.match(text)
    name = revoke_match.group(1) if revoke_match else None
    if STOP_ALL.match(text) or name in ("all", "family", "todos", "todo"):
        return _revoke(turn, None)
    if name:
        return _revoke(turn, name)
    if ADD.match(text):
        request_setup(turn.session, turn.program, who, turn.now)
        return turn.answer("family_add", "family.add.reply")
    return False


def _revoke(turn: Turn, name: str | None) -> bool:
    who = turn.party.participant
    if not live_consents(turn.session, who.id):
        return turn.answer("family_revoke", "family.revoked.none")
    ended = revoke_named(turn.session, turn.program, who, name, turn.now,
                         f"participant:{who.id}")
    if name is None:
        return turn.answer("family_revoke", "family.revoked.all")
    if not ended:
        return turn.answer("family_revoke", "family.revoked.no_match", name=name)
    names = ", ".join(sorted({c.recipient_name for c in ended}))
    return turn.answer("family_revoke", "family.revoked.some", names=names)


def family(turn: Turn, reply: Reply) -> bool:
    """A family member's YES to join, a note for the counselor; anything else names no one."""
    phone = turn.message.phone
    if reply.normalized in JOIN:
        if join(turn.session, phone, message_sid=turn.message.sid, now=turn.now):
            return turn.answer("family_join", "family.joined",
                               frequency=turn.program.text("family.frequency", turn.language))
    elif forward_note(turn):
        return turn.answer("family_note", "family.note.ack")
    if _in_contact(turn):
        return turn.answer("family_other", "family.neutral")
    return False  # no consent in force: the same answer a stranger gets


def forward_note(turn: Turn) -> bool:
    """Forward a "Message for counselor: ..." text to the counselor now; True if it went."""
    match = NOTE.match(turn.message.body or "")
    if not match or not re.search(r"\w", match["note"]):
        return False
    ids = forward_family_note(turn.session, turn.program, turn.message.phone, match["note"],
                              message_sid=turn.message.sid, now=turn.now)
    turn.page_ids.extend(ids)
    return bool(ids)


def _in_contact(turn: Turn) -> bool:
    return bool(turn.session.scalar(select(Consent.id).where(
        Consent.recipient_phone == turn.message.phone,
        Consent.state.in_(("pending_family", "active")), Consent.expires_at > turn.now,
    )))
