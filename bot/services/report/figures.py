"""The report's figures: counts by organisation and month, gathered in a fixed number of grouped
queries whatever the number of organisations. Counts and organisations only: no person, and
nothing anyone typed, is read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func
from sqlmodel import Session, col, select

from bot.models import (
    Commitment,
    DeskBooking,
    Opportunity,
    Organisation,
    PartnershipSession,
    PartnerUpdate,
    SessionOrganisation,
)
from bot.services.hotdesk.stories import StoryCounts, story_counts
from bot.services.report.period import Period

KINDS = ("updates", "opportunities", "visits", "sessions")
BY_ORG = ("updates", "opportunities", "visited", "hosted", "attended")  # counted by organisation
NONE = 0  # the organisation id of a visitor who belongs to none
THIS, BEFORE = "this", "before"


def _counters() -> dict[str, Counter[tuple[int, str]]]:
    return {kind: Counter() for kind in BY_ORG}


@dataclass
class Counts:
    """One period's counts: `by_org[kind][(organisation, month)]`, sessions held by month,
    visits by (host, visitor), commitments by status."""

    by_org: dict[str, Counter[tuple[int, str]]] = field(default_factory=_counters)
    sessions: Counter[str] = field(default_factory=Counter)
    visits: Counter[tuple[int, int]] = field(default_factory=Counter)
    commitments: Counter[str] = field(default_factory=Counter)
    stories: StoryCounts = field(default_factory=lambda: StoryCounts(0, 0))  # told, not

    def total(self, kind: str) -> int:
        if kind == "sessions":
            return sum(self.sessions.values())
        if kind == "visits":
            return sum(self.visits.values())
        return sum(self.by_org[kind].values())

    def monthly(self, kind: str) -> Counter[str]:
        if kind == "sessions":
            return self.sessions
        counted = self.by_org["visited" if kind == "visits" else kind]
        months: Counter[str] = Counter()
        for (_, month), number in counted.items():
            months[month] += number
        return months

    def per_organisation(self, kind: str) -> Counter[int]:
        organisations: Counter[int] = Counter()
        for (organisation, _), number in self.by_org[kind].items():
            organisations[organisation] += number
        return organisations

    def taking_part(self) -> set[int]:
        """The organisations that posted, visited, hosted or attended."""
        return {org for counted in self.by_org.values() for org, _ in counted if org != NONE}

    @property
    def empty(self) -> bool:
        return not any(self.total(kind) for kind in KINDS) and not self.commitments


@dataclass(frozen=True)
class Figures:
    period: Period
    organisations: dict[int, tuple[str, str]]  # id: (code, name)
    this: Counts
    before: Counts


def gather(session: Session, period: Period) -> Figures:
    """Seven queries: the organisations' names, then updates, opportunities, visits, sessions,
    attendance and commitments, each counted with GROUP BY over this period and the one before
    it together; then, for each period, its visits with and without a story (two each)."""
    before = period.before()
    days = (before.first, period.first, period.last + timedelta(days=1))  # start, split, end
    moments = tuple(datetime.combine(day, time(), UTC) for day in days)  # the same, as moments
    counts = {THIS: Counts(), BEFORE: Counts()}
    named = select(Organisation.id, Organisation.code, Organisation.name)
    organisations = {
        org: (code, name) for org, code, name in session.exec(named.order_by(Organisation.name))
    }
    for kind, model in (("updates", PartnerUpdate), ("opportunities", Opportunity)):
        when = col(model.created_at)
        for which, org, month, number in _grouped(
            session, when, *moments, col(model.organisation_id)
        ):
            counts[which].by_org[kind][(org, month)] += number
    day = col(DeskBooking.day)
    visitor = func.coalesce(col(DeskBooking.visitor_organisation_id), NONE)
    for which, host, guest, month, number in _grouped(
        session,
        day,
        *days,
        col(DeskBooking.organisation_id),
        visitor,
        where=[DeskBooking.status == "confirmed"],
    ):
        counts[which].visits[(host, guest)] += number
        counts[which].by_org["hosted"][(host, month)] += number
        counts[which].by_org["visited"][(guest, month)] += number
    held = col(PartnershipSession.held_on)
    for which, month, number in _grouped(session, held, *days):
        counts[which].sessions[month] += number
    for which, org, month, number in _grouped(
        session,
        held,
        *days,
        col(SessionOrganisation.organisation_id),
        join=(SessionOrganisation, SessionOrganisation.session_id == PartnershipSession.id),
    ):
        counts[which].by_org["attended"][(org, month)] += number
    for which, status, _, number in _grouped(
        session,
        held,
        *days,
        col(Commitment.status),
        join=(Commitment, Commitment.session_id == PartnershipSession.id),
    ):
        counts[which].commitments[status] += number
    counts[THIS].stories = story_counts(session, period.first, period.last)
    counts[BEFORE].stories = story_counts(session, before.first, before.last)
    return Figures(period, organisations, counts[THIS], counts[BEFORE])


def _month(column: Any) -> ColumnElement[str]:
    """`YYYY-MM` of a date or timestamp, the same on SQLite and PostgreSQL."""
    return func.substr(cast(column, String), 1, 7)


def _grouped(
    session: Session,
    when: Any,
    start: Any,
    split: Any,
    end: Any,
    *keys: Any,
    where: list[Any] | None = None,
    join: tuple[Any, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Counts grouped by period (this one or the one before), `keys` and month, for rows with
    `when` (a column of `when.table`) in [start, end); `join` adds a table the keys come from."""
    which = case((when >= split, THIS), else_=BEFORE)
    month = _month(when)
    columns: list[Any] = [which, *keys, month, func.count()]
    query = select(*columns).select_from(when.table)
    if join is not None:
        query = query.join(*join)
    query = query.where(when >= start, when < end, *(where or []))
    return [tuple(row) for row in session.exec(query.group_by(which, *keys, month)).all()]
