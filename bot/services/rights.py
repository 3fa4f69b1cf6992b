"""Data protection (UK GDPR): a member's export, erasure, the handover when someone leaves,
retention, and resuming scheduled sending paused by an uninstall (bot.services.workspace).

Erasure removes or anonymises every row about the person, then scrubs their Slack id from any
text left anywhere (a mention in someone else's update, a stored message), so no row names
them. It works as well for someone who never used the bot but is named in the partnership file
(a key worker, a coordinator): their name and id go too, and an erasure record, holding nothing
but a keyed hash of the Slack id, makes a reload of the file skip them. When their updates and
opportunities are deleted, the digests that quoted them are rewritten without them and marked
for redrawing in Slack (the caller does that after the commit). The audit trail records that an
erasure happened, by a reference, never by Slack id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    String,
    Table,
    and_,
    delete,
    func,
    literal,
    or_,
    true,
    update,
)
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import AutoString

from bot.db import insert_ignoring_conflict, read_scope, session_scope
from bot.models import (
    AuditEntry,
    Commitment,
    Delivery,
    DeskBooking,
    DeskHold,
    Draft,
    EmailDelivery,
    Erasure,
    InboxItem,
    JobRun,
    KeyWorker,
    Member,
    Opportunity,
    OpportunityInterest,
    Organisation,
    OutboxItem,
    Owned,
    Partnership,
    PartnershipSession,
    PartnerUpdate,
    ProcessedEvent,
    Rsvp,
    Secret,
    VisitStory,
    metadata,
    utcnow,
)
from bot.partnership_cache import partnership_settings
from bot.partnership_scope import current_partnership
from bot.scoping import ours, the_partnership
from bot.services import audit, outbox
from bot.services.coordinators import tell as tell_coordinators
from bot.services.directory import coordinators_in, is_coordinator
from bot.services.email import coordinators as emails
from bot.services.email.links import Mailing
from bot.services.hotdesk.store import booking_views
from bot.services.hotdesk.types import ACTIVE, Booking
from bot.services.outbox import Notice, Notices, Written
from bot.services.refusal import Refusal
from bot.services.wording import counted

FORMER = "a former member"
REMOVED = "Removed at a member's request."
# How long each kind of record is kept: months, but event ids in days (they only need to outlive
# Slack's retries, which come within the hour). Audit entries: six years.
DEFAULT_RETENTION = {
    "updates": 24,
    "bookings": 12,
    "sessions": 36,
    "opportunities": 12,
    "deliveries": 3,
    "job_runs": 12,
    "audit_entries": 72,
    "event_ids_days": 3,
}
RETENTION_MAX = 240  # months
EVENT_IDS_MAX = 30  # days
RETENTION_LIMITS = {  # kind: (lowest, highest, unit)
    **{kind: (1, RETENTION_MAX, "months") for kind in DEFAULT_RETENTION},
    "event_ids_days": (1, EVENT_IDS_MAX, "days"),
}
# What the retention job reports, in this order (deliveries before the job runs they belong to).
RETENTION_KINDS = {
    "updates": "updates",
    "bookings": "bookings",
    "sessions": "sessions",
    "opportunities": "opportunities",
    "deliveries": "deliveries",
    "emails": "deliveries",  # emails sent or refused (their text already blanked)
    "job runs": "job_runs",
    "audit entries": "audit_entries",
    "event ids": "event_ids_days",
    "requests": "event_ids_days",  # the inbox's finished requests (bodies already blanked)
    "sends": "event_ids_days",  # the outbox's settled items (messages already blanked)
}
RECORDS = ("updates", "bookings", "sessions", "opportunities", "audit entries")  # audited
# Job names as jobs/ declares them (services do not import jobs; tests/test_registry.py).
DIGEST_JOB = "digest"
OPPORTUNITY_REMINDERS_JOB = "opportunity-reminders"  # scope "opportunity-<id>"
ERASURE_KEY = "erasure-fingerprint"
REMOVAL = "removal"  # an erased person's channel post, deleted from Slack


class RightsProblem(Refusal):
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
    coordinator_ids: list[str] = field(default_factory=list)
    key_worker_entries: int = 0  # organisations they were named key worker for: removed
    stored_messages_rewritten: int = 0  # digests and reminders that quoted what was deleted
    redraws: list[int] = field(default_factory=list)  # deliveries whose Slack copy to redraw
    notices: tuple[Written, ...] = ()  # hosts told, channel posts removed: sent after the commit


@dataclass
class Aftermath:
    """What Slack did, after an erasure's commit, with the messages to delete and to redraw."""

    redrawn: int = 0
    retry: list[str] = field(default_factory=list)  # Slack's errors: tried again by housekeeping
    failed: list[str] = field(default_factory=list)  # Slack's errors: given up (delete by hand)
    left: int = 0  # not tried yet: housekeeping redraws them
    not_deleted: list[str] = field(default_factory=list)  # channel posts Slack would not delete

    @property
    def problems(self) -> bool:
        return bool(self.retry or self.failed or self.not_deleted)

    def __str__(self) -> str:
        def errors(codes: list[str]) -> str:
            return ", ".join(sorted(set(codes)))

        parts = [f"{self.redrawn} redrawn"]
        if self.retry:
            parts.append(f"{len(self.retry)} to try again ({errors(self.retry)})")
        if self.failed:
            parts.append(f"{len(self.failed)} Slack would not redraw ({errors(self.failed)})")
        if self.left:
            parts.append(f"{self.left} left for housekeeping")
        if self.not_deleted:
            parts.append(
                f"{len(self.not_deleted)} channel posts not deleted ({errors(self.not_deleted)})"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class Redraw:
    """A message the bot sent, rewritten since, whose copy in Slack is to be redrawn."""

    delivery_id: int
    channel: str | None  # Slack's channel id, where it was recorded
    recipient: str  # what the message was sent to: a channel or a user id
    ts: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class Handover:
    """Someone was deactivated in Slack: what of theirs needs a new owner."""

    member_name: str
    organisation: str | None
    commitments: list[str]
    bookings: list[Booking]
    coordinator_ids: list[str]  # those on Slack; those reached by email have it queued
    notices: tuple[Written, ...] = ()  # the coordinators' DMs: sent after the commit


def retention_policy(text: str) -> dict[str, int]:
    """How long to keep each kind of record (see DEFAULT_RETENTION): the partnership's over the
    defaults."""
    return {**DEFAULT_RETENTION, **(json.loads(text) if text else {})}


class Rights:
    def __init__(self, engine: Engine, zone: ZoneInfo, mailing: Mailing | None = None) -> None:
        self.engine = engine
        self.zone = zone
        self.mailing = mailing  # email is on: coordinators reached by email are written to

    # Export -------------------------------------------------------------------------------------

    def export(self, user_id: str) -> dict:
        """Everything the bot holds about the member, and nothing about anyone else."""
        with read_scope(self.engine) as session:
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

            def rows(model: type, *where: ColumnElement[bool] | bool) -> list:
                return list(session.exec(select(model).where(*where)).all())

            return {
                "exported_at": utcnow().isoformat(),
                "slack_user_id": user_id,
                "profile": member
                and {
                    "name": member.name,
                    "display_name": member.display_name,
                    "time_zone": member.tz,
                    "slack_workspace": member.slack_team_id,
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
                "preferences": {
                    "digest_by_dm": bool(member and member.digest_dm),
                    "named_as_visitor_in_digest": bool(member and member.name_in_digest),
                    "digest_by_email_to": member.digest_email if member else None,
                    "digest_email_awaiting_confirmation": (
                        member.digest_email_asked if member else None
                    ),
                    "asked_about_visits": bool(member is None or member.visit_stories),
                },
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
                "visit_stories": [
                    {
                        "visit": f"D{v.booking_id}",
                        "asked_as": v.role,
                        "answer": v.answer,
                        "answered_at": _iso(v.answered_at),
                    }
                    for v in rows(VisitStory, VisitStory.person_id == user_id)
                ],
                "messages_sent_to_you": [
                    {"status": d.status, "at": _iso(d.updated_at)}
                    for d in rows(Delivery, Delivery.recipient == user_id)
                ],
            }

    # Erasure ------------------------------------------------------------------------------------

    def forget(
        self,
        actor_id: str,
        user_id: str,
        delete_content: bool,
        now: datetime,
        *,
        notices: Notices[Receipt],
    ) -> Receipt:
        """Erase a person: by themselves, or by a coordinator for someone who has left (or who
        is named in the partnership file and never used the bot). What the erasure tells
        (`notices`: the hosts of cancelled visits) and the removal of the person's channel
        posts are written with it, so a crash after the commit cannot leave them showing."""
        today = now.astimezone(self.zone).date()
        reference = f"erasure-{uuid.uuid4().hex[:8]}"
        with session_scope(self.engine) as session:
            coordinators = [uid for uid in coordinators_in(session) if uid != user_id]
            if actor_id != user_id and actor_id not in coordinators:
                raise RightsProblem("Only coordinators can remove someone else's data.")
            if not _holds_anything(session, user_id):
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
                delete(DeskHold).where(col(DeskHold.visitor_id) == user_id, ours(DeskHold))
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
                    .where(col(Commitment.owner_id) == user_id, ours(Commitment))
                    .values(owner_id=heir, note="owner left", updated_at=utcnow())
                )
                .rowcount
            )
            messages: list[tuple[str, str]] = []
            rewritten, redraws = 0, list[int]()
            if delete_content:
                for model, author in ((PartnerUpdate, PartnerUpdate.author_id),
                                      (Opportunity, Opportunity.poster_id)):  # fmt: skip
                    posted = session.exec(
                        select(model.channel, model.ts).where(author == user_id)
                    ).all()
                    messages += [(c, t) for c, t in posted if c and t]
                erased = session.exec(
                    select(Opportunity.id, Opportunity.title, Opportunity.kind).where(
                        Opportunity.poster_id == user_id
                    )
                ).all()
                rewritten, redraws = _rewrite_deliveries(session, user_id, list(erased))
                updates = _delete(session, PartnerUpdate, PartnerUpdate.author_id == user_id)
                opportunities = _delete(session, Opportunity, Opportunity.poster_id == user_id)
            else:  # kept, attributed to the organisation only
                updates = session.connection().execute(
                    update(PartnerUpdate)
                    .where(col(PartnerUpdate.author_id) == user_id, ours(PartnerUpdate))
                    .values(author_id=None)
                ).rowcount  # fmt: skip
                opportunities = session.connection().execute(
                    update(Opportunity)
                    .where(col(Opportunity.poster_id) == user_id, ours(Opportunity))
                    .values(poster_id="")
                ).rowcount  # fmt: skip
            _delete(session, Draft, Draft.author_id == user_id)
            addresses = [  # their email addresses, and every email to them, go too
                *session.exec(select(KeyWorker.email).where(KeyWorker.slack_user_id == user_id)),
                *session.exec(select(Member.digest_email).where(Member.slack_user_id == user_id)),
                *session.exec(
                    select(Member.digest_email_asked).where(Member.slack_user_id == user_id)
                ),
            ]
            _delete(
                session,
                EmailDelivery,
                col(EmailDelivery.recipient).in_([a for a in addresses if a]),
            )
            _delete(session, VisitStory, VisitStory.person_id == user_id)
            key_worker = _delete(session, KeyWorker, KeyWorker.slack_user_id == user_id)
            _delete(session, Member, Member.slack_user_id == user_id)
            _delete(session, Delivery, Delivery.recipient == user_id)
            _delete(session, JobRun, col(JobRun.scope).contains(user_id))
            _scrub(session, user_id)
            _remember_erasure(session, user_id)
            who = "a member, at their request" if actor_id == user_id else "a member who left"
            audit.record(
                session,
                reference if actor_id == user_id else actor_id,
                "erasure",
                f"{reference}: {who}; {len(cancelled)} bookings cancelled, {reassigned} "
                f"commitments reassigned, updates and opportunities "
                f"{'deleted' if delete_content else 'kept for the organisation'}"
                + (f", {rewritten} stored messages rewritten" if rewritten else ""),
            )
            receipt = Receipt(
                reference, cancelled, interest, rsvps, reassigned, updates, opportunities,
                delete_content, coordinators, key_worker, rewritten, redraws,
            )  # fmt: skip
            removals = [Notice("delete", channel, ts=ts, about=REMOVAL) for channel, ts in messages]
            told = outbox.write_notices(session, [*notices(receipt), *removals])
            return replace(receipt, notices=told)

    # Redrawing what Slack shows ------------------------------------------------------------------

    def redraws(self, only: Sequence[int] | None = None, limit: int = 1000) -> list[Redraw]:
        """Sent messages rewritten by an erasure whose Slack copy is still to be redrawn:
        channel copies first (everyone sees those), then DMs."""
        with read_scope(self.engine) as session:
            query = select(  # type: ignore[call-overload]  # SQLModel's select is typed for four columns at most
                Delivery.id, Delivery.channel, Delivery.recipient, Delivery.ts, Delivery.message
            ).where(col(Delivery.redraw), col(Delivery.ts).is_not(None))
            if only is not None:
                query = query.where(col(Delivery.id).in_(list(only)))
            recipient = col(Delivery.recipient)
            direct = recipient.startswith("U") | recipient.startswith("W")
            rows = session.exec(query.order_by(direct, col(Delivery.id)).limit(limit)).all()
        found = []
        for delivery_id, channel, to, ts, message in rows:
            content = json.loads(message)
            text, blocks = content.get("text") or "", list(content.get("blocks") or [])
            found.append(Redraw(delivery_id or 0, channel, to, ts or "", text, blocks))
        return found

    def redrawn(self, delivery_ids: Iterable[int]) -> None:
        """Slack shows these as stored now (or they are gone from Slack, or never will be)."""
        ids = list(delivery_ids)
        if not ids:
            return
        with session_scope(self.engine) as session:
            session.connection().execute(
                update(Delivery).where(col(Delivery.id).in_(ids)).values(redraw=False)
            )

    def slack_problems(self, reference: str, detail: str) -> None:
        """What Slack would not do after an erasure, kept in the audit trail (by reference)."""
        with session_scope(self.engine) as session:
            audit.record(session, "Slack", "erasure follow-up", f"{reference}: {detail}")

    def handover(
        self, user_id: str, now: datetime, *, notices: Notices[Handover]
    ) -> Handover | None:
        """Slack says the user was deactivated: what coordinators need to hand over, told to
        each (`notices`, and by email to those reached so: once a day at most) in one
        transaction."""
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
            leaving = Handover(
                member.name or user_id,
                organisation.name if organisation else None,
                list(commitments),
                booking_views(session, bookings),
                [],
            )
            partnership = partnership_settings(session).name
            email = emails.handover(leaving, partnership) if self.mailing else None
            told = tell_coordinators(session, email, f"handover:m{member.id}:{today}")
            leaving = replace(leaving, coordinator_ids=told)
            return replace(leaving, notices=outbox.write_notices(session, notices(leaving)))

    # Retention ----------------------------------------------------------------------------------

    def retention(
        self, now: datetime, dry_run: bool = False, only: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Delete what the partnership's policy says has expired; counts by kind (the keys of
        RETENTION_KINDS, or those in `only`). An audit entry records what it deleted of the
        partnership's records; deliveries, job runs and event ids are the bot's own workings,
        reported by the job alone."""
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            policy = retention_policy(partnership_settings(session).retention)

            def before(kind: str) -> date:
                return today - timedelta(days=round(policy[kind] * 30.44))

            def since(kind: str) -> datetime:
                return datetime.combine(before(kind), time.min, tzinfo=self.zone)

            old_runs = select(JobRun.id).where(JobRun.claimed_at < since("job_runs"), ours(JobRun))
            expired: dict[str, tuple[type, Any]] = {
                "updates": (PartnerUpdate, PartnerUpdate.created_at < since("updates")),
                "bookings": (DeskBooking, DeskBooking.day < before("bookings")),
                "sessions": (PartnershipSession, PartnershipSession.held_on < before("sessions")),
                "opportunities": (
                    Opportunity,
                    or_(
                        col(Opportunity.closes_on) < before("opportunities"),
                        (col(Opportunity.closes_on).is_(None))
                        & (Opportunity.created_at < since("opportunities")),
                    ),
                ),
                "deliveries": (  # and those of the job runs about to go
                    Delivery,
                    or_(
                        col(Delivery.updated_at) < since("deliveries"),
                        col(Delivery.job_run_id).in_(old_runs),
                    ),
                ),
                "emails": (
                    EmailDelivery,
                    and_(
                        col(EmailDelivery.status).in_(("sent", "failed")),
                        col(EmailDelivery.updated_at) < since("deliveries"),
                    ),
                ),
                "job runs": (JobRun, JobRun.claimed_at < since("job_runs")),
                "audit entries": (AuditEntry, AuditEntry.at < since("audit_entries")),
                "event ids": (
                    ProcessedEvent,
                    ProcessedEvent.received_at < now - timedelta(days=policy["event_ids_days"]),
                ),
                "requests": (
                    InboxItem,
                    and_(
                        col(InboxItem.status) != "working",
                        col(InboxItem.received_at) < now - timedelta(days=policy["event_ids_days"]),
                    ),
                ),
                "sends": (
                    OutboxItem,
                    and_(
                        col(OutboxItem.status).not_in(("pending", "sending")),
                        col(OutboxItem.created_at) < now - timedelta(days=policy["event_ids_days"]),
                    ),
                ),
            }
            kinds = (
                list(RETENTION_KINDS) if only is None else [k for k in RETENTION_KINDS if k in only]
            )
            counts = {}
            for kind in kinds:
                model, condition = expired[kind]
                if dry_run:
                    counts[kind] = session.exec(
                        select(func.count()).select_from(model).where(condition)
                    ).one()
                else:
                    counts[kind] = _delete(session, model, condition)
            if not dry_run and any(counts.get(kind) for kind in RECORDS):
                summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
                audit.record(session, "retention", "retention", f"deleted {summary}")
            return counts

    # Installation -------------------------------------------------------------------------------

    def resume_sending(self, actor_id: str) -> bool:
        """A coordinator, through the reinstalled app, restarts scheduled sending."""
        with session_scope(self.engine) as session:
            if not is_coordinator(session, actor_id):
                raise RightsProblem("Only coordinators can resume scheduled sending.")
            row = the_partnership(session)
            if not row.sending_paused:
                return False
            row.sending_paused = False
            session.add(row)
            audit.record(session, actor_id, "sending resumed")
            return True

    # The audit trail ----------------------------------------------------------------------------

    def audit_trail(self, viewer_id: str) -> list[audit.AuditView]:
        """The latest entries, for coordinators only (audit.NotAllowed for anyone else)."""
        return audit.entries(self.engine, viewer_id)


def sending_paused(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return bool(partnership_settings(session).sending_paused)


# Helpers ----------------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _delete(session: Session, model: type[Owned], condition: object) -> int:
    """Delete the partnership's rows of `model` that meet `condition`."""
    statement = delete(model).where(condition, ours(model))  # type: ignore[arg-type]
    return session.connection().execute(statement).rowcount


