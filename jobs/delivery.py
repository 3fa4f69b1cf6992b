"""Claims and deliveries: how a job run does its work once, and resumes without resending.

A run claims (job, scope, period) with INSERT … ON CONFLICT DO NOTHING, in the same transaction
that records one delivery row per recipient with the message already rendered. Each delivery is
then taken pending → sending (an atomic UPDATE, so two processes never take the same row) →
sent or failed. A crash leaves rows pending (sent by the next run) or sending (reported, never
resent blindly: Slack has no idempotency key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, one_statement, read_scope, session_scope
from bot.models import Delivery, JobRun, utcnow
from bot.slack.blocks.common import Message
from bot.slack.client import UNCERTAIN, UNREACHABLE
from bot.slack.pacing import SENDERS, Pacer, answering_429s, in_rounds
from jobs.context import JobContext

log = logging.getLogger("partnerbot.jobs")

RATE_LIMITED, DEFERRED, UNCONFIRMED = "rate_limited", "deferred", "unconfirmed"
STUCK_AFTER = timedelta(minutes=10)
TRY_AGAIN_LATER = {
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", UNREACHABLE,
}  # fmt: skip


@dataclass
class Tally:
    """What one pass over a run's deliveries came to: the run's summary."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)
    stuck: int = 0
    deferred: int = 0
    unconfirmed: int = 0

    def __str__(self) -> str:
        parts = [f"{self.sent} sent"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({', '.join(sorted(set(self.failed)))})")
        if self.deferred:
            parts.append(f"{self.deferred} left for the next run (Slack busy)")
        if self.unconfirmed:
            parts.append(f"{self.unconfirmed} not confirmed by Slack (no answer), not resent")
        if self.stuck:
            parts.append(f"{self.stuck} interrupted mid-send, not resent: check them in Slack")
        return ", ".join(parts)


Compose = Callable[[Session], dict[str, Message]]


def claim(
    engine: Engine,
    job: str,
    scope: str,
    period: str,
    messages: dict[str, Message] | Compose,
) -> int | None:
    """Claim the period and record its deliveries in one transaction; None if already claimed.

    `messages` may be a function of the claiming transaction's session, for jobs whose work
    (releasing a booking, say) must happen exactly when, and only if, the claim is won."""
    with session_scope(engine) as session:
        won = insert_ignoring_conflict(
            session,
            JobRun.__table__,
            {"job": job, "scope": scope, "period": period, "claimed_at": utcnow(), "summary": ""},
        )
        if not won:
            return None
        run_id = session.exec(
            select(JobRun.id).where(
                JobRun.job == job, JobRun.scope == scope, JobRun.period == period
            )
        ).one()
        if callable(messages):
            messages = messages(session)
        for recipient, message in messages.items():
            session.add(
                Delivery(
                    job_run_id=run_id, recipient=recipient, message=json.dumps(message.rendered())
                )
            )
        return run_id


def send_once(
    context: JobContext, job: str, scope: str, period: str, messages: dict[str, Message] | Compose
) -> str:
    """Claim the period and deliver its messages, or resume a claim a crash left unfinished."""
    engine = context.engine
    run_id = claim(engine, job, scope, period, messages)
    resumed = ""
    if run_id is None:
        earlier = existing_run(engine, job, scope, period)
        if earlier is None or earlier.finished_at is not None:
            return f"{period}: already done ({earlier.summary if earlier else 'claimed'})"
        run_id, resumed = earlier.id, "resumed: "
    assert context.client is not None, "a real run needs Slack"
    tally = deliver(engine, run_id, context.client)
    summary = f"{period}: {resumed}{tally}"
    if not tally.deferred:
        finish(engine, run_id, summary)
    return summary


def existing_run(engine: Engine, job: str, scope: str, period: str) -> JobRun | None:
    with session_scope(engine) as session:
        return session.exec(
            select(JobRun).where(JobRun.job == job, JobRun.scope == scope, JobRun.period == period)
        ).first()


def unfinished_claims(context: JobContext, job: str, fire: datetime) -> bool:
    """Whether a claim `job` made since `fire` is left unfinished (deliveries Slack was too
    busy for): the next run of the same time resumes it."""
    with read_scope(context.engine) as session:
        left = session.exec(
            select(JobRun.id).where(
                JobRun.job == job, col(JobRun.finished_at).is_(None), JobRun.claimed_at >= fire
            )
        ).first()
    return left is not None


def finish(engine: Engine, run_id: int, summary: str) -> None:
    with session_scope(engine) as session:
        session.connection().execute(
            update(JobRun)
            .where(col(JobRun.id) == run_id)
            .values(finished_at=utcnow(), summary=summary[:500])
        )


def _set(engine: Engine, delivery_id: int, expected: str, **values: object) -> bool:
    """Move a delivery on from `expected`; False when someone else already moved it."""
    with one_statement(engine) as connection:
        result = connection.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == expected)
            .values(updated_at=utcnow(), **values)
        )
        return result.rowcount == 1


