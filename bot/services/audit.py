"""The audit trail: who changed what, and when, for coordinators to see with `/partners audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import read_scope
from bot.models import AuditEntry, Member
from bot.services.refusal import Refusal


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    detail: str


class NotAllowed(Refusal):
    """Only coordinators read the audit trail."""


def record(session: Session, actor: str, action: str, detail: str = "") -> None:
    """Write an entry in the caller's transaction: it stands or falls with the change itself."""
    session.add(AuditEntry(actor=actor[:40], action=action[:40], detail=detail[:500]))


def entries(engine: Engine, viewer_id: str, limit: int = 30) -> list[AuditView]:
    with read_scope(engine) as session:
        is_coordinator = session.exec(
            select(Member.is_coordinator).where(Member.slack_user_id == viewer_id)
        ).first()
        if not is_coordinator:
            raise NotAllowed("Only coordinators can read the audit trail.")
        rows = session.exec(
            select(AuditEntry)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
        return [AuditView(row.at, row.actor, row.action, row.detail) for row in rows]
