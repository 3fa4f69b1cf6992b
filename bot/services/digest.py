"""What goes in the weekly digest: the week's updates by organisation, new and closing-soon
opportunities, and who has gone quiet.

Built with a fixed number of queries however many organisations, members or updates there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Member, Organisation, Partnership, PartnerUpdate
from bot.services.directory import OrganisationRef
from bot.services.opportunities.store import opportunities_between
from bot.services.opportunities.types import OpportunityView
from bot.services.updates import UpdateView, views_of

QUIET_AFTER = timedelta(weeks=4)


@dataclass(frozen=True)
class OrganisationWeek:
    organisation: OrganisationRef
    updates: list[UpdateView]


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
    new_opportunities: list[OpportunityView] = field(default_factory=list)
    closing_soon: list[OpportunityView] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """A week with nothing in it sends nothing (quiet organisations alone are no news)."""
        return not (self.organisations or self.new_opportunities or self.closing_soon)


def build_digest(engine: Engine, start: datetime, end: datetime) -> Digest:
    with session_scope(engine) as session:
        settings = session.get(Partnership, 1) or Partnership()
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
            new_opportunities=new_opportunities,
            closing_soon=closing_soon,
        )