def _text_columns() -> list[tuple[Table, Column[Any]]]:
    """(table, column) for every text column that is not a key, in every table but the
    erasure records and the inbox (requests in hand, whose bodies are blanked once done)."""
    skipped = (Erasure.__tablename__, Secret.__tablename__, InboxItem.__tablename__)
    return [
        (table, column)
        for table in metadata.sorted_tables
        if table.name not in skipped
        for column in table.columns
        if isinstance(column.type, String | AutoString) and not column.primary_key
    ]


def _holds_anything(session: Session, user_id: str) -> bool:
    """Whether any row mentions the Slack id: a member, a key worker named in the partnership
    file, a commitment someone recorded for them, a mention in someone's text."""
    keys = (
        (Member, Member.slack_user_id), (OpportunityInterest, OpportunityInterest.member_id),
        (Rsvp, Rsvp.member_id),
    )  # fmt: skip
    for model, column in keys:
        if session.exec(select(literal(1)).select_from(model).where(column == user_id)).first():
            return True
    return any(
        session.connection()
        .execute(
            select(literal(1))
            .select_from(table)
            .where(column.contains(user_id), _of_the_partnership(table))
            .limit(1)
        )
        .first()
        for table, column in _text_columns()
    )


def _of_the_partnership(table: Table) -> ColumnElement[bool]:
    """The running work's partnership's rows of `table`: its own row in `partnership`, and
    all of slack_sdk's stores (which hold only the partnership's workspace's installation)."""
    if "partnership_id" in table.c:
        return table.c.partnership_id == current_partnership()
    if table.name == Partnership.__tablename__:
        return table.c.id == current_partnership()
    return true()


