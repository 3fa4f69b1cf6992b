"""Hot desks' database helpers: each takes the caller's Session and reads or writes rows in it,
turning rows into the views of `types`. The service owns the transactions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict
from bot.models import (
    DeskBooking,
    DeskHold,
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    utcnow,
)
from bot.partnership_cache import kept, partnership_settings
from bot.scoping import ours
from bot.services import outbox
from bot.services.directory import Person, find_organisation, is_coordinator
from bot.services.hotdesk.rules import free_cell, nearest_free, open_for_booking
from bot.services.hotdesk.types import (
    ACTIVE,
    Booking,
    Cell,
    Ended,
    Host,
    HotdeskProblem,
    Part,
    Slot,
    SlotGone,
)
from bot.services.outbox import Notices
from bot.services.working_days import WorkingDays

ALTERNATIVES_WINDOW = 14  # days either side of the one asked for


class AlreadyBooked(Exception):
    """The visitor holds this very booking already (a second click, a retried request): raised
    inside the booking's transaction to roll it back, and caught by the service."""

    def __init__(self, booking_id: int) -> None:
        self.booking_id = booking_id


def partnership_working_days(session: Session) -> WorkingDays:
    return WorkingDays(partnership_settings(session).bank_holidays)


def host_of(
    session: Session, organisation: Organisation, offer: HotdeskOffer | None = None
) -> Host:
    """The agency as a host: as it stands, or with `offer` instead of its own (the offer form's
    starting values)."""
    if offer is not None:
        workers = session.exec(
            select(KeyWorker)
            .where(KeyWorker.organisation_id == organisation.id)
            .order_by(KeyWorker.name)
        ).all()
        return _make_host(organisation, offer, workers)
    host = _hosts(session).by_organisation.get(organisation.id)
    if host is None:
        hosts = ", ".join(host.name for host in all_hosts(session)) or "none yet"
        raise HotdeskProblem(
            f"{organisation.name} doesn't lend hot desks. Agencies that do: {hosts}.",
            "/hotdesk free",
            field="host",
        )
    return host


def _make_host(
    organisation: Organisation, offer: HotdeskOffer, workers: Iterable[KeyWorker]
) -> Host:
    return Host(
        code=organisation.code,
        name=organisation.name,
        address=organisation.address,
        protocol=organisation.visitor_protocol,
        key_workers=tuple(Person(worker.name, worker.slack_user_id) for worker in workers),
        desks=offer.desks,
        weekdays=tuple(offer.weekdays),
        half_days=offer.half_days,
        needs_approval=offer.needs_approval,
        max_days_ahead=offer.max_days_ahead,
        closures=_closures(offer.closures),
        closed_on_bank_holidays=offer.closed_on_bank_holidays,
    )


def _closures(days: list[str]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(day) for day in days)


@dataclass(frozen=True)
class Hosts:
    """Every agency with an offer: by name, by organisation id, and their ids by code."""

    listed: tuple[Host, ...]
    by_organisation: Mapping[int, Host]
    ids: Mapping[str, int]


@kept
def _hosts(session: Session) -> Hosts:
    rows = session.exec(
        select(Organisation, HotdeskOffer).join(HotdeskOffer).order_by(Organisation.name)
    ).all()
    workers: dict[int, list[KeyWorker]] = {}
    for worker in session.exec(select(KeyWorker).order_by(KeyWorker.name)).all():
        workers.setdefault(worker.organisation_id, []).append(worker)
    hosts = {org.id: _make_host(org, offer, workers.get(org.id, [])) for org, offer in rows}
    return Hosts(
        tuple(hosts.values()), hosts, {host.code: org_id for org_id, host in hosts.items()}
    )


def all_hosts(session: Session) -> list[Host]:
    """Every agency with an offer, by name."""
    return list(_hosts(session).listed)


def visitor_member(session: Session, user_id: str) -> Member:
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    if member is None or member.organisation_id is None:
        raise HotdeskProblem(
            "Desks are lent to partners' staff, and you haven't joined an organisation yet.",
            "/partners join Harbour",
        )
    return member


