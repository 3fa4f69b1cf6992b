"""Email deliveries, as the digest's Slack deliveries: written with the change they tell of,
then claimed one by one (pending → sending, an atomic UPDATE, so two processes never take the
same row), sent outside any transaction, and settled: sent; failed on a permanent refusal
(5xx), with the coordinators told in the same transaction; back to pending, later, on a
temporary one (4xx, the server away). A row a crash left sending is reported as failed, never
resent blindly: SMTP has no idempotency key. The partnership's per-minute limit is kept across
processes by counting the sends of the last minute in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, one_statement, read_scope, session_scope
from bot.models import EmailDelivery, utcnow
from bot.partnership_cache import partnership_settings
from bot.services import outbox
from bot.services.email.messages import Email, compose
from bot.services.email.smtp import Outcome
from bot.services.outbox import Notice, Written

log = logging.getLogger("partnerbot.email")

RETRY_AFTER = timedelta(minutes=5)  # a temporary refusal waits this long, doubling each time
RETRY_MAX = timedelta(hours=6)
GIVE_UP_AFTER = 8  # temporary refusals in a row before it is failed as permanent
STUCK_AFTER = timedelta(minutes=10)
INTERRUPTED = "interrupted mid-send: it may have gone; not sent again"

Transport = Callable[
    [EmailMessage], Outcome
]  # sends an EmailMessage (bot.services.email.smtp.Smtp)


@dataclass(frozen=True)
class Undelivered:
    """An email that could not be delivered, for the coordinators to hear of."""

    recipient: str
    about: str
    error: str
    key: str = ""  # its delivery's key, which says what it was (a report of another, say)
    delivery_id: int = 0


# The coordinators' notices of an undelivered email, drawn by the caller in the transaction
# that marks it failed.
Report = Callable[[Session, Undelivered], Sequence[Notice]]


@dataclass
class EmailTally:
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    later: int = 0
    paced: int = 0
    stuck: int = 0
    notices: list[Written] = field(default_factory=list)  # the coordinators', to send now

    def __str__(self) -> str:
        parts = [f"{self.sent} emails sent"]
        if self.failed:
            parts.append(f"{len(self.failed)} refused ({'; '.join(self.failed)})")
        if self.later:
            parts.append(f"{self.later} to try again later (server busy or away)")
        if self.paced:
            parts.append(f"{self.paced} left for the next minute (the per-minute limit)")
        if self.stuck:
            parts.append(f"{self.stuck} interrupted mid-send, not resent")
        return ", ".join(parts)


def queue(session: Session, key: str, recipient: str, email: Email) -> bool:
    """An email to send after the caller's transaction commits; once per `key` (work done
    again writes nothing twice). True when this call wrote it."""
    now = utcnow()
    values = {
        "key": key, "recipient": recipient, "message": email.to_json(), "status": "pending",
        "attempts": 0, "not_before": now, "error": "", "created_at": now, "updated_at": now,
    }  # fmt: skip
    return bool(insert_ignoring_conflict(session, EmailDelivery.__table__, values))


def _move(engine: Engine, delivery_id: int, expected: str, **values: object) -> bool:
    with one_statement(engine) as connection:
        result = connection.execute(
            update(EmailDelivery)
            .where(col(EmailDelivery.id) == delivery_id, col(EmailDelivery.status) == expected)
            .values(updated_at=utcnow(), **values)
        )
        return result.rowcount == 1


def _fail(
    engine: Engine, row: EmailDelivery, expected: str, error: str, report: Report, tally: EmailTally
) -> bool:
    """Failed, and the coordinators told, in one transaction."""
    with session_scope(engine) as session:
        moved = session.connection().execute(
            update(EmailDelivery)
            .where(col(EmailDelivery.id) == row.id, col(EmailDelivery.status) == expected)
            .values(status="failed", error=error[:200], message="", updated_at=utcnow())
        )
        if moved.rowcount != 1:
            return False
        about = Email.from_json(row.message).about
        undelivered = Undelivered(row.recipient, about, error, row.key, row.id)
        tally.notices += outbox.write_notices(session, report(session, undelivered))
        return True


def per_minute(engine: Engine) -> int:
    with read_scope(engine) as session:
        return partnership_settings(session).emails_per_minute


def _sent_in_last_minute(engine: Engine, now: datetime) -> int:
    with read_scope(engine) as session:
        return session.exec(
            select(func.count()).where(
                col(EmailDelivery.status).in_(("sent", "sending")),
                EmailDelivery.updated_at > now - timedelta(minutes=1),
            )
        ).one()


def send_due(
    engine: Engine,
    transport: Transport,
    sender: str,
    *,
    report: Report,
    now: datetime | None = None,
) -> EmailTally:
    """Send what is due, within the per-minute limit; report what a crash left mid-send."""
    now = now or utcnow()
    tally = EmailTally()
    with session_scope(engine) as session:
        rows = session.exec(
            select(EmailDelivery)
            .where(col(EmailDelivery.status).in_(("pending", "sending")))
            .order_by(col(EmailDelivery.id))
        ).all()
    limit = per_minute(engine)
    for row in rows:
        if row.status == "sending":
            if now - row.updated_at > STUCK_AFTER and _fail(
                engine, row, "sending", INTERRUPTED, report, tally
            ):
                tally.stuck += 1
            continue
        if row.not_before > now:
            continue
        if _sent_in_last_minute(engine, utcnow()) >= limit:
            tally.paced += 1
            continue
        if not _move(engine, row.id, "pending", status="sending", attempts=row.attempts + 1):
            continue  # another process took it
        email = Email.from_json(row.message)
        outcome = transport(compose(email, sender, row.recipient))
        if outcome.status == "sent":  # kept as a record of whom, not of what: text blanked
            _move(engine, row.id, "sending", status="sent", error="", message="")
            tally.sent += 1
        elif outcome.status == "later" and row.attempts + 1 < GIVE_UP_AFTER:
            wait = min(RETRY_AFTER * 2**row.attempts, RETRY_MAX)
            _move(engine, row.id, "sending", status="pending", error=outcome.error[:200],
                  not_before=utcnow() + wait)  # fmt: skip
            log.info("email %s deferred: %s", row.id, outcome.code)
            tally.later += 1
        else:
            _fail(engine, row, "sending", outcome.error, report, tally)
            log.warning("email %s refused: %s", row.id, outcome.code)
            tally.failed.append(outcome.code)
    return tally