def _scrub(session: Session, user_id: str) -> None:
    """Replace the Slack id wherever text still holds it (mentions, stored messages, audit): a
    mention (`<@U…>`, `<@U…|name>`, or escaped) becomes "a former member", name and all."""
    mention = re.compile(rf"(?:<|&lt;)@{re.escape(user_id)}(?:\|[^>&]*)?(?:>|&gt;)")
    bare = re.compile(rf"(?<![A-Z0-9]){re.escape(user_id)}(?![A-Z0-9])")  # not inside a longer id
    for table, column in _text_columns():
        keys = list(table.primary_key.columns)
        rows = (
            session.connection()
            .execute(
                sqlalchemy.select(*keys, column).where(
                    column.contains(user_id), _of_the_partnership(table)
                )
            )
            .all()
        )
        for *key, value in rows:
            scrubbed = bare.sub(FORMER, mention.sub(FORMER, value))
            if scrubbed == value:
                continue
            limit = getattr(column.type, "length", None)
            session.connection().execute(
                table.update()
                .where(and_(*(k == v for k, v in zip(keys, key, strict=True))))
                .values({column.name: scrubbed[:limit] if limit else scrubbed})
            )


# Erasure records ---------------------------------------------------------------------------------


def _erasure_key(session: Session, create: bool) -> bytes | None:
    """The HMAC-SHA256 key of the erasure fingerprints: 32 random bytes, made once (the first
    erasure) and kept in the database (`secret`), never derived from a setting.

    Why in the database: a fingerprint must come out the same in every process that loads the
    partnership file (web, clock, `partnerbot config load` on a coordinator's laptop) and after
    any change of configuration. A key derived from a setting (the signing secret, say) would
    change when that secret is rotated, and be missing where it is not set (Socket Mode, the
    command line): a reload would then quietly bring erased people back, which is the one thing
    the record is for. What the key buys: the table holds no Slack id and no name, nothing that
    identifies anyone by itself, and it cannot be matched against Slack ids from elsewhere without
    this database. Someone holding the whole database could test ids they already know, and learn
    only that that person was erased; the key is never shown, exported or logged.
    """
    if create:
        insert_ignoring_conflict(
            session, Secret.__table__, {"name": ERASURE_KEY, "value": secrets.token_hex(32)}
        )
    value = session.exec(select(Secret.value).where(Secret.name == ERASURE_KEY)).first()
    return bytes.fromhex(value) if value else None