def hold_seat(
    session: Session, booking: DeskBooking, organisation: Organisation, host: Host, half: str
) -> None:
    """Take the lowest free seat for one half-day, or raise (the whole booking rolls back)."""
    for seat in range(1, host.desks + 1):
        inserted = insert_ignoring_conflict(
            session,
            DeskHold.__table__,
            {
                "booking_id": booking.id, "organisation_id": organisation.id,
                "visitor_id": booking.visitor_id, "day": booking.day, "half": half, "seat": seat,
            },
        )  # fmt: skip
        if inserted:
            return
        _refuse_overlap(session, booking, half)
    raise SlotGone("every desk is taken")  # the caller words it, with nearby free slots


def _refuse_overlap(session: Session, booking: DeskBooking, half: str) -> None:
    """The visitor already holds a desk then: the same booking again, or a clash."""
    mine = session.exec(
        select(DeskHold.booking_id).where(
            DeskHold.visitor_id == booking.visitor_id,
            DeskHold.day == booking.day,
            DeskHold.half == half,
            DeskHold.booking_id != booking.id,
        )
    ).first()
    if mine is None:
        return
    other = session.get(DeskBooking, mine)
    if other and (other.organisation_id, other.part) == (booking.organisation_id, booking.part):
        raise AlreadyBooked(mine)
    clash = booking_of(session, other) if other else None
    where = f" at {clash.host.name}, {clash.part.label} ({clash.ref})" if clash else ""
    raise HotdeskProblem(
        f"You already have a booking then{where}. Cancel it first to change it.",
        "/hotdesk mine",
        field="part",
    )


def existing_booking(session: Session, booking_id: int) -> DeskBooking:
    row = session.get(DeskBooking, booking_id)
    if row is None:
        raise HotdeskProblem(f"There is no booking D{booking_id}.", "/hotdesk mine")
    return row


ENDED_FROM = {"confirmed": ("pending",), "declined": ("pending",), "released": ("pending",)}


def transition(session: Session, row: DeskBooking, status: str, by: str | None) -> bool:
    """Move a booking on atomically (approve, decline, release: from pending; cancel: from
    either active state); False when someone else already moved it."""
    values: dict[str, object] = {"status": status}
    if status in ("confirmed", "declined"):
        values["decided_by"] = by
    if status != "confirmed":
        values |= {"ended_by": by, "ended_at": utcnow()}
    result = session.connection().execute(
        update(DeskBooking)
        .where(
            col(DeskBooking.id) == row.id,
            col(DeskBooking.status).in_(ENDED_FROM.get(status, ACTIVE)),
        )
        .values(**values)
    )
    return result.rowcount == 1


def end_booking(session: Session, row: DeskBooking, status: str, by: str | None) -> bool:
    """Cancel, decline or release: the desks are freed in the same transaction."""
    won = transition(session, row, status, by)
    if won:
        session.connection().execute(
            delete(DeskHold).where(col(DeskHold.booking_id) == row.id, ours(DeskHold))
        )
        session.refresh(row)
    return won


def booking_views(session: Session, rows: Sequence[DeskBooking]) -> list[Booking]:
    """Views of many bookings in a fixed number of queries."""
    if not rows:
        return []
    hosts = {host.code: host for host in all_hosts(session)}
    org_ids = {row.organisation_id for row in rows} | {
        row.visitor_organisation_id for row in rows if row.visitor_organisation_id
    }
    organisations = {
        org.id: org
        for org in session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids)))
    }
    names = dict(
        session.exec(
            select(Member.slack_user_id, Member.name).where(
                col(Member.slack_user_id).in_({row.visitor_id for row in rows})
            )
        ).all()
    )
    views = []
    for row in rows:
        organisation = organisations[row.organisation_id]
        host = hosts.get(organisation.code) or _make_host(
            organisation, HotdeskOffer(organisation_id=organisation.id), ()
        )  # the agency stopped lending desks since: still show the booking
        visitor_org = organisations.get(row.visitor_organisation_id or 0)
        name = names.get(row.visitor_id) or row.visitor_id
        views.append(booking_view(row, host, name, visitor_org.name if visitor_org else None))
    return views


