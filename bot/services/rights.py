"""Data protection (UK GDPR): a member's export, erasure, the handover when someone leaves,
retention, and pausing when the app is uninstalled.

Erasure removes or anonymises every row about the member, then scrubs their Slack id from any
text left anywhere (a mention in someone else's update, a stored message), so no row names
them. The audit trail records that an erasure happened, by a reference, never by Slack id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, String, delete, func, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import AutoString

from bot.db import session_scope
from bot.models import (
    Commitment,
    Delivery,
    DeskBooking,
    DeskHold,
    Draft,
    JobRun,
    KeyWorker,
    Member,
    Opportunity,
    OpportunityInterest,
    Organisation,
    Partnership,
    PartnershipSession,
    PartnerUpdate,
    Rsvp,
    metadata,
    utcnow,
)
from bot.services import audit
from bot.services.directory import coordinators_in, is_coordinator
from bot.services.hotdesk import ACTIVE, Booking, booking_views

FORMER = "a former member"
DEFAULT_RETENTION = {"updates": 24, "bookings": 12, "sessions": 36, "opportunities": 12}
RETENTION_MAX = 240  # months


class RightsProblem(Exception):
    """A request refused: `str()` is the sentence to show."""


@dataclass(frozen=True)
class Receipt:
    """What an erasure did, for the member's (or coordinator's) receipt."""

    reference: str
    bookings_cancelled: list[Booking]
    interest_removed: int
    rsvps_removed: int
    commitments_reassigned: int
    updates: int
    opportunities: int
    content_deleted: bool
    messages_to_delete: list[tuple[str, str]] = field(default_factory=list)  # (channel, ts)
    coordinator_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Handover:
    """Someone was deactivated in Slack: what of theirs needs a new owner."""

    member_name: str
    organisation: str | None
    commitments: list[str]
    bookings: list[Booking]
    coordinator_ids: list[str]


def retention_policy(text: str) -> dict[str, int]:
    """Months to keep each kind of record: the partnership's over the defaults."""
    return {**DEFAULT_RETENTION, **(json.loads(text) if text else {})}


