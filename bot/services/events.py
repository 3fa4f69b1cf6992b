"""De-duplication of Slack event deliveries (Slack retries; Bolt does not de-duplicate)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func
from sqlmodel import select

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import ProcessedEvent, utcnow

KEEP_EVENT_IDS = timedelta(days=2)  # Slack retries within minutes; two days is ample


def claim_event(engine: Engine, event_id: str) -> bool:
    """True for the first delivery of `event_id`; False for any repeat, even concurrent ones."""
    with session_scope(engine) as session:
        return insert_ignoring_conflict(
            session, ProcessedEvent.__table__, {"event_id": event_id, "received_at": utcnow()}
        )


def forget_old_events(engine: Engine, now: datetime, dry_run: bool = False) -> int:
    """Drop event ids too old to be retried, so the table stays small; returns how many."""
    too_old = ProcessedEvent.received_at < now - KEEP_EVENT_IDS
    with session_scope(engine) as session:
        if dry_run:
            return session.exec(
                select(func.count()).select_from(ProcessedEvent).where(too_old)
            ).one()
        return session.connection().execute(delete(ProcessedEvent).where(too_old)).rowcount
