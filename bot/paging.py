"""Crisis pages from the web process, sent off the request path.

The webhook commits a page's outbox row with the text that caused it, then hands the row ids
to this process's page sender and answers Twilio at once: a web worker never waits on Twilio.
A few daemon threads per process (started on first use, so after gunicorn forks) send the rows
with the same row claims as every sender, so a page the clock claims first is not sent twice,
and a page this process never got to stays pending for the clock's next pass. Each row is its
own job: a crisis's pages (the participant's counselor and whoever is on call) go out at the
same time on different threads, not one after the other.
"""

from __future__ import annotations

import logging
import os
import queue
import threading

from bot.runtime import Runtime
from bot.sending import send_now

log = logging.getLogger(__name__)
THREADS = 4  # pages in flight per web process; a slow Twilio holds one thread per page


class PageSender:
    """A queue of pages and the threads that send them, one page per job."""

    def __init__(self, threads: int = THREADS) -> None:
        self.pid = os.getpid()
        self.queue: queue.Queue[tuple[Runtime, list[int]]] = queue.Queue()
        for n in range(threads):
            threading.Thread(target=self._run, name=f"pages-{n}", daemon=True).start()

    def submit(self, runtime: Runtime, ids: list[int]) -> None:
        """Queue each of `ids` as its own job, so they are sent in parallel; returns at once."""
        for page_id in dict.fromkeys(ids):
            self.queue.put((runtime, [page_id]))

    def wait_idle(self) -> None:
        """Block until every queued batch was handled (tests, and an orderly shutdown)."""
        self.queue.join()

    def _run(self) -> None:
        while True:
            runtime, ids = self.queue.get()
            try:
                send_now(runtime, ids)
            except Exception:  # the rows stay pending (or are recovered): the clock sends them
                log.exception("immediate page send failed; the clock will retry outbox %s", ids)
            finally:
                self.queue.task_done()


_sender: PageSender | None = None
_lock = threading.Lock()


def page_sender() -> PageSender:
    """This process's page sender, started on first use (a forked worker starts its own)."""
    global _sender
    with _lock:
        if _sender is None or _sender.pid != os.getpid():
            _sender = PageSender()
        return _sender


def send_pages_soon(runtime: Runtime, ids: list[int]) -> None:
    """Hand committed page rows to this process's page sender; never blocks on Twilio."""
    if ids:
        page_sender().submit(runtime, ids)


def wait_for_pages() -> None:
    """Block until this process's page sender has handled everything queued (tests)."""
    if _sender is not None and _sender.pid == os.getpid():
        _sender.wait_idle()
