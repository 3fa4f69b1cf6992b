"""What goes in the weekly digest: the week's updates by organisation, new and closing-soon
opportunities, the week's hot-desk visits and the stories shared from visits, the next session
and how the last session's commitments stand, the terms added to the glossary, and who has gone
quiet.

Built with a fixed number of queries however many organisations, members or updates there are.
People appear only as the partnership agreed: a visitor by name only if they chose to be
(`Member.name_in_digest`), else counted by organisation; commitments by organisation, their
owners named only in the coordinators' copy, and only when overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.db import read_scope
from bot.models import (
    Commitment,
    DeskBooking,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    PartnershipSession,
    PartnerUpdate,
    Rsvp,
)
from bot.partnership_cache import partnership_settings
from bot.services.directory import OrganisationRef
from bot.services.glossary.store import added_between
from bot.services.glossary.types import Entry
from bot.services.hotdesk.stories import SharedStory, shared_stories
from bot.services.opportunities.store import opportunities_between
from bot.services.opportunities.types import OpportunityView
from bot.services.updates import UpdateView, views_of

QUIET_AFTER = timedelta(weeks=4)
# How a commitment stands, in the order the digest lists them; overdue outranks the others.
STANDINGS = {
    "overdue": "Overdue",
    "help": "Need help",
    "working": "In progress",
    "open": "Not started",
    "done": "Done",
}


@dataclass(frozen=True)
class OrganisationWeek:
    organisation: OrganisationRef
    updates: list[UpdateView]


@dataclass(frozen=True)
class Visitor:
    """Someone who visits a host this week, named only with their consent."""

    organisation: str  # their organisation's name; "" when they have none
    user_id: str | None  # None unless they chose to be named (`/partners digest name on`)
    days: list[tuple[date, str]]  # (day, part) of each confirmed visit


@dataclass(frozen=True)
class HostWeek:
    """A host agency's visitors this week: those named, the others counted by organisation."""

    host: OrganisationRef
    named: list[Visitor]
    counted: dict[str, int]  # visitor organisation's name ("" for none) → visitors
    awaiting: int = 0  # visits requested and still awaiting the host's approval


@dataclass(frozen=True)
class Overdue:
    """An overdue commitment as the coordinators' copy names it."""

    ref: str
    owner_id: str
    organisation: str
    what: str
    due_on: date
    owner_name: str = ""  # a key worker reached by email (owner_id is then "")


@dataclass(frozen=True)
class SessionNews:
    """The next session, who has replied, and how the last session's commitments stand."""

    ref: str
    title: str
    held_on: date
    next_on: date | None  # None when no date is set, or it has passed
    next_place: str
    replies: dict[str, int]  # RSVP answer → members
    standings: dict[str, list[str]]  # STANDINGS key → owners' organisations, one per commitment
    overdue: list[Overdue] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    partnership: str
    start: datetime
    end: datetime
    organisations: list[OrganisationWeek]
    quiet: list[OrganisationRef] = field(default_factory=list)
    channel: str | None = None
    dm_member_ids: list[str] = field(default_factory=list)
    coordinator_ids: list[str] = field(default_factory=list)
    email_members: list[tuple[int, str]] = field(default_factory=list)  # (member id, address)
    new_opportunities: list[OpportunityView] = field(default_factory=list)
    closing_soon: list[OpportunityView] = field(default_factory=list)
    visits: list[HostWeek] = field(default_factory=list)
    session: SessionNews | None = None
    stories: list[SharedStory] = field(default_factory=list)  # from visits, shared this week
    glossary: tuple[Entry, ...] = ()  # terms members added this week

    @property
    def empty(self) -> bool:
        """A week with nothing in it sends nothing: quiet organisations alone are no news, nor is
        the session news alone (the session follow-up job invites and reminds)."""
        return not (
            self.organisations or self.new_opportunities or self.closing_soon or self.visits
        )


def build_digest(engine: Engine, start: datetime, end: datetime) -> Digest:
    """The digest of [start, end): visits are those on the days from `start`'s to the day
    before `end`'s, as dated in the zone they are given in (the job's: the partnership's)."""
    first_day, next_day = start.date(), end.date()
    with read_scope(engine) as session:
        settings = partnership_settings(session)
        updates = session.exec(
            select(PartnerUpdate)
            .where(PartnerUpdate.created_at >= start, PartnerUpdate.created_at < end)
            .order_by(col(PartnerUpdate.organisation_id), col(PartnerUpdate.created_at))
        ).all()
        by_organisation: dict[str, OrganisationWeek] = {}
        for view in views_of(session, updates):
            week = by_organisation.setdefault(
                view.organisation.code, OrganisationWeek(view.organisation, [])
            )
            week.updates.append(view)
        last_posts = (
            select(PartnerUpdate.organisation_id, func.max(PartnerUpdate.created_at).label("last"))
            .group_by(col(PartnerUpdate.organisation_id))
            .subquery()
        )
        quiet = session.exec(
            select(Organisation)
            .outerjoin(last_posts, last_posts.c.organisation_id == Organisation.id)
            .where((last_posts.c.last.is_(None)) | (last_posts.c.last < end - QUIET_AFTER))
            .order_by(Organisation.name)
        ).all()
        members = session.exec(
            select(Member.slack_user_id, Member.digest_dm, Member.is_coordinator)
        ).all()
        by_email = session.exec(
            select(Member.id, Member.digest_email)
            .where(col(Member.digest_email).is_not(None))
            .order_by(col(Member.id))
        ).all()
        new_opportunities, closing_soon = opportunities_between(session, start, end)
        return Digest(
            partnership=settings.name,
            start=start,
            end=end,
            organisations=sorted(by_organisation.values(), key=lambda w: w.organisation.name),
            quiet=[OrganisationRef(org.code, org.name) for org in quiet],
            channel=settings.digest_channel,
            dm_member_ids=sorted(uid for uid, wants_dm, _ in members if wants_dm),
            coordinator_ids=sorted(uid for uid, _, coordinator in members if coordinator),
            email_members=[(member_id, address) for member_id, address in by_email if address],
            new_opportunities=new_opportunities,
            closing_soon=closing_soon,
            visits=_visits(session, first_day, next_day),
            session=_session_news(session, next_day),
            stories=shared_stories(session, start, end),
            glossary=added_between(session, start, end),
        )