def _fingerprint(key: bytes, user_id: str) -> str:
    return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()


def _remember_erasure(session: Session, user_id: str) -> None:
    key = _erasure_key(session, create=True)
    assert key is not None
    insert_ignoring_conflict(
        session, Erasure.__table__, {"fingerprint": _fingerprint(key, user_id)}
    )


def erased_check(session: Session) -> Callable[[str | None], bool]:
    """A test of whether a Slack id belongs to someone erased (for the partnership file's load)."""
    key = _erasure_key(session, create=False)
    if key is None:  # nobody was ever erased
        return lambda _: False
    known = set(session.exec(select(Erasure.fingerprint)).all())
    return lambda user_id: bool(user_id) and _fingerprint(key, user_id or "") in known


# Rewriting stored messages -----------------------------------------------------------------------


def _variants(text: str) -> str:
    """A pattern for `text` as Slack text holds it, with &, < and > escaped or not."""
    escapes = {"&": "(?:&|&amp;)", "<": "(?:<|&lt;)", ">": "(?:>|&gt;)"}
    return "".join(escapes.get(ch) or re.escape(ch) for ch in text)


def _fragment(text: str) -> str | None:
    """A piece of `text` that reads the same in Slack text and in its JSON (plain letters,
    digits and spaces), to find candidate messages in SQL; None when there is none long enough."""
    pieces = sorted(re.findall(r"[A-Za-z0-9 ]+", text), key=lambda p: len(p.strip()))
    best = pieces[-1].strip() if pieces else ""
    return best if len(best) >= 4 else None


