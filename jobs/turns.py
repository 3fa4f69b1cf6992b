"""Whose turn it is: one clock runs a partnership's job for each of its scheduled times, and the
catch-up passes over a time whose run is done.

Every clock fires every partnership's jobs, and every clock's catch-up looks for runs that were
missed. Without turns each did each job's work up to its claims (jobs.delivery) only to find
the other clock had claimed them, and every catch-up ran retention's deletes and built the
digest again all day: at 500 partnerships that work, not Slack, set how long a Monday took.

A turn is one row per (partnership, job): the latest scheduled time whose run finished, and
until when a clock holds the run now. Taking it is one conditional UPDATE, so two clocks never
both hold it. A clock that dies holding it loses it when the hold runs out; the job's own
claims then make the next clock's run resume the work rather than repeat it, which is also why
a hold that runs out under a slow run costs effort, never a second message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from bot.db import insert_ignoring_conflict, read_scope, statements_alone
from bot.models import JobTurn
from bot.partnership_scope import current_partnership

HOLD = timedelta(minutes=10)


def done_through(engine: Engine) -> dict[str, datetime]:
    """The running work's partnership's jobs: the latest scheduled time each has done."""
    with read_scope(engine) as session:
        rows = session.exec(
            select(JobTurn.job, JobTurn.done_through).where(col(JobTurn.done_through).is_not(None))
        ).all()
    return {job: done for job, done in rows if done is not None}


@dataclass(frozen=True)
class Turn:
    """A clock's hold on one run: `until` tells its hold from a later one's."""

    job: str
    fire: datetime
    until: datetime


def take(engine: Engine, job: str, fire: datetime, now: datetime) -> Turn | None:
    """Hold the run of `job` for `fire`; None when it is done already, or another clock holds
    it and its hold has not run out."""
    turn = Turn(job, fire.astimezone(UTC), now.astimezone(UTC) + HOLD)
    with statements_alone(engine) as session:
        taken = session.execute(
            update(JobTurn)
            .where(
                col(JobTurn.job) == job,
                or_(col(JobTurn.done_through).is_(None), col(JobTurn.done_through) < turn.fire),
                or_(col(JobTurn.held_until).is_(None), col(JobTurn.held_until) < now),
            )
            .values(held_until=turn.until)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE's result has it
            return turn
        # No row yet (the job's first run for this partnership), or it is not ours to take.
        row = {"partnership_id": current_partnership(), "job": job, "held_until": turn.until}
        return turn if insert_ignoring_conflict(session, JobTurn.__table__, row) else None


def give_back(engine: Engine, turn: Turn, done: bool) -> None:
    """End the hold, if it is still ours (it may have run out and been taken since); `done`
    records its time as run, so no clock runs it again. A run not done (Slack busy, sending
    paused, a failure) is left for the next catch-up."""
    values: dict[str, object] = {"held_until": None}
    if done:
        values["done_through"] = turn.fire
    with statements_alone(engine) as session:
        session.execute(
            update(JobTurn)
            .where(col(JobTurn.job) == turn.job, col(JobTurn.held_until) == turn.until)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
