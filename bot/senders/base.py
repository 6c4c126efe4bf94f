"""What a transport promises, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass
class SendError(Exception):
    """A send that did not go through: Twilio's error code and HTTP status when known."""

    message: str
    code: int | None = None
    status: int | None = None
    transient: bool = False  # a timeout or connection failure: the request may not have landed

    def __str__(self) -> str:
        return f"{self.message} (code={self.code}, status={self.status})"


class Transport(Protocol):
    """Sends one text; only the sender calls it."""

    name: str

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        """Send `body` to address `to`; return the provider's message id or raise SendError."""

    def warm(self) -> None:
        """Load what the first send needs, before serving (optional; a no-op by default)."""

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The id of a message already accepted for `to` with `body` since `since`, if any."""