@dataclass(frozen=True)
class _Quoted:
    """How the digest quotes what is being deleted: each update line ends with its author's
    mention (and topics); each opportunity line has `*title* — kind, ` (or the title as a link)."""

    update: re.Pattern[str]
    opportunities: list[re.Pattern[str]]

    @classmethod
    def of(cls, user_id: str, opportunities: Sequence[tuple[str, str]]) -> _Quoted:
        return cls(
            re.compile(rf" — <@{re.escape(user_id)}>(?: _\(.*\)_)?$"),
            [
                re.compile(rf"(?:\*|\|){_variants(title)}(?:\*|>\*) — {re.escape(kind)}, ")
                for title, kind in opportunities
            ],
        )

    def kind_of(self, line: str) -> str | None:
        if not line.startswith("• "):
            return None
        if self.update.search(line):
            return "update"
        if any(pattern.search(line) for pattern in self.opportunities):
            return "opportunity"
        return None


def _blank() -> dict[str, Any]:
    return {
        "text": REMOVED,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":wastebasket: _{REMOVED}_"}}
        ],
    }


def _without(message: dict[str, Any], quoted: _Quoted) -> dict[str, Any] | None:
    """The stored message without the lines that quote what is deleted (the counts it gives
    lowered to match, a note saying why); blank when nothing else is left; None if untouched."""
    blocks: list[dict[str, Any]] = []
    lines_gone = updates_gone = organisations_gone = 0
    for block in message.get("blocks") or []:
        body = block.get("text") if block.get("type") == "section" else None
        if not (isinstance(body, dict) and isinstance(body.get("text"), str)):
            blocks.append(block)
            continue
        kept, updates = [], 0
        for line in body["text"].split("\n"):
            kind = quoted.kind_of(line)
            if kind is None:
                kept.append(line)
            updates += kind == "update"
        gone = len(body["text"].split("\n")) - len(kept)
        lines_gone += gone
        updates_gone += updates
        if gone and not any(line.startswith(("• ", "…and ")) for line in kept):
            organisations_gone += updates > 0  # the whole section was theirs
            continue
        blocks.append(block if not gone else {**block, "text": {**body, "text": "\n".join(kept)}})
    if not lines_gone:
        return None
    listed = any(
        line.startswith(("• ", "…and "))
        for block in blocks
        if block.get("type") == "section" and isinstance(block.get("text"), dict)
        for line in str(block["text"].get("text", "")).split("\n")
    )
    if not listed:
        return _blank()
    tidy = [  # a divider stays only where it still leads into a section
        _recount(block, updates_gone, organisations_gone)
        for block, after in zip(blocks, [*blocks[1:], {}], strict=True)
        if block.get("type") != "divider" or after.get("type") == "section"
    ]
    if len(tidy) < 50:
        note = {"type": "mrkdwn", "text": "_Some items were removed at a member's request._"}
        tidy.append({"type": "context", "elements": [note]})
    text = re.sub(
        r"(\d+) updates? this week",
        lambda m: f"{counted(max(int(m[1]) - updates_gone, 0), 'update')} this week",
        str(message.get("text") or ""),
    )
    return {"text": text, "blocks": tidy}


