"""The clock process: APScheduler fires each job on the partnership's schedule, in its zone.

The schedule is only a hint; the database is the lock (see jobs.delivery). Every few minutes,
and at start, the clock also looks for a run that should have happened but did not (the process
was down at Monday 09:00) and does it once, late, while it is still useful.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.db import session_scope
from bot.models import Partnership, utcnow
from bot.services.rights import Rights, sending_paused
from bot.services.schedule import Schedule, When
from bot.services.updates import DRAFT_LIFETIME, forget_old_drafts
from bot.slack.client import DependableClient
from bot.slack.redraws import redraw_messages
from jobs import digest, nudges, reminders, retention
from jobs.context import JobContext

log = logging.getLogger("partnerbot.clock")

CATCH_UP_EVERY = timedelta(minutes=5)
DRAFT_SWEEP_EVERY = timedelta(minutes=5)
HOUSEKEEPING_REDRAWS = 1000  # a run's share of messages to redraw (Slack allows ~50 a minute)


def housekeeping(context: JobContext, fire: datetime) -> str:
    """Forget event ids, finished requests and settled sends older than the retention policy
    says, and held drafts a day old; redraw in Slack what an erasure rewrote and Slack did not
    take then."""
    rights = Rights(context.engine, context.zone)
    forgotten = rights.retention(
        fire, dry_run=context.dry_run, only=("event ids", "requests", "sends")
    )
    drafts = forget_old_drafts(context.engine, fire, dry_run=context.dry_run)
    verb = "would forget" if context.dry_run else "forgot"
    summary = (
        f"{verb} {forgotten['event ids']} Slack event ids too old to be retried, "
        f"{forgotten['requests']} finished requests, {forgotten['sends']} settled sends "
        f"and {drafts} held drafts older than a day"
    )
    if context.dry_run or context.client is None:
        waiting = len(rights.redraws())
        return summary + (f"; would redraw {waiting} messages erasures rewrote" if waiting else "")
    if sending_paused(context.engine):
        return summary + "; redrawing waits: sending is paused"
    redrawn = redraw_messages(context.client, rights, limit=HOUSEKEEPING_REDRAWS)
    if redrawn.redrawn or redrawn.problems or redrawn.left:
        summary += f"; messages erasures rewrote: {redrawn}"
    return summary


def sweep_drafts(context: JobContext, now: datetime | None = None) -> int:
    """Delete held drafts before they are a day old, every few minutes whatever the partnership's
    schedule says, so "held text is kept at most a day" holds while the clock runs."""
    if context.dry_run:
        return 0
    return forget_old_drafts(
        context.engine, now or utcnow(), older_than=DRAFT_LIFETIME - DRAFT_SWEEP_EVERY
    )


def sweep_drafts_safely(context: JobContext) -> None:
    try:
        forgotten = sweep_drafts(context)
    except Exception:
        log.exception("forgetting old drafts failed; the next sweep will try again")
        return
    if forgotten:
        log.info("forgot %s held drafts before they were a day old", forgotten)


JOBS: dict[str, Callable[[JobContext, datetime], str]] = {
    "digest": digest.run,
    "housekeeping": housekeeping,
    reminders.HOTDESK_JOB: reminders.hotdesk,
    reminders.OPPORTUNITY_JOB: reminders.opportunities,
    nudges.JOB: nudges.run,
    retention.JOB: retention.run,
}
WORKS_WHILE_PAUSED = {"housekeeping", retention.JOB}  # they send nothing while paused


class UnknownJob(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no job called {name!r}; jobs: {', '.join(sorted(JOBS))}")


def trigger(when: When, context: JobContext) -> CronTrigger:
    if when.every_minutes:
        return CronTrigger(minute=f"*/{when.every_minutes}", timezone=context.zone)
    return CronTrigger(
        day_of_week=when.day_of_week, hour=when.hour, minute=when.minute, timezone=context.zone
    )


def latest_fire(when: When, context: JobContext, now: datetime) -> datetime | None:
    """The last time the schedule fired at or before `now` (within the past eight days)."""
    cron = trigger(when, context)
    fire = cron.get_next_fire_time(None, now - timedelta(days=8))
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = cron.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def schedule_of(context: JobContext) -> Schedule:
    with session_scope(context.engine) as session:
        return Schedule.from_json((session.get(Partnership, 1) or Partnership()).schedule)


def run_job(name: str, context: JobContext, now: datetime | None = None) -> str:
    """Run one job for its latest scheduled time at or before `now`, as the clock would."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJob(name)
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:  # a time typed without a zone is the partnership's local time
        now = now.replace(tzinfo=context.zone)
    if name not in WORKS_WHILE_PAUSED and sending_paused(context.engine):
        return f"{name}: paused — the app was uninstalled or its token revoked; nothing sent"
    fire = latest_fire(schedule_of(context).jobs[name], context, now)
    if fire is None:
        return f"{name}: not scheduled in the week before {now:%Y-%m-%d %H:%M}"
    summary = job(context, fire)
    log.info("job %s: %s", name, summary)
    return summary


def catch_up(context: JobContext, now: datetime | None = None) -> list[str]:
    """Run every job whose latest time has passed within the catch-up window (claims stop twins)."""
    now = now or utcnow()
    schedule = schedule_of(context)
    done = []
    for name, when in schedule.jobs.items():
        fire = latest_fire(when, context, now)
        if fire is not None and now - fire <= timedelta(hours=schedule.catch_up_hours):
            done.append(f"{name}: {run_safely(name, context, now)}")
    return done


def run_safely(name: str, context: JobContext, now: datetime | None = None) -> str:
    """One job's failure (the database gone for a moment, Slack down) never stops the clock."""
    try:
        return run_job(name, context, now)
    except Exception:
        log.exception("job %s failed; the next catch-up will try again", name)
        return "failed; the next catch-up will try again"


def job_client(settings: Settings) -> WebClient:
    """The clock's Slack client waits out 429s and retries 5xx with backoff."""
    return DependableClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(2)],
    )


def build_scheduler(context: JobContext) -> BlockingScheduler:
    """Each job on the partnership's schedule, the catch-up, and the sweep of old drafts."""
    schedule = schedule_of(context)
    scheduler = BlockingScheduler(timezone=context.zone)
    for name, when in schedule.jobs.items():
        scheduler.add_job(
            run_safely,
            trigger(when, context),
            args=[name, context],
            id=name,
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
    scheduler.add_job(
        catch_up, IntervalTrigger(seconds=CATCH_UP_EVERY.total_seconds()), args=[context],
        id="catch-up", max_instances=1, coalesce=True,
    )  # fmt: skip
    scheduler.add_job(
        sweep_drafts_safely, IntervalTrigger(seconds=DRAFT_SWEEP_EVERY.total_seconds()),
        args=[context], id="drafts", max_instances=1, coalesce=True,
    )  # fmt: skip
    return scheduler


def run_clock(context: JobContext) -> None:
    scheduler = build_scheduler(context)
    log.info(
        "clock started in %s: %s",
        context.zone,
        ", ".join(f"{n} {w}" for n, w in schedule_of(context).jobs.items()),
    )
    sweep_drafts_safely(context)
    for line in catch_up(context):
        log.info("catch-up at start: %s", line)
    scheduler.start()
