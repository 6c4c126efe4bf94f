"""Prints outgoing texts, one per line: the embedded default when Twilio is not configured."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import TextIO


class ConsoleTransport:
    """Writes `SMS to <address>: <body>` lines instead of texting."""

    name = "console"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        """Print the text on one line and return a local id."""
        flat = " ".join(body.split())
        with self._lock:
            sid = f"console-{uuid.uuid4().hex}"  # unique across processes and restarts
            print(f"SMS to {to}: {flat}", file=self.stream, flush=True)
        return sid

    def warm(self) -> None:
        """Nothing to load."""

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The console keeps no record, so an interrupted send is printed again."""
        return None
