"""The clock process: one APScheduler interval job that runs a pass every tick."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.runtime import Runtime
from schedules.sweep import run_pass

log = logging.getLogger(__name__)


def tick(runtime: Runtime) -> None:
    """One pass; errors are logged and the next tick tries again (nothing is lost: rows stay)."""
    try:
        report = run_pass(runtime)
    except Exception:
        log.exception("clock tick failed; the next tick will retry")
        return
    if report.sending.sent or any(report.counts.values()):  # quiet when nothing happened
        log.info("tick: %s", report.summary().replace("\n", ", "))


def build_scheduler(runtime: Runtime, *, background: bool = False) -> BaseScheduler:
    """A scheduler with the single interval job.

    coalesce=True: ticks missed while the process was busy or paused collapse into one run,
    since one pass catches up on everything due anyway. max_instances=1: a slow pass is never
    overlapped by the next. misfire_grace_time=None: a late tick still runs rather than being
    skipped. There are no per-participant jobs: what is due lives in the database.
    """
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    scheduler.add_job(
        tick, "interval", args=[runtime], id="tick", seconds=runtime.settings.tick_seconds,
        next_run_time=datetime.now(UTC), replace_existing=True,
    )
    return scheduler
