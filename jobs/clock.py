"""The clock process: APScheduler fires each job on the partnership's schedule, in its zone.

The schedule is only a hint; the database is the lock (see jobs.delivery). Every few minutes,
and at start, the clock also looks for a run that should have happened but did not (the process
was down at Monday 09:00) and does it once, late, while it is still useful.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.config import Settings
from bot.db import session_scope
from bot.models import utcnow
from bot.partnership_cache import partnership_settings
from bot.services.rights import sending_paused
from bot.services.schedule import Schedule, When
from bot.services.updates import DRAFT_LIFETIME, forget_old_drafts
from bot.slack.client import DependableClient, InstalledBotClient, outside_requests
from jobs.context import JobContext
from jobs.registry import JOBS, find

log = logging.getLogger("partnerbot.clock")

CATCH_UP_EVERY = timedelta(minutes=5)
DRAFT_SWEEP_EVERY = timedelta(minutes=5)


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
        return Schedule.from_json(partnership_settings(session).schedule)


def run_job(name: str, context: JobContext, now: datetime | None = None) -> str:
    """Run one job for its latest scheduled time at or before `now`, as the clock would."""
    job = find(name)
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:  # a time typed without a zone is the partnership's local time
        now = now.replace(tzinfo=context.zone)
    if not job.while_paused and not installed(context):
        return (
            f"{name}: not installed yet (or uninstalled since): open /slack/install; nothing sent"
        )
    if not job.while_paused and sending_paused(context.engine):
        return f"{name}: paused — the app was uninstalled or its token revoked; nothing sent"
    fire = latest_fire(job.when(schedule_of(context)), context, now)
    if fire is None:
        return f"{name}: not scheduled in the week before {now:%Y-%m-%d %H:%M}"
    summary = job.run(context, fire)
    log.info("job %s: %s", name, summary)
    return summary


def installed(context: JobContext) -> bool:
    """Whether Slack can be talked to: always with a bot token set; in OAuth mode, once a
    workspace has installed the bot and until it uninstalls it. A dry run talks to nobody."""
    client = context.client
    return not isinstance(client, InstalledBotClient) or client.bot_token() is not None


def catch_up(context: JobContext, now: datetime | None = None) -> list[str]:
    """Run every job whose latest time has passed within the catch-up window (claims stop twins)."""
    now = now or utcnow()
    schedule = schedule_of(context)
    done = []
    for name, job in JOBS.items():
        fire = latest_fire(job.when(schedule), context, now)
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


def job_client(settings: Settings, engine: Engine) -> WebClient:
    """The clock's Slack client waits out 429s and retries 5xx with backoff; in OAuth mode it
    uses the token installed at each call (a reinstall's, never an uninstalled one)."""
    client = DependableClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(2)],
    )
    return outside_requests(settings, engine, client)


def build_scheduler(context: JobContext) -> BlockingScheduler:
    """Each job on the partnership's schedule, the catch-up, and the sweep of old drafts."""
    schedule = schedule_of(context)
    scheduler = BlockingScheduler(timezone=context.zone)
    for name, job in JOBS.items():
        scheduler.add_job(
            run_safely,
            trigger(job.when(schedule), context),
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
    schedule = schedule_of(context)
    log.info(
        "clock started in %s: %s",
        context.zone,
        ", ".join(f"{name} {job.when(schedule)}" for name, job in JOBS.items()),
    )
    sweep_drafts_safely(context)
    for line in catch_up(context):
        log.info("catch-up at start: %s", line)
    scheduler.start()