def _visits(session: Session, first_day: date, next_day: date) -> list[HostWeek]:
    """Each host's confirmed visitors and pending requests on days in [first_day, next_day)."""
    organisations = {org.id: org for org in session.exec(select(Organisation))}
    rows = session.exec(
        select(DeskBooking, Member.name_in_digest)
        .outerjoin(Member, col(Member.slack_user_id) == DeskBooking.visitor_id)
        .where(
            DeskBooking.day >= first_day,
            DeskBooking.day < next_day,
            col(DeskBooking.status).in_(("confirmed", "pending")),
        )
        .order_by(col(DeskBooking.day), col(DeskBooking.part), col(DeskBooking.id))
    ).all()
    hosts: dict[int, tuple[dict[str, Visitor], dict[str, set[str]], list[int]]] = {}
    for booking, named in rows:
        visitors, unnamed, awaiting = hosts.setdefault(booking.organisation_id, ({}, {}, []))
        if booking.status == "pending":
            awaiting.append(booking.id)
            continue
        visiting = organisations.get(booking.visitor_organisation_id or 0)
        organisation = visiting.name if visiting else ""
        if not named:
            unnamed.setdefault(organisation, set()).add(booking.visitor_id)
            continue
        visitor = visitors.setdefault(
            booking.visitor_id, Visitor(organisation, booking.visitor_id, [])
        )
        visitor.days.append((booking.day, booking.part))
    weeks = [
        HostWeek(
            OrganisationRef(organisations[host_id].code, organisations[host_id].name),
            sorted(visitors.values(), key=lambda v: (v.organisation, v.days)),
            {name: len(ids) for name, ids in sorted(unnamed.items())},
            len(awaiting),
        )
        for host_id, (visitors, unnamed, awaiting) in hosts.items()
    ]
    return sorted(weeks, key=lambda week: week.host.name)


def _session_news(session: Session, today: date) -> SessionNews | None:
    """The latest session held by `today`: its next date and place, the replies to its
    invitation, and its commitments by standing (overdue: due before `today`, not done)."""
    latest = session.exec(
        select(PartnershipSession)
        .where(PartnershipSession.held_on <= today)
        .order_by(col(PartnershipSession.held_on).desc(), col(PartnershipSession.id).desc())
    ).first()
    if latest is None:
        return None
    replies: dict[str, int] = {}
    for answer in session.exec(select(Rsvp.answer).where(Rsvp.session_id == latest.id)).all():
        replies[answer] = replies.get(answer, 0) + 1
    rows = session.exec(
        select(Commitment, Organisation.name, func.coalesce(KeyWorker.name, PartnerPerson.name))
        .outerjoin(Member, col(Member.slack_user_id) == Commitment.owner_id)
        .outerjoin(KeyWorker, col(KeyWorker.id) == Commitment.owner_key_worker_id)
        .outerjoin(PartnerPerson, col(PartnerPerson.id) == Commitment.owner_person_id)
        .outerjoin(
            Organisation,
            col(Organisation.id)
            == func.coalesce(
                Member.organisation_id, KeyWorker.organisation_id, PartnerPerson.organisation_id
            ),
        )
        .where(Commitment.session_id == latest.id)
        .order_by(col(Commitment.id))
    ).all()
    standings: dict[str, list[str]] = {}
    overdue = []
    for commitment, organisation, key_worker in rows:
        late = commitment.status != "done" and commitment.due_on and commitment.due_on < today
        standing = "overdue" if late else commitment.status
        standings.setdefault(standing, []).append(organisation or "")
        if late and commitment.due_on:
            overdue.append(
                Overdue(
                    f"C{commitment.id}",
                    commitment.owner_id,
                    organisation or "",
                    commitment.what,
                    commitment.due_on,
                    key_worker or "",
                )
            )
    coming = latest.next_on if latest.next_on and latest.next_on >= today else None
    return SessionNews(
        ref=f"S{latest.id}",
        title=latest.title,
        held_on=latest.held_on,
        next_on=coming,
        next_place=latest.next_place if coming else "",
        replies=replies,
        standings={key: standings[key] for key in STANDINGS if key in standings},
        overdue=overdue,
    )