def booking_view(
    row: DeskBooking, host: Host, visitor_name: str, visitor_org: str | None
) -> Booking:
    return Booking(
        id=row.id or 0, host=host, visitor_id=row.visitor_id, visitor_name=visitor_name,
        visitor_organisation=visitor_org, day=row.day, part=Part(row.part), status=row.status,
    )  # fmt: skip


def with_notices(session: Session, ended: Ended, notices: Notices[Ended]) -> Ended:
    """The change's notices written in its transaction."""
    return replace(ended, notices=outbox.write_notices(session, notices(ended)))


def booking_of(session: Session, row: DeskBooking) -> Booking:
    return booking_views(session, [row])[0]


def _taken(session: Session, org_ids: Iterable[int], days: Sequence[date]) -> dict:
    """Desks held, by (organisation id, day, half), in one query."""
    rows = session.exec(
        select(DeskHold.organisation_id, col(DeskHold.day), DeskHold.half, func.count())
        .where(
            col(DeskHold.organisation_id).in_(list(org_ids)),
            col(DeskHold.day) >= min(days),
            col(DeskHold.day) <= max(days),
        )
        .group_by(col(DeskHold.organisation_id), col(DeskHold.day), col(DeskHold.half))
    ).all()
    return {(org_id, day, half): count for org_id, day, half, count in rows}


def free_cells(
    session: Session,
    hosts: Sequence[Host],
    days: Sequence[date],
    now: datetime,
    working: WorkingDays,
) -> dict[tuple[str, date], Cell | None]:
    """Free desks for each agency and day; None where it is not open for booking."""
    ids = _hosts(session).ids
    taken = _taken(session, [ids[host.code] for host in hosts], days) if hosts else {}
    cells: dict[tuple[str, date], Cell | None] = {}
    for host in hosts:
        for day in days:
            if not open_for_booking(host, day, working, now):
                cells[host.code, day] = None
                continue
            free = {
                half: max(0, host.desks - taken.get((ids[host.code], day, half), 0))
                for half in ("am", "pm")
            }
            cells[host.code, day] = free_cell(day, now, free)
    return cells


def alternatives_near(
    session: Session, organisation: Organisation | None, day: date, part: Part, now: datetime
) -> list[Slot]:
    """The free slots nearest the one asked for: same agency nearby days, then others that day."""
    hosts = all_hosts(session)
    days = [
        day + timedelta(days=offset)
        for offset in range(-ALTERNATIVES_WINDOW, ALTERNATIVES_WINDOW + 1)
        if day + timedelta(days=offset) >= now.date()
    ]
    asked = (organisation.code if organisation else "", day, part)
    cells = free_cells(session, hosts, days, now, partnership_working_days(session))
    return nearest_free(hosts, cells, days, asked)


def editable_organisation(session: Session, user_id: str, query: str) -> Organisation:
    """The organisation whose offer the person may change: theirs as key worker, or any for a
    coordinator. An empty query means the one they are key worker for."""
    coordinator = is_coordinator(session, user_id)
    keyed = session.exec(
        select(Organisation)
        .join(KeyWorker)
        .where(KeyWorker.slack_user_id == user_id)
        .order_by(Organisation.name)
    ).all()
    if not query:
        if len(keyed) == 1:
            return keyed[0]
        raise HotdeskProblem(
            "Which agency's offer? Give its name or code.", "/hotdesk offer HRS", field="host"
        )
    organisation = find_organisation(session, query)
    if not coordinator and organisation.id not in {org.id for org in keyed}:
        raise HotdeskProblem(
            f"Only {organisation.name}'s key worker or a coordinator can change its hot-desk offer."
        )
    return organisation
