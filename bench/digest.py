"""Weekly digest figures: build time and SQL queries as the partnership grows, and the wall time
to deliver DMs through the fake Slack under Slack's posting limits, against the floor those
limits allow. Prints a table; not a test.

    .venv/bin/python -m bench.digest                       # SQLite, full size
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.digest
    .venv/bin/python -m bench.digest --quick               # smaller, for a first look
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine, event, insert

from bench.common import database
from bot.fakeslack import FakeSlack
from bot.models import Member, Organisation, Partnership, PartnerUpdate
from bot.services.digest import build_digest
from bot.slack.blocks.common import Message
from bot.slack.blocks.digest import digest_message
from bot.slack.pacing import SENDERS
from jobs.delivery import Tally, claim, deliver

ZONE = ZoneInfo("Europe/London")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)


def populate(engine: Engine, organisations: int, members: int, updates: int) -> None:
    week_start = MONDAY_9.astimezone(UTC) - timedelta(days=7)
    with engine.begin() as connection:
        connection.execute(insert(Partnership).values(id=1, name="Bench", digest_channel="#digest"))
        connection.execute(
            insert(Organisation),
            [{"code": f"O{n:04d}", "name": f"Organisation {n}", "description": "",
              "address": "", "visitor_protocol": "", "updated_at": week_start}
             for n in range(organisations)],
        )  # fmt: skip
        connection.execute(
            insert(Member),
            [{"slack_user_id": f"U{n:06d}", "name": f"Member {n}", "display_name": "",
              "organisation_id": n % organisations + 1, "is_coordinator": n < 5,
              "digest_dm": True}
             for n in range(members)],
        )  # fmt: skip
        if not updates:
            return
        connection.execute(
            insert(PartnerUpdate),
            [{"organisation_id": n % organisations + 1, "author_id": f"U{n % members:06d}",
              "text": f"Update {n}: a new drop-in for young people and ESOL classes",
              "wants_help": False, "created_at": week_start + timedelta(seconds=50 * n)}
             for n in range(updates)],
        )  # fmt: skip


def build_figures(organisations: int, members: int, updates: int) -> tuple[float, int, int]:
    """Seconds to build and render the digest, SQL statements used, blocks in the message."""
    with database() as engine:
        populate(engine, organisations, members, updates)
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        digest = build_digest(engine, MONDAY_9 - timedelta(days=7), MONDAY_9)
        message = digest_message(digest, ZONE, for_coordinators=True)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        return elapsed, statements, len(message.blocks)


# The delivery code before deliveries went several at a time (one post at a time, 429s waited
# out by the client), read from git so that both run side by side in one bench run.
BASELINE_REVISION = "942a80a"


def baseline_deliver() -> Callable[..., Tally]:
    source = subprocess.run(
        ["git", "show", f"{BASELINE_REVISION}:jobs/delivery.py"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent,
    ).stdout  # fmt: skip
    module = sys.modules["baseline_delivery"] = types.ModuleType("baseline_delivery")
    exec(compile(source, "baseline_delivery.py", "exec"), module.__dict__)
    return module.deliver


def delivery_figures(
    dms: int, per_second: int, latency: float, send: Callable[..., Tally]
) -> tuple[float, float, int]:
    """Wall time to deliver `dms` DMs under the limits, the floor those limits allow, and how
    many posts Slack refused with a 429."""
    with (
        database() as engine,
        FakeSlack(post_limits=(1.0, per_second), latency=latency) as fake,
    ):
        populate(engine, 10, dms, 0)
        for n in range(dms):
            fake.add_user(f"U{n:06d}", f"Member {n}")
        client = WebClient(
            token="xoxb-bench", base_url=fake.base_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=10)],
        )  # fmt: skip
        messages = {f"U{n:06d}": Message(text=f"Digest for member {n}") for n in range(dms)}
        run_id = claim(engine, "bench", "bench", uuid.uuid4().hex, messages)
        assert run_id is not None
        started = time.perf_counter()
        while send(engine, run_id, client).deferred:
            pass
        wall = time.perf_counter() - started
        refused = sum(1 for call in fake.calls_to("chat.postMessage") if call.status == 429)
        return wall, dms / per_second, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run")
    parser.add_argument("--per-second", type=int, default=50, help="workspace posts a second")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    backend = "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite"
    print(f"Weekly digest on {backend}")
    columns = ("organisations", 13), ("members", 8), ("updates", 8), ("build ms", 9), ("SQL", 5)
    print(" ".join(f"{name:>{width}}" for name, width in columns), f"{'blocks':>7}")
    for organisations in (20, 200):
        members, updates = 2000 // scale, 10_000 // scale
        seconds, statements, blocks = build_figures(organisations, members, updates)
        print(
            f"{organisations:>13} {members:>8} {updates:>8} {seconds * 1000:>9.0f} "
            f"{statements:>5} {blocks:>7}"
        )
    print()
    print(f"Delivering DMs through the fake Slack (1 post/s per channel, {args.per_second} posts/s "
          "per workspace, 429 with Retry-After beyond)")  # fmt: skip
    print("| DMs | Slack away | delivery | wall | floor | wall/floor | 429s |")
    print("|---|---|---|---|---|---|---|")
    ways = [
        ("before: one at a time", baseline_deliver()),
        (f"now: {SENDERS} senders, paced", deliver),
    ]
    for dms, latency in ((300 // scale, 0.150), (2000 // scale, 0.0)):
        for name, send in ways:
            wall, floor, refused = delivery_figures(dms, args.per_second, latency, send)
            print(
                f"| {dms} | {latency * 1000:.0f} ms | {name} | {wall:.1f} s | {floor:.1f} s "
                f"| {wall / floor:.2f}× | {refused} |"
            )


if __name__ == "__main__":
    main()
