"""The inbox: what Slack was told is accepted is stored first, so it outlives the process.

A request is inserted before it is acknowledged (one statement), its work runs afterwards and
marks it done. A process that dies leaves its rows in progress; their lease (renewed while the
work runs) runs out, and any running process claims them (atomically: `FOR UPDATE SKIP LOCKED`
on PostgreSQL, the write lock on SQLite) and does the work again. What the work makes is
unique on its inbox row (`current_item`), so doing it again does it once.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col, select

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import InboxItem, utcnow

LEASE = timedelta(seconds=15)  # renewed every few seconds while the work runs
MAX_ATTEMPTS = 3  # a request whose work killed the process this often is given up, and said so
WORKING, DONE, FAILED = "working", "done", "failed"

# The inbox row whose work is running in this thread: what the work makes is unique on it.
current_item: ContextVar[int | None] = ContextVar("current_item", default=None)


@dataclass(frozen=True)
class Claimed:
    """A request left unfinished by a process that died, now this process's to do."""

    id: int
    kind: str
    body: dict[str, Any]
    attempts: int


class Inbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def accept(self, kind: str, body: dict[str, Any], event_id: str | None = None) -> int | None:
        """Store the request, leased to this process; None for an event already accepted
        (Slack's retry of an event whose work is in hand here or in another process)."""
        now = utcnow()
        values = {
            "kind": kind[:80], "body": json.dumps(body), "event_id": event_id,
            "status": WORKING, "lease_until": now + LEASE, "attempts": 1, "received_at": now,
        }  # fmt: skip
        with session_scope(self.engine) as session:
            if event_id is None:
                row = InboxItem(**values)
                session.add(row)
                session.flush()
                return row.id
            if not insert_ignoring_conflict(session, InboxItem.__table__, values):
                return None
            return session.exec(select(InboxItem.id).where(InboxItem.event_id == event_id)).one()

    def done(self, item_id: int, failed: bool = False) -> None:
        """The work is over (or given up): forget the body, which holds what was typed."""
        with session_scope(self.engine) as session:
            session.connection().execute(
                update(InboxItem)
                .where(col(InboxItem.id) == item_id)
                .values(status=FAILED if failed else DONE, body="")
            )

    def renew(self, item_ids: list[int]) -> None:
        """Keep the leases of the work this process is doing."""
        if not item_ids:
            return
        with session_scope(self.engine) as session:
            session.connection().execute(
                update(InboxItem)
                .where(col(InboxItem.id).in_(item_ids), InboxItem.status == WORKING)
                .values(lease_until=utcnow() + LEASE)
            )

    def claim_abandoned(self, limit: int = 10) -> list[Claimed]:
        """Rows whose lease ran out (their process died), leased now to this one."""
        now = utcnow()
        with session_scope(self.engine) as session:
            candidates = (
                select(InboxItem.id)
                .where(InboxItem.status == WORKING, InboxItem.lease_until < now)
                .order_by(col(InboxItem.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.exec(candidates).all())
            if not ids:
                return []
            claimed = session.connection().execute(
                update(InboxItem)
                .where(col(InboxItem.id).in_(ids), InboxItem.lease_until < now)
                .values(lease_until=now + LEASE, attempts=InboxItem.attempts + 1)
                .returning(InboxItem.id, InboxItem.kind, InboxItem.body, InboxItem.attempts)
            )
            return [
                Claimed(row.id, row.kind, json.loads(row.body or "{}"), row.attempts)
                for row in claimed
            ]
