"""Hot-desk booking latency under contention: 30 people at once going for a slot of 1 or 3 desks,
each on their own database connection, against the same booking made with nobody competing.
Measures the service call (the transaction and its checks), which is what contention slows.
Prints a table; not a test.

    .venv/bin/python -m bench.hotdesk                      # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.hotdesk
    .venv/bin/python -m bench.hotdesk --rounds 5           # a first look
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, update

from bench.common import database
from bot.models import HotdeskOffer, Member, Organisation, Partnership
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.types import Part, SlotGone
from bot.services.outbox import no_notices

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)  # a Monday; the offer is open every day
PEOPLE = 30


def populate(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Partnership).values(id=1, name="Bench"))
        connection.execute(
            insert(Organisation),
            [
                {"code": code, "name": name, "description": "", "address": "1 High St",
                 "visitor_protocol": "Sign in", "updated_at": NOW}
                for code, name in (("HOST", "Host agency"), ("VIS", "Visitors' agency"))
            ],
        )  # fmt: skip
        connection.execute(
            insert(HotdeskOffer).values(
                organisation_id=1, desks=1, weekdays="mon tue wed thu fri sat sun".split(),
                half_days=True, needs_approval=False, closures=[],
                closed_on_bank_holidays=False, max_days_ahead=365,
            )
        )  # fmt: skip
        connection.execute(
            insert(Member),
            [
                {"slack_user_id": f"UBENCH{n:03d}", "name": f"Person {n}", "display_name": "",
                 "organisation_id": 2, "is_coordinator": False, "digest_dm": False}
                for n in range(PEOPLE)
            ],
        )  # fmt: skip


def set_desks(engine: Engine, desks: int) -> None:
    with engine.begin() as connection:
        connection.execute(update(HotdeskOffer).values(desks=desks))


def contended(service: Hotdesk, day: date, people: int) -> tuple[list[float], int]:
    """`people` book the same whole day at once; each call's seconds, and how many won."""
    start = threading.Barrier(people)

    def attempt(n: int) -> tuple[float, bool]:
        start.wait()
        began = time.perf_counter()
        try:
            service.book(f"UBENCH{n:03d}", "HOST", day, Part.DAY, NOW, notices=no_notices)
            won = True
        except SlotGone:
            won = False
        return time.perf_counter() - began, won

    with ThreadPoolExecutor(people) as pool:
        results = list(pool.map(attempt, range(people)))
    return [seconds for seconds, _ in results], sum(won for _, won in results)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def row(label: str, seconds: list[float], outcome: str) -> str:
    median, p99 = statistics.median(seconds) * 1000, percentile(seconds, 0.99) * 1000
    return f"| {label} | {len(seconds)} | {median:.1f} ms | {p99:.1f} ms | {outcome} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="slots contended per desk count")
    rounds = parser.parse_args().rounds
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    lines = [
        f"Hot-desk booking latency on {backend}, {PEOPLE} people at once per slot, "
        f"{rounds} slots each:",
        "",
        "| case | bookings tried | median | p99 | outcome |",
        "|---|---|---|---|---|",
    ]
    with database(pool_size=PEOPLE) as engine:
        populate(engine)
        service = Hotdesk(engine, ZONE)
        day = NOW.date() + timedelta(days=1)
        alone = []
        for n in range(rounds * 3):  # one person, a free slot each time: the uncontended cost
            began = time.perf_counter()
            service.book(f"UBENCH{n % PEOPLE:03d}", "HOST", day, Part.AM, NOW, notices=no_notices)
            alone.append(time.perf_counter() - began)
            day += timedelta(days=1)
        lines.append(row("one person, free slot", alone, "all booked"))
        for desks in (1, 3):
            set_desks(engine, desks)
            seconds, wins = [], []
            for _ in range(rounds):
                day += timedelta(days=1)
                took, won = contended(service, day, PEOPLE)
                seconds += took
                wins.append(won)
            exact = all(won == desks for won in wins)
            outcome = f"{desks} booked per slot{'' if exact else ' (NOT EXACT: ' + str(wins) + ')'}"
            lines.append(row(f"{PEOPLE} at once, {desks} desk(s)", seconds, outcome))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
