"""Counselor texts: ACK 42, DONE 42 [note], ALERTS. Never read as a participant's words."""

from __future__ import annotations

import re

from bot.services.alert_actions import AlertError, acknowledge, open_alerts_for, resolve
from bot.services.alerts import who
from bot.triage.reply import Reply
from handlers.turn import Turn

COMMAND = re.compile(
    r"^\s*(?P<verb>ack|done|alerts)(?![a-z])\s*#?\s*(?P<id>\d{1,9})?\s*[.:,-]?\s*(?P<note>.*?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
LIST_LIMIT = 8
ERROR_KEYS = {
    "unknown": "counselor.alert.unknown",
    "not_yours": "counselor.alert.not_yours",
    "already": "counselor.alert.already",
    "resolved": "counselor.alert.resolved",
}


def _list(turn: Turn) -> bool:
    alerts = open_alerts_for(turn.session, turn.party.counselor, turn.program, turn.now,
                             limit=LIST_LIMIT + 1)
    if not alerts:
        return turn.answer("alerts", "counselor.alerts.none")
    items = [f"{a.id} {a.level.upper()} {who(turn.session, a)}"
             + (" (acked)" if a.state == "acknowledged" else "") for a in alerts[:LIST_LIMIT]]
    if len(alerts) > LIST_LIMIT:
        items.append("more: iopbot alert list --open")
    return turn.answer("alerts", "counselor.alerts.list", items="; ".join(items))


def _only_open_id(turn: Turn) -> int | None:
    mine = open_alerts_for(turn.session, turn.party.counselor, turn.program, turn.now)
    waiting = [a for a in mine if a.state == "open"]
    if len(waiting) == 1:
        return waiting[0].id
    ids = ", ".join(str(a.id) for a in waiting) or "none"
    turn.answer("ack", "counselor.ack.which", ids=ids)
    return None


def handle(turn: Turn, reply: Reply) -> bool:
    """Run a counselor command; anything else falls through to the list of commands."""
    match = COMMAND.match(turn.message.body)
    if not match:
        return False
    verb, number, note = match["verb"].lower(), match["id"], match["note"]
    if verb == "alerts":
        return False if number or note else _list(turn)
    if number is None:
        if verb == "done" or note:
            return False
        alert_id = _only_open_id(turn)  # a bare ACK with exactly one waiting alert
        if alert_id is None:
            return True
    else:
        alert_id = int(number)
    counselor, via = turn.party.counselor, f"sms:{turn.message.sid}"
    try:
        if verb == "ack":
            acknowledge(turn.session, turn.runtime, alert_id, counselor, now=turn.now, via=via)
            return turn.answer("ack", "counselor.ack.ok", id=alert_id)
        resolve(turn.session, turn.runtime, alert_id, counselor, now=turn.now, via=via,
                note=note or None)
        return turn.answer("done", "counselor.done.ok", id=alert_id)
    except AlertError as exc:
        return turn.answer(verb, ERROR_KEYS[exc.code], **exc.values)
