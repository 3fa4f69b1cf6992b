"""The clock process: APScheduler runs each job on its schedule in the partnership's zone.

Jobs are declared here with their schedule (never between 01:00 and 03:00, when clocks change).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.config import Settings
from bot.models import utcnow
from bot.services.events import forget_old_events
from bot.services.updates import forget_old_drafts

log = logging.getLogger("partnerbot.clock")


@dataclass(frozen=True)
class Job:
    """A job's work, `run(engine, now, dry_run) -> summary`, and when the clock runs it."""

    run: Callable[[Engine, datetime, bool], str]
    day_of_week: str
    hour: int
    minute: int


def housekeeping(engine: Engine, now: datetime, dry_run: bool) -> str:
    events = forget_old_events(engine, now, dry_run=dry_run)
    drafts = forget_old_drafts(engine, now, dry_run=dry_run)
    verb = "would forget" if dry_run else "forgot"
    return (
        f"{verb} {events} Slack event ids too old to be retried "
        f"and {drafts} held drafts older than a day"
    )


JOBS: dict[str, Job] = {
    "housekeeping": Job(housekeeping, day_of_week="mon-sun", hour=4, minute=30),
}


class UnknownJob(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no job called {name!r}; jobs: {', '.join(sorted(JOBS))}")


def run_job(name: str, engine: Engine, now: datetime | None = None, dry_run: bool = False) -> str:
    """Run one job as of `now` (default: the present), as the clock or `run-job` does."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJob(name)
    summary = job.run(engine, now or utcnow(), dry_run)
    log.info("job %s: %s", name, summary)
    return summary


def run_clock(settings: Settings, engine: Engine) -> None:
    scheduler = BlockingScheduler(timezone=settings.zone)
    for name, job in JOBS.items():
        scheduler.add_job(
            run_job,
            CronTrigger(
                day_of_week=job.day_of_week,
                hour=job.hour,
                minute=job.minute,
                timezone=settings.zone,
            ),
            args=[name, engine],
            id=name,
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
    log.info("clock started in %s with jobs: %s", settings.timezone, ", ".join(JOBS))
    scheduler.start()
