"""Clicks that must act once, however often they come (Post anyway, Share as an update)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from bot.db import insert_ignoring_conflict
from bot.models import ProcessedEvent, utcnow


def claim_once(session: Session, key: str) -> bool:
    """True the first time `key` (a click that must act once) is claimed in this transaction's
    commit; False for any repeat. Kept as long as event ids are (the `[retention]` table)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    claimed = insert_ignoring_conflict(
        session, ProcessedEvent.__table__, {"event_id": f"once:{digest}", "received_at": utcnow()}
    )
    return claimed is not None
