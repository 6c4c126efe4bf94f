"""Transports that carry a text to a phone: Twilio's REST API or the console."""

from __future__ import annotations

import sys

from bot.senders.base import SendError, Transport
from bot.settings import Settings


def build_transport(settings: Settings) -> Transport:
    """The transport `settings` ask for."""
    if settings.transport == "twilio":
        from bot.senders.twilio import TwilioTransport

        return TwilioTransport(settings)
    from bot.senders.console import ConsoleTransport

    return ConsoleTransport(sys.stdout)


__all__ = ["SendError", "Transport", "build_transport"]
