"""De-duplication of Slack event deliveries (Slack retries; Bolt does not de-duplicate)."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import ProcessedEvent, utcnow


def claim_event(engine: Engine, event_id: str) -> bool:
    """True for the first delivery of `event_id`; False for any repeat, even concurrent ones."""
    with session_scope(engine) as session:
        return insert_ignoring_conflict(
            session, ProcessedEvent.__table__, {"event_id": event_id, "received_at": utcnow()}
        )


def claim_once(session: Session, key: str) -> bool:
    """True the first time `key` (a click that must act once) is claimed in this transaction's
    commit; False for any repeat. Kept as long as event ids are (the `[retention]` table)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return insert_ignoring_conflict(
        session, ProcessedEvent.__table__, {"event_id": f"once:{digest}", "received_at": utcnow()}
    )
