"""Opt-out, opt-in and HELP: honoured for everyone, before anything else."""

from __future__ import annotations

from bot.services.opt_out import set_opted_in, set_opted_out, warn_colleagues
from bot.triage.reply import Reply
from handlers import crisis
from handlers.turn import Turn

# Twilio Advanced Opt-Out tells us (OptOutType) when it matched a keyword and answered itself.
TWILIO_OPT_OUT_TYPES = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}


def handle(turn: Turn, reply: Reply) -> bool:
    """Answer STOP/START/HELP words and plain opt-out phrases.

    When Twilio's Advanced Opt-Out already answered (OptOutType), the change is recorded and
    the crisis check still runs, but we send no second confirmation.
    """
    by_twilio = TWILIO_OPT_OUT_TYPES.get(turn.message.opt_out_type or "")
    kind = by_twilio or reply.keyword
    phone, now = turn.message.phone, turn.now

    def confirm(intent: str, key: str | None) -> bool:
        return turn.answer(intent, None if by_twilio else key)

    if kind == "opt_out":
        in_crisis = crisis.behind_opt_out(turn, reply)
        how = "advanced_opt_out" if turn.message.opt_out_type == "STOP" else "text"
        if set_opted_out(turn.session, phone, now, f"{turn.party.kind}:{how}"):
            turn.opted_out = True
            if turn.party.counselor is not None:
                warn_colleagues(turn.session, turn.program, turn.party.counselor,
                                message_sid=turn.message.sid, now=now)
            if in_crisis:  # the one allowed confirmation also says where help is
                key = "optout.confirm_crisis" if turn.party.participant else "optout.confirm_safe"
                return confirm("opt_out", key)
            return confirm("opt_out", "optout.confirm")
        return turn.answer("opt_out")  # one confirmation only
    if kind == "opt_in":
        if set_opted_in(turn.session, phone, now, f"{turn.party.kind}:text"):
            turn.opted_out = False
            return confirm("opt_in", "optin.again")
        if by_twilio or reply.normalized != "yes":
            return confirm("opt_in", "optin.again")
        return False  # a plain "yes" from someone opted in is an answer, not a keyword
    if kind == "help":
        return confirm("help", "help")
    return False
