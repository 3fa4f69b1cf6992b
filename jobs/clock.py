"""The clock process: APScheduler fires each job for each partnership, on that partnership's
schedule and in its time zone.

The schedule is only a hint; the database is the lock (see jobs.delivery), and each claim is
its partnership's own. Every few minutes, and at start, the clock looks again at the
partnerships (one whose workspace installed since, a schedule changed) and, for each, for a run
that should have happened but did not (the process was down at Monday 09:00) and does it once,
late, while it is still useful. Each partnership's work runs in a thread of the scheduler's
pool with its partnership set there (a thread does not inherit it), so one partnership's slow
or failing Slack holds up none of the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from functools import partial

from apscheduler.executors.pool import ThreadPoolExecutor
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
from bot.db import read_scope
from bot.models import utcnow
from bot.partnership_cache import partnership_settings, partnership_zone
from bot.partnership_scope import current_partnership, in_partnership
from bot.services.rights import sending_paused
from bot.services.schedule import DAYS, Schedule, When
from bot.services.updates import DRAFT_LIFETIME, forget_old_drafts
from bot.services.workspace import partnership_ids
from bot.slack.client import DependableClient, InstalledBotClient, outside_requests
from jobs import turns
from jobs.context import JobContext
from jobs.job import Job
from jobs.registry import JOBS, find

log = logging.getLogger("partnerbot.clock")

CATCH_UP_EVERY = timedelta(minutes=5)
DRAFT_SWEEP_EVERY = timedelta(minutes=5)
# Jobs running at once, every partnership's together. A partnership runs each of its jobs once
# at a time, so a slow one holds a thread or two and the rest go on; the bound keeps the
# threads' database connections (and their senders', jobs.delivery) within the engine's pool.
CLOCK_THREADS = 10


def sweep_drafts(context: JobContext, now: datetime | None = None) -> int:
    """Delete every partnership's held drafts before they are a day old, every few minutes
    whatever the schedules say, so "held text is kept at most a day" holds while the clock
    runs."""
    if context.dry_run:
        return 0
    return forget_old_drafts(
        context.engine,
        now or utcnow(),
        older_than=DRAFT_LIFETIME - DRAFT_SWEEP_EVERY,
        every_partnership=True,
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


# How far back a weekly or daily job's last fire is looked for.
LOOK_BACK = timedelta(days=8)


def latest_fire(when: When, context: JobContext, now: datetime) -> datetime | None:
    """The last time the schedule fired at or before `now` (within the past eight days),
    counted on the calendar: the catch-up asks it of every job of every partnership. Stepping
    through the trigger instead cost a second of CPU for a job every few minutes, and never
    ended where the clocks go back (APScheduler's trigger repeats a time there). A job every
    few minutes fires at the minutes of the hour that divide by them (`*/N`)."""
    local = now.astimezone(context.zone)
    if when.every_minutes:
        minute = local.minute - local.minute % when.every_minutes
        return local.replace(minute=minute, second=0, microsecond=0)
    for back in range(LOOK_BACK.days + 1):
        day = local.date() - timedelta(days=back)
        if DAYS[day.weekday()] not in when.days:
            continue
        wall = datetime.combine(day, time(when.hour, when.minute), tzinfo=context.zone)
        fire = wall.astimezone(UTC).astimezone(context.zone)  # a time skipped: just after it
        if fire.astimezone(UTC) <= now.astimezone(UTC):  # by the instant, not the wall clock
            return fire
    return None


def zone_and_schedule(context: JobContext) -> tuple[JobContext, Schedule]:
    """`context` in the running work's partnership's zone (its file's `timezone`, else the
    zone `context` has: the deployment's PARTNERBOT_TZ), and the partnership's schedule."""
    with read_scope(context.engine) as session:
        settings = partnership_settings(session)
        zone = partnership_zone(session, context.zone)
    mailing = context.mailing and replace(context.mailing, zone=zone)  # calendar entries' times
    return replace(context, zone=zone, mailing=mailing), Schedule.from_json(settings.schedule)


def run_job(name: str, context: JobContext, now: datetime | None = None) -> str:
    """Run one job for the running work's partnership, for its latest scheduled time at or
    before `now`, whoever's turn it is (`partnerbot run-job`: its claims still stop twins)."""
    job = find(name)
    context, schedule = zone_and_schedule(context)
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:  # a time typed without a zone is the partnership's local time
        now = now.replace(tzinfo=context.zone)
    fire = latest_fire(job.when(schedule), context, now)
    if fire is None:
        return f"{name}: not scheduled in the week before {now:%Y-%m-%d %H:%M}"
    return run_fire(job, context, fire)[0]


def run_fire(job: Job, context: JobContext, fire: datetime) -> tuple[str, bool]:
    """Run `job` for `fire`: what it did, and whether that time is done (nothing left for a
    later run: not paused, not waiting for an install, no sends Slack was too busy for)."""
    if not job.while_paused and not installed(context):
        return (
            f"{job.name}: not installed yet (or uninstalled since): open /slack/install; "
            "nothing sent"
        ), False
    if not job.while_paused and sending_paused(context.engine):
        return (
            f"{job.name}: paused — the app was uninstalled or its token revoked; nothing sent",
            False,
        )
    summary = job.run(context, fire)
    log.info("partnership %s: job %s: %s", current_partnership(), job.name, summary)
    return summary, not job.left_over(context, job.name, fire)


def run_on_turn(job: Job, context: JobContext, fire: datetime, now: datetime) -> str | None:
    """The clock's run: only on its turn (jobs.turns), so of all the clocks one runs it, and
    a time done is not run again. None when it was not this clock's turn."""
    turn = turns.take(context.engine, job.name, fire, now)
    if turn is None:
        return None
    done = False
    try:
        summary, done = run_fire(job, context, fire)
        return summary
    finally:
        turns.give_back(context.engine, turn, done)


def clock_jobs(context: JobContext) -> dict[str, Job]:
    """The jobs the clock runs in this deployment (email's only with email on)."""
    return {name: job for name, job in JOBS.items() if job.wanted(context)}


def installed(context: JobContext) -> bool:
    """Whether Slack can be talked to: always with a bot token set; in OAuth mode, once the
    partnership's workspace has installed the bot and until it uninstalls it. A dry run talks
    to nobody."""
    client = context.client
    return not isinstance(client, InstalledBotClient) or client.bot_token(None) is not None


def catch_up(context: JobContext, now: datetime | None = None) -> list[str]:
    """Run every job of the running work's partnership whose latest time has passed within the
    catch-up window and is not done, where it is this clock's turn."""
    context, schedule = zone_and_schedule(context)
    now = now or utcnow()
    done_through = turns.done_through(context.engine)
    done = []
    for name, job in clock_jobs(context).items():
        fire = latest_fire(job.when(schedule), context, now)
        if fire is None or now - fire > timedelta(hours=schedule.catch_up_hours):
            continue
        if name in done_through and done_through[name] >= fire:
            continue
        summary = safely(name, partial(run_on_turn, job, context, fire, now))
        if summary is not None:
            done.append(f"{name}: {summary}")
    return done


def safely(name: str, run: Callable[[], str | None]) -> str | None:
    """One job's failure (the database gone for a moment, Slack down) never stops the clock."""
    try:
        return run()
    except Exception:
        log.exception(
            "partnership %s: job %s failed; the next catch-up will try again",
            current_partnership(),
            name,
        )
        return "failed; the next catch-up will try again"


def run_for(partnership: int, name: str, context: JobContext) -> None:
    """What the scheduler fires: one partnership's job at its time, in the thread that runs
    it, on its turn."""
    with in_partnership(partnership):
        now = utcnow()
        job = find(name)

        def run() -> str | None:
            local, schedule = zone_and_schedule(context)
            fire = latest_fire(job.when(schedule), local, now)
            return None if fire is None else run_on_turn(job, local, fire, now)

        safely(name, run)


def catch_up_for(
    partnership: int, context: JobContext, now: datetime | None = None, at_start: bool = False
) -> list[str]:
    """One partnership's catch-up, in the thread that runs it: its failure (its schedule
    unreadable, its database rows broken) is logged as its own and stops no other's."""
    with in_partnership(partnership):
        try:
            done = catch_up(context, now)
        except Exception:
            log.exception("partnership %s: catch-up failed; the next will try again", partnership)
            return []
    if at_start:
        for line in done:
            log.info("catch-up at start, partnership %s: %s", partnership, line)
        log.info(
            "catch-up at start, partnership %s: over; %s run, the others done already or not due",
            partnership, len(done),
        )  # fmt: skip
    return done


class Clock:
    """The scheduler: each partnership's jobs (`digest@2`), the catch-up, the drafts' sweep."""

    def __init__(self, context: JobContext) -> None:
        self.context = context  # the deployment's: its zone is a partnership's unless it has one
        self.plans: dict[int, tuple[str, str]] = {}  # each partnership's zone and schedule
        self.scheduler = BlockingScheduler(
            timezone=context.zone, executors={"default": ThreadPoolExecutor(CLOCK_THREADS)}
        )
        self.scheduler.add_job(
            self.catch_up, IntervalTrigger(seconds=CATCH_UP_EVERY.total_seconds()),
            id="catch-up", max_instances=1, coalesce=True,
        )  # fmt: skip
        self.scheduler.add_job(
            sweep_drafts_safely, IntervalTrigger(seconds=DRAFT_SWEEP_EVERY.total_seconds()),
            args=[context], id="drafts", max_instances=1, coalesce=True,
        )  # fmt: skip

    def plan(self) -> list[int]:
        """Put each partnership's jobs on its schedule in its zone: a partnership new since the
        last look gets them, a changed schedule moves them. The partnerships planned; one whose
        schedule cannot be read is logged and keeps what it had."""
        planned = []
        for partnership in partnership_ids(self.context.engine):
            try:
                with in_partnership(partnership):
                    self._plan(partnership)
            except Exception:
                log.exception(
                    "partnership %s: its schedule could not be read; the next catch-up will "
                    "try again",
                    partnership,
                )
                continue
            planned.append(partnership)
        return planned

    def _plan(self, partnership: int) -> None:
        context, schedule = zone_and_schedule(self.context)
        plan = (str(context.zone), schedule.to_json())
        if self.plans.get(partnership) == plan:
            return  # as planned: its jobs not looked up, which is slow among thousands
        jobs = clock_jobs(self.context)
        for name, job in jobs.items():
            cron, job_id = trigger(job.when(schedule), context), f"{name}@{partnership}"
            if partnership in self.plans:  # its time or its zone changed
                self.scheduler.reschedule_job(job_id, trigger=cron)
            else:
                self.scheduler.add_job(
                    run_for, cron, args=[partnership, name, self.context], id=job_id,
                    misfire_grace_time=3600, coalesce=True, max_instances=1, replace_existing=True,
                )  # fmt: skip
        self.plans[partnership] = plan
        log.info(
            "partnership %s: its jobs run in %s: %s", partnership, context.zone,
            ", ".join(f"{name} {job.when(schedule)}" for name, job in jobs.items()),
        )  # fmt: skip

    def catch_up(self, now: datetime | None = None, at_start: bool = False) -> None:
        """Plan again, then catch each partnership up in a thread of its own: one still busy
        with its last catch-up is left to finish it (the scheduler skips the new one)."""
        for partnership in self.plan():
            self.scheduler.add_job(
                catch_up_for, args=[partnership, self.context, now, at_start],
                id=f"catch-up@{partnership}", replace_existing=True, max_instances=1,
                misfire_grace_time=None,
            )  # fmt: skip


def job_client(settings: Settings, engine: Engine) -> WebClient:
    """The clock's Slack client waits out 429s and retries 5xx with backoff; in OAuth mode it
    uses the token the running work's partnership's workspace installed, read at each call (a
    reinstall's, never an uninstalled one)."""
    client = DependableClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(2)],
    )
    return outside_requests(settings, engine, client)


def run_clock(context: JobContext) -> None:
    clock = Clock(context)
    sweep_drafts_safely(context)
    clock.catch_up(at_start=True)
    clock.scheduler.start()
