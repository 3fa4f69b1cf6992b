"""The coordinators' report: build time and SQL queries for a large partnership with two years
of activity, at 20 and at 200 organisations, to show the queries don't grow with the number of
organisations. Prints a table; not a test.

    .venv/bin/python -m bench.report                       # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.report
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, event, insert, select

from bench.common import database
from bot.models import (
    Commitment,
    DeskBooking,
    Member,
    Opportunity,
    Organisation,
    Partnership,
    PartnershipSession,
    PartnerUpdate,
    SessionOrganisation,
)
from bot.services.report import Reports

TODAY = date(2026, 11, 16)
DAYS = 730  # two years of activity, up to yesterday
MEMBERS = 2000
COORDINATOR = "U000000"
PERIODS = ("", "2026", "since 16/11/2024")  # the last full quarter, this year, two years


def populate(engine: Engine, organisations: int) -> dict[str, int]:
    """Per organisation and week, about one update, a visit made and hosted; an opportunity a
    month; a session a fortnight, a third of the organisations there, five commitments each."""
    pick = random.Random(organisations)
    first = TODAY - timedelta(days=DAYS)

    def moment(n: int) -> datetime:
        day = first + timedelta(days=pick.randrange(DAYS))
        return datetime(day.year, day.month, day.day, 9 + n % 8, tzinfo=UTC)

    weeks = DAYS // 7
    org = range(1, organisations + 1)
    with engine.begin() as connection:
        connection.execute(insert(Partnership).values(id=1, name="Bench"))
        connection.execute(
            insert(Organisation),
            [{"code": f"O{n:04d}", "name": f"Organisation {n}", "description": "",
              "address": "", "visitor_protocol": "", "updated_at": moment(0)}
             for n in org],
        )  # fmt: skip
        connection.execute(
            insert(Member),
            [{"slack_user_id": f"U{n:06d}", "name": f"Member {n}", "display_name": "",
              "organisation_id": n % organisations + 1, "is_coordinator": n < 5}
             for n in range(MEMBERS)],
        )  # fmt: skip
        updates = [
            {"organisation_id": pick.choice(org), "author_id": f"U{n % MEMBERS:06d}",
             "text": f"Update {n}", "wants_help": False, "created_at": moment(n)}
            for n in range(organisations * weeks)
        ]  # fmt: skip
        connection.execute(insert(PartnerUpdate), updates)
        opportunities = [
            {"organisation_id": pick.choice(org), "poster_id": f"U{n % MEMBERS:06d}",
             "kind": "event", "title": f"Event {n}", "description": "", "status": "open",
             "created_at": moment(n)}
            for n in range(organisations * DAYS // 30)
        ]  # fmt: skip
        connection.execute(insert(Opportunity), opportunities)
        visits = [
            {"organisation_id": pick.choice(org), "visitor_id": f"U{n % MEMBERS:06d}",
             "visitor_organisation_id": pick.choice(org), "day": moment(n).date(),
             "part": "day", "status": pick.choice(("confirmed",) * 4 + ("cancelled",)),
             "created_at": moment(n)}
            for n in range(organisations * weeks)
        ]  # fmt: skip
        connection.execute(insert(DeskBooking), visits)
        held = [first + timedelta(days=14 * n) for n in range(DAYS // 14)]
        connection.execute(
            insert(PartnershipSession),
            [{"title": f"Session {n}", "kind": "strategic", "held_on": day,
              "created_by": COORDINATOR, "next_place": "", "created_at": moment(n)}
             for n, day in enumerate(held)],
        )  # fmt: skip
        ids = list(connection.execute(select(PartnershipSession.id)).scalars())
        there = [
            {"session_id": session, "organisation_id": organisation}
            for session in ids
            for organisation in pick.sample(org, organisations // 3)
        ]
        connection.execute(insert(SessionOrganisation), there)
        connection.execute(
            insert(Commitment),
            [{"session_id": session, "owner_id": f"U{n % MEMBERS:06d}", "what": "Something",
              "status": pick.choice(("open", "working", "help", "done")), "note": "",
              "nudges": 0, "created_by": COORDINATOR}
             for session in ids for n in range(5)],
        )  # fmt: skip
    return {
        "updates": len(updates),
        "opportunities": len(opportunities),
        "visits": len(visits),
        "sessions": len(ids),
        "attendances": len(there),
    }


def measure(engine: Engine, period: str) -> tuple[float, int]:
    """Seconds to build the whole report (figures, PNG, spreadsheet) and the queries it ran."""
    queries = 0

    def count(*_: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    Reports(engine).build(COORDINATOR, period, TODAY)
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    return elapsed, queries


def main() -> None:
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"Coordinators' report on {backend}: {MEMBERS} members, two years of activity")
    print(f"{'orgs':>5} {'updates':>8} {'visits':>7} {'period':>18} {'queries':>8} {'build s':>8}")
    for organisations in (20, 200):
        with database() as engine:
            made = populate(engine, organisations)
            Reports(engine).build(COORDINATOR, "", TODAY)  # matplotlib's first-use costs
            for period in PERIODS:
                elapsed, queries = measure(engine, period)
                print(
                    f"{organisations:>5} {made['updates']:>8} {made['visits']:>7} "
                    f"{period or '(last quarter)':>18} {queries:>8} {elapsed:>8.2f}"
                )


if __name__ == "__main__":
    main()