Row = tuple[int, str, str, str, datetime]  # id, recipient, message, status, updated_at


def deliver(
    engine: Engine,
    run_id: int,
    client: WebClient,
    pacer: Pacer | None = None,
    senders: int = SENDERS,
) -> Tally:
    """Send the run's pending deliveries, `senders` at a time (Slack is a round trip away, so
    one at a time leaves most of the allowed pace unused); report those a crash left mid-send.
    Deliveries Slack refused with a 429 are sent again after the pacer has slowed down."""
    pacer = pacer or Pacer()
    client = answering_429s(client)
    tally = Tally()
    rows = _deliveries(engine, run_id)
    tally.stuck = sum(1 for row in rows if row[3] == "sending" and utcnow() - row[4] > STUCK_AFTER)
    waiting = [row for row in rows if row[3] == "pending"]

    def send(row: Row) -> str:
        return _send(engine, client, pacer, row)

    outcomes = in_rounds(waiting, send, lambda outcome: outcome == RATE_LIMITED, senders)
    for outcome in outcomes:
        _count(tally, outcome)
    tally.deferred += outcomes.count(RATE_LIMITED)  # still refused: left for the next run
    return tally


def _deliveries(engine: Engine, run_id: int) -> list[Row]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(  # type: ignore[call-overload]  # SQLModel's select is typed for four columns at most
                    Delivery.id,
                    Delivery.recipient,
                    Delivery.message,
                    Delivery.status,
                    Delivery.updated_at,
                )
                .where(Delivery.job_run_id == run_id)
                .order_by(col(Delivery.id))
            ).all()
        )


def _send(engine: Engine, client: WebClient, pacer: Pacer, row: Row) -> str:
    """Claim one delivery and post it: "sent", "taken" (another process has it), RATE_LIMITED,
    DEFERRED, UNCONFIRMED, or the error Slack gave."""
    delivery_id, recipient, message, _status, _updated_at = row
    pacer.wait(recipient)  # before the claim: a crash while waiting leaves it plainly pending
    if not _set(engine, delivery_id, "pending", status="sending"):
        return "taken"
    try:
        sent = client.chat_postMessage(channel=recipient, **json.loads(message))
    except SlackApiError as error:
        code = str(error.response.get("error") or error.response.status_code)
        if pacer.refused(error):
            _set(engine, delivery_id, "sending", status="pending")
            return RATE_LIMITED
        if code in TRY_AGAIN_LATER or error.response.status_code >= 500:
            _set(engine, delivery_id, "sending", status="pending")
            return DEFERRED
        _set(engine, delivery_id, "sending", status="failed", error=code[:200])
        log.warning("delivery %s to %s failed: %s", delivery_id, recipient, code)
        return UNCONFIRMED if code in UNCERTAIN else code
    pacer.confirmed()
    _set(
        engine, delivery_id, "sending", status="sent", ts=sent.get("ts"),
        channel=sent.get("channel"),
    )  # fmt: skip
    return "sent"


def _count(tally: Tally, outcome: str) -> None:
    if outcome == "sent":
        tally.sent += 1
    elif outcome == DEFERRED:
        tally.deferred += 1
    elif outcome == UNCONFIRMED:
        tally.unconfirmed += 1
    elif outcome not in ("taken", RATE_LIMITED):
        tally.failed.append(outcome)