class Rights:
    def __init__(self, engine: Engine, zone: ZoneInfo) -> None:
        self.engine = engine
        self.zone = zone

    # Export -------------------------------------------------------------------------------------

    def export(self, user_id: str) -> dict:
        """Everything the bot holds about the member, and nothing about anyone else."""
        with session_scope(self.engine) as session:
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
            organisation = (
                session.get(Organisation, member.organisation_id)
                if member and member.organisation_id
                else None
            )
            org_names = dict(session.exec(select(Organisation.id, Organisation.name)).all())
            titles = dict(
                session.exec(select(PartnershipSession.id, PartnershipSession.title)).all()
            )

            def rows(model: type, *where: object) -> list:
                return list(session.exec(select(model).where(*where)).all())

            return {
                "exported_at": utcnow().isoformat(),
                "slack_user_id": user_id,
                "profile": member
                and {
                    "name": member.name,
                    "display_name": member.display_name,
                    "time_zone": member.tz,
                    "joined_at": _iso(member.joined_at),
                },
                "membership": {
                    "organisation": organisation.name if organisation else None,
                    "coordinator": bool(member and member.is_coordinator),
                    "key_worker_for": [
                        org_names.get(worker.organisation_id)
                        for worker in rows(KeyWorker, KeyWorker.slack_user_id == user_id)
                    ],
                },
                "preferences": {"digest_by_dm": bool(member and member.digest_dm)},
                "updates": [
                    {
                        "organisation": org_names.get(u.organisation_id),
                        "text": u.text,
                        "posted_at": _iso(u.created_at),
                        "edited_at": _iso(u.edited_at),
                    }
                    for u in rows(PartnerUpdate, PartnerUpdate.author_id == user_id)
                ],
                "held_drafts": [
                    {"text": d.text, "held_at": _iso(d.created_at)}
                    for d in rows(Draft, Draft.author_id == user_id)
                ],
                "hot_desk_bookings": [
                    {
                        "reference": f"D{b.id}",
                        "host": org_names.get(b.organisation_id),
                        "day": b.day.isoformat(),
                        "part": b.part,
                        "status": b.status,
                    }
                    for b in rows(DeskBooking, DeskBooking.visitor_id == user_id)
                ],
                "opportunities": [
                    {
                        "kind": o.kind,
                        "title": o.title,
                        "description": o.description,
                        "link": o.link,
                        "closes_on": _iso(o.closes_on),
                        "status": o.status,
                        "shared_at": _iso(o.created_at),
                    }
                    for o in rows(Opportunity, Opportunity.poster_id == user_id)
                ],
                "interest": [
                    {"opportunity": title, "since": _iso(since)}
                    for title, since in session.exec(
                        select(Opportunity.title, OpportunityInterest.created_at)
                        .join(OpportunityInterest)
                        .where(OpportunityInterest.member_id == user_id)
                    ).all()
                ],
                "commitments": [
                    {
                        "reference": f"C{c.id}",
                        "session": titles.get(c.session_id),
                        "what": c.what,
                        "due_on": _iso(c.due_on),
                        "status": c.status,
                        "note": c.note,
                    }
                    for c in rows(Commitment, Commitment.owner_id == user_id)
                ],
                "rsvps": [
                    {"session": titles.get(r.session_id), "answer": r.answer}
                    for r in rows(Rsvp, Rsvp.member_id == user_id)
                ],
                "messages_sent_to_you": [
                    {"status": d.status, "at": _iso(d.updated_at)}
                    for d in rows(Delivery, Delivery.recipient == user_id)
                ],
            }

    # Erasure ------------------------------------------------------------------------------------

    def forget(self, actor_id: str, user_id: str, delete_content: bool, now: datetime) -> Receipt:
        """Erase a member: by themselves, or by a coordinator for someone who has left."""
        today = now.astimezone(self.zone).date()
        reference = f"erasure-{uuid.uuid4().hex[:8]}"
        with session_scope(self.engine) as session:
            coordinators = [uid for uid in coordinators_in(session) if uid != user_id]
            if actor_id != user_id and actor_id not in coordinators:
                raise RightsProblem("Only coordinators can remove someone else's data.")
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
            if member is None:
                raise RightsProblem("The bot holds nothing about that person.")
            coming = session.exec(
                select(DeskBooking).where(
                    DeskBooking.visitor_id == user_id,
                    col(DeskBooking.status).in_(ACTIVE),
                    DeskBooking.day >= today,
                )
            ).all()
            cancelled = booking_views(session, coming)
            ids = [row.id for row in coming]
            session.connection().execute(
                delete(DeskHold).where(col(DeskHold.visitor_id) == user_id)
            )
            if ids:
                session.connection().execute(
                    update(DeskBooking).where(col(DeskBooking.id).in_(ids))
                    .values(status="cancelled", ended_at=utcnow())
                )  # fmt: skip
            interest = _delete(
                session, OpportunityInterest, OpportunityInterest.member_id == user_id
            )
            rsvps = _delete(session, Rsvp, Rsvp.member_id == user_id)
            heir = actor_id if actor_id != user_id else (coordinators[0] if coordinators else "")
            reassigned = (
                session.connection()
                .execute(
                    update(Commitment)
                    .where(col(Commitment.owner_id) == user_id)
                    .values(owner_id=heir, note="owner left", updated_at=utcnow())
                )
                .rowcount
            )
            messages: list[tuple[str, str]] = []
            if delete_content:
                for model, author in ((PartnerUpdate, PartnerUpdate.author_id),
                                      (Opportunity, Opportunity.poster_id)):  # fmt: skip
                    posted = session.exec(
                        select(model.channel, model.ts).where(author == user_id)  # type: ignore[attr-defined]
                    ).all()
                    messages += [(c, t) for c, t in posted if c and t]
                updates = _delete(session, PartnerUpdate, PartnerUpdate.author_id == user_id)
                opportunities = _delete(session, Opportunity, Opportunity.poster_id == user_id)
            else:  # kept, attributed to the organisation only
                updates = session.connection().execute(
                    update(PartnerUpdate).where(col(PartnerUpdate.author_id) == user_id)
                    .values(author_id=None)
                ).rowcount  # fmt: skip
                opportunities = session.connection().execute(
                    update(Opportunity).where(col(Opportunity.poster_id) == user_id)
                    .values(poster_id="")
                ).rowcount  # fmt: skip
            _delete(session, Draft, Draft.author_id == user_id)
            _delete(session, KeyWorker, KeyWorker.slack_user_id == user_id)
            _delete(session, Member, Member.slack_user_id == user_id)
            _delete(session, Delivery, Delivery.recipient == user_id)
            _delete(session, JobRun, col(JobRun.scope).contains(user_id))
            _scrub(session, user_id)
            who = "a member, at their request" if actor_id == user_id else "a member who left"
            audit.record(
                session,
                reference if actor_id == user_id else actor_id,
                "erasure",
                f"{reference}: {who}; {len(cancelled)} bookings cancelled, {reassigned} "
                f"commitments reassigned, updates and opportunities "
                f"{'deleted' if delete_content else 'kept for the organisation'}",
            )
            return Receipt(
                reference, cancelled, interest, rsvps, reassigned, updates, opportunities,
                delete_content, messages, coordinators,
            )  # fmt: skip

    def handover(self, user_id: str, now: datetime) -> Handover | None:
        """Slack says the user was deactivated: what coordinators need to hand over."""
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
            if member is None:
                return None
            organisation = session.get(Organisation, member.organisation_id or 0)
            commitments = session.exec(
                select(Commitment.what).where(
                    Commitment.owner_id == user_id, Commitment.status != "done"
                )
            ).all()
            bookings = session.exec(
                select(DeskBooking).where(
                    DeskBooking.visitor_id == user_id,
                    col(DeskBooking.status).in_(ACTIVE),
                    DeskBooking.day >= today,
                )
            ).all()
            return Handover(
                member.name or user_id,
                organisation.name if organisation else None,
                list(commitments),
                booking_views(session, bookings),
                coordinators_in(session),
            )

    # Retention ----------------------------------------------------------------------------------

    def retention(self, now: datetime, dry_run: bool = False) -> dict[str, int]:
        """Delete what the partnership's policy says has expired; counts by kind."""
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            policy = retention_policy((session.get(Partnership, 1) or Partnership()).retention)

            def before(kind: str) -> date:
                return today - timedelta(days=round(policy[kind] * 30.44))

            expired = {
                "updates": (PartnerUpdate, PartnerUpdate.created_at < _start(before("updates"))),
                "bookings": (DeskBooking, DeskBooking.day < before("bookings")),
                "sessions": (PartnershipSession, PartnershipSession.held_on < before("sessions")),
                "opportunities": (
                    Opportunity,
                    or_(
                        col(Opportunity.closes_on) < before("opportunities"),
                        (col(Opportunity.closes_on).is_(None))
                        & (Opportunity.created_at < _start(before("opportunities"))),
                    ),
                ),
            }
            counts = {}
            for kind, (model, condition) in expired.items():
                if dry_run:
                    counts[kind] = session.exec(
                        select(func.count()).select_from(model).where(condition)
                    ).one()
                else:
                    counts[kind] = _delete(session, model, condition)
            if not dry_run and any(counts.values()):
                summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
                audit.record(session, "retention", "retention", f"deleted {summary}")
            return counts

    # Installation -------------------------------------------------------------------------------

    def pause_sending(self, reason: str) -> bool:
        """The app was uninstalled or its tokens revoked: stop scheduled sending, keep data."""
        with session_scope(self.engine) as session:
            row = session.get(Partnership, 1) or Partnership()
            if row.sending_paused:
                return False
            row.sending_paused = True
            session.add(row)
            audit.record(session, "Slack", "sending paused", reason)
            return True


def resume_sending(engine: Engine, actor_id: str) -> bool:
    """A coordinator, through the reinstalled app, restarts scheduled sending."""
    with session_scope(engine) as session:
        if not is_coordinator(session, actor_id):
            raise RightsProblem("Only coordinators can resume scheduled sending.")
        row = session.get(Partnership, 1) or Partnership()
        if not row.sending_paused:
            return False
        row.sending_paused = False
        session.add(row)
        audit.record(session, actor_id, "sending resumed")
        return True


def sending_paused(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return bool((session.get(Partnership, 1) or Partnership()).sending_paused)


# Helpers ----------------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()).astimezone()


def _delete(session: Session, model: type, condition: object) -> int:
    return session.connection().execute(delete(model).where(condition)).rowcount  # type: ignore[arg-type]


def _scrub(session: Session, user_id: str) -> None:
    """Replace the Slack id wherever text still holds it (mentions, stored messages, audit)."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | AutoString) or column.primary_key:
                continue
            session.connection().execute(
                table.update()
                .where(column.contains(user_id))
                .values({column.name: func.replace(column, user_id, FORMER)})
            )
