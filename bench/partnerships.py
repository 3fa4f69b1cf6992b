"""Many partnerships, one deployment: the Monday digest of every installed partnership, run by
two clock processes at once (as two replicas of the clock would), with the fake Slack 150 ms
away and each workspace under its own posting limits. The clocks start at 09:00:30, as after a
deploy: each job's earlier times were done by the clocks before, so what is due is what fires at
09:00 (the digest, the follow-ups). Prints, for each number of partnerships: whether each digest
went once (channel posts, DMs and claimed runs counted), the time until both clocks were done,
that time per partnership, the clocks' CPU in that time (a partnership's share, and spread over
the machine's cores: the CPU floor, no sooner than which they could be done), and the floor
Slack's per-workspace limits set. Not a test.

    export BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.partnerships
    .venv/bin/python -m bench.partnerships --sizes 20 100      # a smaller first look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine, insert, select

from bench.common import database, machine_speed
from bot.config import Settings
from bot.db import make_engine
from bot.fakeslack import APP_ID, CLIENT_ID, CLIENT_SECRET, FakeSlack
from bot.models import (
    JobRun,
    JobTurn,
    Member,
    Organisation,
    Partnership,
    PartnerUpdate,
    slack_bots,
)
from bot.partnership_scope import serve_many
from bot.scoping import across_partnerships
from bot.services.schedule import Schedule
from jobs.clock import CLOCK_THREADS, Clock, job_client, latest_fire
from jobs.context import JobContext
from jobs.registry import JOBS

ZONE = ZoneInfo("Europe/London")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)
MEMBERS = 3  # each partnership's members taking the digest by DM
LATENCY = 0.15  # seconds: Slack, as far away as it is in real life
PER_SECOND = 50  # posts a second a workspace may make (and one a second a channel)
CLOCKS = 2


def token(partnership: int) -> str:
    return f"xoxb-bench-{partnership:04d}"


def populate(engine: Engine, partnerships: int) -> None:
    """Each partnership installed (its workspace's token stored), with a digest channel, an
    organisation, members who take the digest by DM, and last week's news."""
    week = MONDAY_9.astimezone(UTC) - timedelta(days=6)
    context = JobContext(engine, ZONE, None)
    numbers = range(1, partnerships + 1)
    with engine.execution_options(**across_partnerships).begin() as connection:
        connection.execute(insert(Partnership), [
            {"id": p, "name": f"Partnership {p}", "digest_channel": f"#digest-{p}",
             "slack_team_id": f"T{p:05d}"} for p in numbers if p != 1
        ])  # fmt: skip
        connection.execute(
            Partnership.__table__.update()
            .where(Partnership.__table__.c.id == 1)
            .values(digest_channel="#digest-1", slack_team_id="T00001")
        )
        connection.execute(insert(slack_bots), [
            {"client_id": CLIENT_ID, "app_id": APP_ID, "team_id": f"T{p:05d}",
             "bot_token": token(p), "installed_at": week} for p in numbers
        ])  # fmt: skip
        connection.execute(insert(Organisation), [
            {"id": p, "partnership_id": p, "code": "HRS", "name": "Harbour Refugee Support",
             "description": "", "address": "", "visitor_protocol": "", "updated_at": week}
            for p in numbers
        ])  # fmt: skip
        connection.execute(insert(Member), [
            {"partnership_id": p, "slack_user_id": member(p, n), "name": f"Member {p}.{n}",
             "display_name": "", "organisation_id": p, "digest_dm": True}
            for p in numbers for n in range(MEMBERS)
        ])  # fmt: skip
        connection.execute(insert(PartnerUpdate), [
            {"partnership_id": p, "organisation_id": p, "author_id": member(p, 0),
             "text": f"Partnership {p}: a Saturday drop-in for young people",
             "wants_help": False, "created_at": week} for p in numbers
        ])  # fmt: skip
        # A deployment running until a minute ago had done each job's last time (the night's
        # retention, yesterday's reminders): at 09:00 what is due is what fires at 09:00.
        done = {name: latest_fire(job.when(Schedule({})), context, MONDAY_9 - timedelta(minutes=1))
                for name, job in JOBS.items()}  # fmt: skip
        connection.execute(insert(JobTurn), [
            {"partnership_id": p, "job": name, "done_through": fire}
            for p in numbers for name, fire in done.items()
        ])  # fmt: skip


def member(partnership: int, number: int) -> str:
    return f"U{partnership:05d}{number}"


def clock_process(database_url: str, slack_url: str) -> None:
    """One clock: plan every partnership, run each one's catch-up at Monday 09:00:30 in its
    pool, and say how long until every partnership's was over."""
    engine = make_engine(database_url, CLOCK_THREADS)
    serve_many()
    settings = Settings(
        slack_api_url=slack_url, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
        slack_state_secret="bench-state-secret-long-enough", database_url=database_url,
    )  # fmt: skip
    clock = Clock(JobContext(engine, ZONE, job_client(settings, engine)))
    started, cpu_before = time.perf_counter(), cpu_seconds()
    planned = set(clock.plan())
    waiting = {f"catch-up@{partnership}" for partnership in planned}
    over = threading.Event()

    def finished(event: JobExecutionEvent) -> None:
        waiting.discard(event.job_id)
        if not waiting:
            over.set()

    clock.scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    clock.catch_up(MONDAY_9 + timedelta(seconds=30))
    running = threading.Thread(target=clock.scheduler.start)
    running.start()
    over.wait(3600)
    clock.scheduler.shutdown(wait=True)
    running.join()
    print(
        json.dumps({
            "seconds": time.perf_counter() - started, "planned": len(planned),
            "cpu": cpu_seconds() - cpu_before,
        })
    )  # fmt: skip


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def figures(partnerships: int) -> dict[str, float | int | bool]:
    with (
        database(pool_size=CLOCK_THREADS) as engine,
        FakeSlack(post_limits=(1.0, PER_SECOND), latency=LATENCY) as fake,
    ):
        populate(engine, partnerships)
        for p in range(1, partnerships + 1):  # each of its own workspace
            for n in range(MEMBERS):
                fake.add_user(member(p, n), f"Member {p}.{n}", team_id=f"T{p:05d}")
        fake.installed_long_ago({token(p): f"T{p:05d}" for p in range(1, partnerships + 1)})
        url = engine.url.render_as_string(hide_password=False)
        started = time.perf_counter()
        clocks = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.partnerships", "--clock", url, fake.base_url],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(CLOCKS)
        ]
        outputs = [json.loads(clock.communicate()[0].strip().splitlines()[-1]) for clock in clocks]
        wall = time.perf_counter() - started
        posts = Counter(
            (call.token, call.args.get("channel"))
            for call in fake.calls_to("chat.postMessage")
            if call.ok
        )
        with engine.execution_options(**across_partnerships).connect() as connection:
            runs = Counter(
                connection.execute(
                    select(JobRun.partnership_id).where(JobRun.job == "digest")
                ).scalars()
            )
        expected = {
            (token(p), target)
            for p in range(1, partnerships + 1)
            for target in [f"#digest-{p}", *(member(p, n) for n in range(MEMBERS))]
        }
        once = (
            set(posts) == expected
            and set(posts.values()) == {1}
            and len(runs) == partnerships
            and set(runs.values()) == {1}
        )
        return {
            "once": once,
            "posts": sum(posts.values()),
            "wall": wall,  # with the two processes' start
            "clocks": max(float(output["seconds"]) for output in outputs),
            "per_partnership_ms": 1000 * max(float(o["seconds"]) for o in outputs) / partnerships,
            "cpu_ms": 1000 * sum(float(output["cpu"]) for output in outputs) / partnerships,
            # The clocks' CPU spread over the machine's cores: no sooner could they be done.
            "cpu_floor": sum(float(output["cpu"]) for output in outputs) / (os.cpu_count() or 1),
            # One workspace's digest: a channel post and its members' DMs, each a round trip,
            # within its own limits (50 posts a second, one a second a channel): its floor.
            "floor": (1 + MEMBERS) / PER_SECOND + LATENCY,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--clock", nargs=2, metavar=("DATABASE_URL", "SLACK_URL"))
    args = parser.parse_args()
    if args.clock:
        clock_process(*args.clock)
        return
    if not os.environ.get("BENCH_DATABASE_URL"):
        sys.exit("set BENCH_DATABASE_URL to a PostgreSQL database (two clocks share it)")
    print(
        f"Monday digest for every partnership: {CLOCKS} clock processes at once, "
        f"{CLOCK_THREADS} threads each, Slack {LATENCY * 1000:.0f} ms away, "
        f"{PER_SECOND} posts/s and 1 post/s a channel per workspace, {MEMBERS} DMs each"
    )
    print(machine_speed())
    print(
        f"{'partnerships':>12} {'each once':>9} {'posts':>6} {'clocks done s':>13} "
        f"{'with start s':>12} {'ms a partnership':>16} {'CPU ms a partnership':>20} "
        f"{'CPU floor s':>11} {'one workspace floor s':>21}"
    )
    for size in args.sizes:
        row = figures(size)
        print(
            f"{size:>12} {'yes' if row['once'] else 'NO':>9} {row['posts']:>6} "
            f"{row['clocks']:>13.1f} {row['wall']:>12.1f} {row['per_partnership_ms']:>16.0f} "
            f"{row['cpu_ms']:>20.0f} {row['cpu_floor']:>11.1f} {row['floor']:>21.2f}"
        )


if __name__ == "__main__":
    main()
