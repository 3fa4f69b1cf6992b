"""Opportunities' database helpers: each takes the caller's Session and reads or writes rows
in it, turning rows into the views of `types`. The service owns the transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Member, Opportunity, OpportunityInterest, Organisation, utcnow
from bot.services import gate
from bot.services.directory import OrganisationRef, find_organisation, is_coordinator
from bot.services.gate import Cleared, LooksPersonal, Reach
from bot.services.opportunities.rules import looks_alike, personal_findings
from bot.services.opportunities.types import (
    Caution,
    OpportunityInput,
    OpportunityProblem,
    OpportunityView,
    Reminder,
)

DUPLICATE_WINDOW = timedelta(days=30)


REMIND_BEFORE = timedelta(days=3)


class ClearedText(TypedDict):
    """An opportunity's typed text as the gate cleared it."""

    title: Cleared
    description: Cleared
    link: Cleared | None


def cleared(session: Session, attempt: OpportunityInput, anyway: bool) -> ClearedText:
    """Title, description and link through the gate; Caution when the guard holds them back."""
    policy = gate.privacy_policy(session)
    try:
        return {
            "title": gate.clear(attempt.title, Reach.OTHERS, policy=policy, anyway=anyway),
            "description": gate.clear(
                attempt.description, Reach.OTHERS, policy=policy, anyway=anyway
            ),
            "link": gate.clear_link(attempt.link, policy=policy, anyway=anyway)
            if attempt.link
            else None,
        }
    except LooksPersonal as looks:
        found = personal_findings(attempt, policy.staff)
        raise Caution(attempt, [], found, looks.may_share_anyway) from None


def poster_organisation(session: Session, user_id: str, code: str | None) -> Organisation:
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    own = (
        session.get(Organisation, member.organisation_id)
        if member and member.organisation_id
        else None
    )
    if code and (own is None or own.code != code):
        if not (member and member.is_coordinator):
            raise OpportunityProblem(
                "Only coordinators can share an opportunity for another organisation."
            )
        return find_organisation(session, code)
    if own is None:
        raise OpportunityProblem(
            "Opportunities are shared on behalf of an organisation, "
            "and you haven't joined one yet.",
            "/partners join Harbour",
        )
    return own


def recent_duplicates(
    session: Session, attempt: OpportunityInput, exclude_id: int | None
) -> list[OpportunityView]:
    """Shared in the last 30 days with the same link or an almost identical title."""
    recent = session.exec(
        select(Opportunity).where(
            Opportunity.status != "withdrawn", Opportunity.created_at >= utcnow() - DUPLICATE_WINDOW
        )
    ).all()
    found = [
        row for row in recent if row.id != exclude_id and looks_alike(row.title, row.link, attempt)
    ]
    return opportunity_views(session, found[:3])


def existing_opportunity(session: Session, opportunity_id: int) -> Opportunity:
    row = session.get(Opportunity, opportunity_id)
    if row is None or row.status == "withdrawn":
        raise OpportunityProblem("That opportunity has been withdrawn.", "/opportunity list")
    return row


def require_poster(session: Session, user_id: str, row: Opportunity, action: str) -> None:
    if user_id != row.poster_id and not is_coordinator(session, user_id):
        raise OpportunityProblem(f"Only the person who shared it or a coordinator can {action}.")


def changeable(session: Session, user_id: str, views: list[OpportunityView]) -> frozenset[int]:
    if is_coordinator(session, user_id):
        return frozenset(view.id for view in views)
    return frozenset(view.id for view in views if view.poster_id == user_id)


def opportunity_views(session: Session, rows: Sequence[Opportunity]) -> list[OpportunityView]:
    """Views of many opportunities in two queries (organisations, interest counts)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    counts = dict(
        session.exec(
            select(OpportunityInterest.opportunity_id, func.count())
            .where(col(OpportunityInterest.opportunity_id).in_(ids))
            .group_by(col(OpportunityInterest.opportunity_id))
        ).all()
    )
    organisations = {
        org.id: org
        for org in session.exec(
            select(Organisation).where(col(Organisation.id).in_({r.organisation_id for r in rows}))
        )
    }
    return [
        OpportunityView(
            id=row.id or 0,
            organisation=OrganisationRef(
                organisations[row.organisation_id].code, organisations[row.organisation_id].name
            ),
            poster_id=row.poster_id,
            kind=row.kind,
            title=row.title,
            description=row.description,
            link=row.link,
            closes_on=row.closes_on,
            event_on=row.event_on,
            places=row.places,
            status=row.status,
            interested=counts.get(row.id, 0),
            created_at=row.created_at,
            channel=row.channel,
            ts=row.ts,
        )
        for row in rows
    ]


def opportunity_view(session: Session, row: Opportunity) -> OpportunityView:
    return opportunity_views(session, [row])[0]


def closing_soon(session: Session, today: date) -> list[Reminder]:
    """Open ones closing within three days, each with its interested members."""
    rows = session.exec(
        select(Opportunity).where(
            Opportunity.status == "open",
            col(Opportunity.closes_on) > today,
            col(Opportunity.closes_on) <= today + REMIND_BEFORE,
        )
    ).all()
    views = {view.id: view for view in opportunity_views(session, rows)}
    people: dict[int, list[str]] = {}
    for opportunity_id, member_id in session.exec(
        select(OpportunityInterest.opportunity_id, OpportunityInterest.member_id)
        .where(col(OpportunityInterest.opportunity_id).in_(list(views)))
        .order_by(col(OpportunityInterest.member_id))
    ).all():
        people.setdefault(opportunity_id, []).append(member_id)
    return [Reminder(view, people.get(view.id, [])) for view in views.values()]


def opportunities_between(
    session: Session, start: datetime, end: datetime
) -> tuple[list[OpportunityView], list[OpportunityView]]:
    """For the digest: shared in [start, end), and open ones closing in the week after `end`."""
    new = session.exec(
        select(Opportunity)
        .where(
            Opportunity.status != "withdrawn",
            Opportunity.created_at >= start,
            Opportunity.created_at < end,
        )
        .order_by(col(Opportunity.created_at))
    ).all()
    closing = session.exec(
        select(Opportunity)
        .where(
            Opportunity.status == "open",
            col(Opportunity.closes_on) >= end.date(),
            col(Opportunity.closes_on) <= end.date() + timedelta(days=7),
        )
        .order_by(col(Opportunity.closes_on))
    ).all()
    return opportunity_views(session, new), opportunity_views(session, closing)
