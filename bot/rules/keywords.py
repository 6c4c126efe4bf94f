"""Recognising opt-out, opt-in and help requests (Twilio's words plus plain phrases)."""

from __future__ import annotations

import re
import unicodedata

OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})
HELP_WORDS = frozenset({"help", "info", "ayuda"})

# The FCC lets people revoke consent "by any reasonable means": plain phrases count too.
_OPT_OUT_PHRASES = re.compile(
    r"""
    \b(?:please\s+|pls\s+|plz\s+)?(?:stop|quit|cease)\s+(?:texting|messaging|sending|contacting)
        (?:\s+me|\s+(?:texts|messages)(?:\s+to\s+me)?)?\b
    | \bno\s+more\s+(?:texts|text\s+messages|messages|txts|msgs)\b
    | \b(?:don'?t|do\s+not)\s+(?:text|message|contact)\s+me(?:\s+again|\s+anymore)?\b
    | \bunsubscribe\s+me\b
    | \b(?:take|remove)\s+me\s+off\b.*\blist\b
    | \bopt\s+(?:me\s+)?out\b
    | \bno\s+mas\s+(?:mensajes|textos)\b
    | \b(?:deja|dejen|dejar)\s+de\s+(?:enviarme|mandarme|escribirme)\b
    | \bno\s+me\s+(?:envien|manden|escriban)\s+mas\b
    | \bya\s+no\s+quiero\s+(?:recibir\s+)?(?:mensajes|textos)\b
    """,
    re.VERBOSE,
)


def normalize(text: str) -> str:
    """Lower-case, strip accents, punctuation and extra whitespace."""
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"[^\w\s']", " ", folded.lower())
    return " ".join(folded.split())


def keyword_of(text: str) -> str | None:
    """'opt_out', 'opt_in' or 'help' for a message that is one of those requests, else None."""
    norm = normalize(text)
    if norm in OPT_OUT_WORDS:
        return "opt_out"
    if norm in OPT_IN_WORDS:
        return "opt_in"
    if norm in HELP_WORDS:
        return "help"
    if len(norm) <= 120 and _OPT_OUT_PHRASES.search(norm):
        return "opt_out"
    return None