def _recount(block: dict[str, Any], updates: int, organisations: int) -> dict[str, Any]:
    """The digest's "N updates from M organisations", less what was taken out."""
    if block.get("type") != "context" or not (updates or organisations):
        return block

    def lower(match: re.Match[str]) -> str:
        n, m = max(int(match[1]) - updates, 0), max(int(match[2]) - organisations, 0)
        return f"{counted(n, 'update')} from {counted(m, 'organisation')}"

    pattern = re.compile(r"(\d+) updates? from (\d+) organisations?")
    elements = [
        {**element, "text": pattern.sub(lower, element["text"])}
        if isinstance(element, dict) and isinstance(element.get("text"), str)
        else element
        for element in block.get("elements") or []
    ]
    return {**block, "elements": elements}


def _rewrite_deliveries(
    session: Session, user_id: str, opportunities: list[tuple[int | None, str, str]]
) -> tuple[int, list[int]]:
    """Take what is being deleted out of the stored messages that quote it: the weekly digests
    (the channel's copy and members' DMs) and the reminders about a deleted opportunity (blanked:
    they are about nothing else). Sent ones are marked to be redrawn in Slack, after the commit;
    unsent ones that would say nothing are dropped. Returns (rewritten, to redraw)."""
    quoted = _Quoted.of(user_id, [(title, kind) for _, title, kind in opportunities])
    fragments = [_fragment(title) for _, title, _ in opportunities]
    mentions = [col(Delivery.message).contains(f"<@{user_id}>")]
    if any(fragment is None for fragment in fragments):
        in_digest: Any = true()  # a title with nothing plain to look for: read every digest
    else:
        in_digest = or_(
            *mentions, *(col(Delivery.message).contains(f, autoescape=True) for f in fragments if f)
        )
    reminders = [f"opportunity-{opportunity_id}" for opportunity_id, _, _ in opportunities]
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select is typed for four columns at most
            Delivery.id, Delivery.message, Delivery.status, Delivery.ts, JobRun.job
        )
        .join(JobRun, col(JobRun.id) == Delivery.job_run_id)
        .where(
            Delivery.recipient != user_id,
            or_(
                and_(col(JobRun.job) == DIGEST_JOB, in_digest),
                and_(
                    col(JobRun.job) == OPPORTUNITY_REMINDERS_JOB, col(JobRun.scope).in_(reminders)
                ),
            ),
        )
    ).all()
    rewritten, redraws = 0, list[int]()
    for delivery_id, message, status, ts, job in rows:
        new = (
            _blank() if job == OPPORTUNITY_REMINDERS_JOB else _without(json.loads(message), quoted)
        )
        if new is None:
            continue
        rewritten += 1
        if status == "pending" and new == _blank():  # not sent yet, and nothing left to send
            session.connection().execute(delete(Delivery).where(col(Delivery.id) == delivery_id))
            continue
        # Marked even when not sent yet: a run that read the old text before this commit may be
        # sending it now; once it has a ts, housekeeping redraws it (the same text, if not).
        session.connection().execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id)
            .values(message=json.dumps(new), redraw=status != "failed")
        )
        if status == "sent" and ts:
            redraws.append(delivery_id)
    return rewritten, redraws
