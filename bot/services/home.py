"""What a member's Home tab shows: their week across every capability, and, for coordinators,
the partnership at a glance.

Built from short lists (capped, with how many more there are) in a fixed number of queries,
however much the partnership holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.db import read_scope
from bot.models import (
    Commitment,
    DeskBooking,
    Opportunity,
    OpportunityInterest,
    Organisation,
    PartnershipSession,
    PartnerUpdate,
    Rsvp,
)
from bot.services.directory import Directory, MemberView, ProfileLoader
from bot.services.glossary.store import term_of_the_week
from bot.services.glossary.types import Entry
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.stories import StoryCounts, story_counts
from bot.services.opportunities.service import Opportunities
from bot.services.opportunities.store import opportunity_views
from bot.services.sessions import Sessions, SessionView, session_view
from bot.services.updates import UpdateView, views_of

SHOWN = 5
GLANCE_WEEKS = 8
QUIET_AFTER = timedelta(weeks=4)


@dataclass(frozen=True)
class Capped:
    """Up to SHOWN items, and how many more there are."""

    items: list
    more: int = 0


@dataclass(frozen=True)
class Glance:
    """The partnership at a glance, for coordinators."""

    updates_by_organisation: list[tuple[str, int]]
    quiet: list[str]
    commitments_by_status: dict[str, int]
    bookings_by_agency: list[tuple[str, int]]
    stories: StoryCounts  # visits over the same weeks, with and without a story


@dataclass(frozen=True)
class HomeData:
    member: MemberView
    visiting: Capped = field(default_factory=lambda: Capped([]))  # coming bookings
    hosting: Capped = field(
        default_factory=lambda: Capped([])
    )  # visitors to their agency this week
    commitments: Capped = field(default_factory=lambda: Capped([]))
    closing: Capped = field(default_factory=lambda: Capped([]))
    interested: Capped = field(default_factory=lambda: Capped([]))
    updates: list[UpdateView] = field(default_factory=list)
    next_session: SessionView | None = None
    rsvp: str | None = None
    glance: Glance | None = None
    partnership_is_new: bool = False
    term_of_the_week: Entry | None = None


def _cap(items: list) -> Capped:
    return Capped(items[:SHOWN], max(0, len(items) - SHOWN))


class Home:
    def __init__(self, engine: Engine, zone: ZoneInfo, opportunities: Opportunities) -> None:
        self.engine = engine
        self.zone = zone
        self.directory = Directory(engine)
        self.hotdesk = Hotdesk(engine, zone)
        self.sessions = Sessions(engine, zone)
        self.opportunities = opportunities

    def for_member(self, user_id: str, now: datetime, load_profile: ProfileLoader) -> HomeData:
        member = self.directory.whoami(user_id, load_profile)
        if member.organisation is None:
            return HomeData(member)
        today = now.astimezone(self.zone).date()
        bookings = self.hotdesk.mine(user_id, now)
        week_end = today + timedelta(days=7)
        hosting = [b for b in bookings.hosting if b.day < week_end]
        closing = self.opportunities.browse(user_id, None, False, today)
        commitments = self.sessions.mine(user_id)
        with read_scope(self.engine) as session:  # one session, not one per part of the tab
            interested = session.exec(
                select(Opportunity)
                .join(OpportunityInterest)
                .where(
                    OpportunityInterest.member_id == user_id,
                    Opportunity.status == "open",
                )
                .order_by(col(Opportunity.closes_on).is_(None), col(Opportunity.closes_on))
                .limit(SHOWN + 1)
            ).all()
            others = session.exec(
                select(PartnerUpdate)
                .join(Organisation)
                .where(Organisation.code != member.organisation.code)
                .order_by(col(PartnerUpdate.created_at).desc())
                .limit(SHOWN)
            ).all()
            upcoming = session.exec(
                select(PartnershipSession)
                .where(col(PartnershipSession.next_on) >= today)
                .order_by(col(PartnershipSession.held_on).desc())
            ).first()
            rsvp = session.get(Rsvp, (upcoming.id, user_id)) if upcoming is not None else None
            has_anything = any(
                session.exec(select(func.count()).select_from(table)).one()
                for table in (PartnerUpdate, DeskBooking, Opportunity, PartnershipSession)
            )
            glance = _glance(session, now) if member.is_coordinator else None
            data = HomeData(
                member=member,
                visiting=_cap(bookings.visiting),
                hosting=_cap(hosting),
                commitments=_cap(commitments),
                closing=Capped(closing.items[:SHOWN], SHOWN if closing.has_more else 0),
                interested=_cap(opportunity_views(session, interested)),
                updates=views_of(session, others),
                next_session=session_view(session, upcoming) if upcoming else None,
                rsvp=rsvp.answer if rsvp else None,
                glance=glance,
                partnership_is_new=not has_anything,
                term_of_the_week=term_of_the_week(session, today),
            )
        return data


def _glance(session: Session, now: datetime) -> Glance:
    """Updates per organisation over eight weeks, the quiet, commitments, desk bookings."""
    since = now - timedelta(weeks=GLANCE_WEEKS)
    per_organisation = session.exec(
        select(Organisation.name, func.count(col(PartnerUpdate.id)))
        .outerjoin(
            PartnerUpdate,
            (col(PartnerUpdate.organisation_id) == Organisation.id)
            & (col(PartnerUpdate.created_at) >= since),
        )
        .group_by(Organisation.name)
        .order_by(Organisation.name)
    ).all()
    last = (
        select(PartnerUpdate.organisation_id, func.max(PartnerUpdate.created_at).label("last"))
        .group_by(col(PartnerUpdate.organisation_id))
        .subquery()
    )
    quiet = session.exec(
        select(Organisation.name)
        .outerjoin(last, last.c.organisation_id == Organisation.id)
        .where((last.c.last.is_(None)) | (last.c.last < now - QUIET_AFTER))
        .order_by(Organisation.name)
    ).all()
    statuses = dict(
        session.exec(select(Commitment.status, func.count()).group_by(Commitment.status)).all()
    )
    bookings = session.exec(
        select(Organisation.name, func.count(col(DeskBooking.id)))
        .join(DeskBooking, col(DeskBooking.organisation_id) == Organisation.id)
        .where(
            col(DeskBooking.status).in_(("pending", "confirmed")), DeskBooking.day >= since.date()
        )
        .group_by(Organisation.name)
        .order_by(func.count(col(DeskBooking.id)).desc())
    ).all()
    stories = story_counts(session, since.date(), now.date())
    return Glance(list(per_organisation), list(quiet), statuses, list(bookings), stories)
