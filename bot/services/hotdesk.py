"""Hot desks: partners' staff book a desk at another agency, under that agency's rules.

The database keeps the rules that matter under concurrency: each half-day a booking takes is a
`DeskHold` row, unique per (agency, day, half, seat) with seats numbered up to the agency's
desks, and unique per (visitor, day, half). Two people racing for the last desk both try to
insert the same seat; exactly one succeeds. Slack is never called from here: what a booking's
change tells (the key worker, the visitor, the calendar file) is drawn by the caller and written
to the outbox in the change's own transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import (
    DeskBooking,
    DeskHold,
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    Partnership,
    utcnow,
)
from bot.services import audit, outbox
from bot.services.dates import format_date
from bot.services.directory import (
    OrganisationRef,
    Person,
    find_organisation,
    is_coordinator,
    replace_slack_key_workers,
)
from bot.services.gate import Reach, clear_fields
from bot.services.outbox import Notices, Written
from bot.services.refusal import Refusal
from bot.services.text import clean
from bot.services.working_days import WEEKDAYS, WorkingDays

ACTIVE = ("pending", "confirmed")
DESKS_MAX = 50
DAYS_AHEAD_MAX = 365
PROTOCOL_MAX = 2000
ADDRESS_MAX = 500
APPROVAL_CUTOFF = time(17, 0)  # pending requests are released at 17:00 the working day before
ALTERNATIVES_MAX = 4
ALTERNATIVES_WINDOW = 14  # days either side of the one asked for
GRID_DAYS = 5
REF = re.compile(r"^#?d?(\d{1,9})$", re.IGNORECASE)


class Part(StrEnum):
    AM = "am"
    PM = "pm"
    DAY = "day"

    @property
    def halves(self) -> tuple[str, ...]:
        return ("am", "pm") if self is Part.DAY else (self.value,)

    @property
    def label(self) -> str:
        return {"am": "morning", "pm": "afternoon", "day": "whole day"}[self.value]

    @property
    def hours(self) -> tuple[time, time]:
        return {"am": (time(9), time(13)), "pm": (time(13), time(17)), "day": (time(9), time(17))}[
            self.value
        ]


PART_WORDS = {
    "am": Part.AM, "morning": Part.AM, "pm": Part.PM, "afternoon": Part.PM,
    "day": Part.DAY, "all-day": Part.DAY, "whole": Part.DAY, "full": Part.DAY,
}  # fmt: skip


def parse_part(word: str) -> Part | None:
    return PART_WORDS.get(word.strip().lower().replace(".", ""))


def parse_ref(text: str) -> int | None:
    """ "D12", "d12", "#12" or "12" → 12."""
    match = REF.match(text.strip())
    return int(match[1]) if match else None


class HotdeskProblem(Refusal):
    """A request refused: `str()` is the sentence to show; `alternatives` are slots to offer;
    `field` is the form field it is about: host, day or part."""

    def __init__(
        self, message: str, example: str = "", alternatives: Sequence[Slot] = (), field: str = ""
    ) -> None:
        super().__init__(message, example, field)
        self.alternatives = list(alternatives)


class SlotGone(HotdeskProblem):
    """The slot is full (perhaps someone took the last desk a moment ago)."""


@dataclass(frozen=True)
class Host:
    """An agency that lends desks, and everything a visitor needs to know before going."""

    code: str
    name: str
    address: str
    protocol: str
    key_workers: tuple[Person, ...]
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool
    max_days_ahead: int
    closures: tuple[date, ...]
    closed_on_bank_holidays: bool

    @property
    def ref(self) -> OrganisationRef:
        return OrganisationRef(self.code, self.name)

    @property
    def key_worker_ids(self) -> tuple[str, ...]:
        return tuple(person.slack_user_id for person in self.key_workers if person.slack_user_id)

    @property
    def parts(self) -> tuple[Part, ...]:
        return (Part.AM, Part.PM, Part.DAY) if self.half_days else (Part.DAY,)


@dataclass(frozen=True)
class Booking:
    id: int
    host: Host
    visitor_id: str
    visitor_name: str
    visitor_organisation: str | None
    day: date
    part: Part
    status: str

    @property
    def ref(self) -> str:
        return f"D{self.id}"


@dataclass(frozen=True)
class Booked:
    booking: Booking
    already: bool = False  # the same booking existed: a second click, or a retried request
    notices: tuple[Written, ...] = ()  # written with the booking, to send after the commit


@dataclass(frozen=True)
class Ended:
    """A booking cancelled or decided; `other_side` is whom to let know (the key workers or
    the visitor, not the person acting)."""

    booking: Booking
    by: str
    other_side: tuple[str, ...]
    already: bool = False
    notices: tuple[Written, ...] = ()  # written with the change, to send after the commit


@dataclass(frozen=True)
class Slot:
    host: OrganisationRef
    day: date
    part: Part
    free: int


@dataclass(frozen=True)
class Cell:
    """Free desks at one agency on one day (None: not open for booking that day)."""

    am: int
    pm: int

    def free_parts(self, host: Host) -> list[Part]:
        parts = []
        if host.half_days:
            parts += [part for part, free in ((Part.AM, self.am), (Part.PM, self.pm)) if free]
        if self.am and self.pm:
            parts.append(Part.DAY)
        return parts


@dataclass(frozen=True)
class FreeGrid:
    days: list[date]
    hosts: list[Host]
    cells: dict[tuple[str, date], Cell | None]


@dataclass(frozen=True)
class MyBookings:
    visiting: list[Booking]
    hosting: list[Booking] = field(default_factory=list)  # at agencies where they are key worker


@dataclass(frozen=True)
class OfferEdit:
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool
    closures: tuple[date, ...]
    closed_on_bank_holidays: bool
    max_days_ahead: int
    address: str
    protocol: str
    key_worker_ids: tuple[str, ...]


class OfferInvalid(Refusal):
    """The offer form's problems, by field, to show next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Nightly:
    """What the evening job tells: releases of undecided requests, and tomorrow's visits."""

    released: list[Booking]
    visits: list[Booking]


class _Already(Exception):
    def __init__(self, booking_id: int) -> None:
        self.booking_id = booking_id


class Hotdesk:
    def __init__(self, engine: Engine, zone: ZoneInfo) -> None:
        self.engine = engine
        self.zone = zone

    # Hosts --------------------------------------------------------------------------------------

    def hosts(self) -> list[Host]:
        with session_scope(self.engine) as session:
            return _hosts(session)

    def host(self, query: str) -> Host:
        with session_scope(self.engine) as session:
            return _host(session, find_organisation(session, query))

    def working_days(self) -> WorkingDays:
        with session_scope(self.engine) as session:
            return _working_days(session)

    # Booking ------------------------------------------------------------------------------------

    def book(
        self,
        user_id: str,
        host_query: str,
        day: date,
        part: Part | None,
        now: datetime,
        *,
        notices: Notices[Booking],
    ) -> Booked:
        """Book a desk, or raise HotdeskProblem saying why not (with nearby free slots).
        `notices` draws what the booking tells; it is written with the booking."""
        now = now.astimezone(self.zone)
        try:
            with session_scope(self.engine) as session:
                visitor = _visitor(session, user_id)
                organisation = find_organisation(session, host_query)
                host = _host(session, organisation)
                part = part or Part.DAY
                _check_bookable(session, organisation, host, visitor, day, part, now)
                booking = DeskBooking(
                    organisation_id=organisation.id, visitor_id=user_id,
                    visitor_organisation_id=visitor.organisation_id, day=day, part=part.value,
                    status="pending" if host.needs_approval else "confirmed",
                )  # fmt: skip
                session.add(booking)
                session.flush()
                for half in part.halves:
                    _hold(session, booking, organisation, host, half)
                own = session.get(Organisation, visitor.organisation_id)  # already loaded
                made = _view(booking, host, visitor.name or user_id, own.name if own else None)
                return Booked(made, notices=outbox.write_notices(session, notices(made)))
        except _Already as already:
            with session_scope(self.engine) as session:
                return Booked(_booking(session, session.get(DeskBooking, already.booking_id)), True)
        except SlotGone:
            with session_scope(self.engine) as session:
                organisation = find_organisation(session, host_query)
                part = part or Part.DAY
                alternatives = _alternatives(session, organisation, day, part, now)
            raise SlotGone(
                f"Sorry — every desk at {organisation.name} is taken "
                f"{format_date(day, now.date())} ({part.label}); someone may just have booked "
                "the last one.",
                alternatives=alternatives,
                field="day",
            ) from None

    def cancel(
        self, user_id: str, booking_id: int, now: datetime, *, notices: Notices[Ended]
    ) -> Ended:
        """Cancel a coming booking (visitor, the host's key worker or a coordinator); its desks
        are free again at once. Cancelling twice is not an error."""
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            row = _existing(session, booking_id)
            host = _host(session, session.get(Organisation, row.organisation_id))
            is_host_side = user_id in host.key_worker_ids or is_coordinator(session, user_id)
            if user_id != row.visitor_id and not is_host_side:
                raise HotdeskProblem(
                    f"Only the visitor, {host.name}'s key worker or a coordinator can cancel "
                    f"booking D{booking_id}."
                )
            if row.status not in ACTIVE:
                return Ended(_booking(session, row), user_id, (), already=True)
            if row.day < today:
                raise HotdeskProblem(f"Booking D{booking_id} was for a day that has passed.")
            _end(session, row, "cancelled", user_id)
            if user_id != row.visitor_id:
                audit.record(session, user_id, "booking cancelled", f"D{booking_id} (host side)")
            other = host.key_worker_ids if user_id == row.visitor_id else (row.visitor_id,)
            ended = Ended(_booking(session, row), user_id, tuple(p for p in other if p != user_id))
            return _told(session, ended, notices)

    def decide(
        self, user_id: str, booking_id: int, approve: bool, *, notices: Notices[Ended]
    ) -> Ended:
        """A key worker (or coordinator) approves or declines a pending visit, once."""
        with session_scope(self.engine) as session:
            row = _existing(session, booking_id)
            host = _host(session, session.get(Organisation, row.organisation_id))
            if user_id not in host.key_worker_ids and not is_coordinator(session, user_id):
                raise HotdeskProblem(
                    f"Only {host.name}'s key worker or a coordinator can approve or decline visits."
                )
            if row.status != "pending":
                return Ended(_booking(session, row), row.decided_by or "", (), already=True)
            if approve:
                won = _transition(session, row, "confirmed", user_id)
            else:
                won = _end(session, row, "declined", user_id)
            session.refresh(row)
            if not won:
                return Ended(_booking(session, row), row.decided_by or "", (), already=True)
            if user_id not in host.key_worker_ids:  # a coordinator deciding for the host
                verb = "approved" if approve else "declined"
                audit.record(session, user_id, f"visit {verb}", f"D{booking_id} for {host.code}")
            return _told(
                session, Ended(_booking(session, row), user_id, (row.visitor_id,)), notices
            )

    # Looking ------------------------------------------------------------------------------------

    def free(self, day: date | None, now: datetime) -> FreeGrid:
        """Free desks on one day, or on the next five working days."""
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            if day is not None and day < today:
                raise HotdeskProblem(
                    f"{day:%-d %b %Y} has passed; ask about today or later.",
                    "/hotdesk free tomorrow",
                )
            working = _working_days(session)
            if day is not None:
                days = [day]
            else:
                first = today if working.is_working_day(today) else working.next_after(today)
                days = [first]
                while len(days) < GRID_DAYS:
                    days.append(working.next_after(days[-1]))
            hosts = _hosts(session)
            return FreeGrid(days, hosts, _cells(session, hosts, days, now.astimezone(self.zone)))

    def mine(self, user_id: str, now: datetime) -> MyBookings:
        today = now.astimezone(self.zone).date()
        with session_scope(self.engine) as session:
            coming = (
                select(DeskBooking)
                .where(col(DeskBooking.status).in_(ACTIVE), DeskBooking.day >= today)
                .order_by(col(DeskBooking.day), col(DeskBooking.id))
            )
            visiting = session.exec(coming.where(DeskBooking.visitor_id == user_id)).all()
            hosted_by = select(KeyWorker.organisation_id).where(KeyWorker.slack_user_id == user_id)
            hosting = session.exec(
                coming.where(col(DeskBooking.organisation_id).in_(hosted_by))
            ).all()
            return MyBookings(booking_views(session, visiting), booking_views(session, hosting))

    # The evening job ----------------------------------------------------------------------------

    def nightly(self, session: Session, fire: datetime) -> Nightly:
        """Release requests undecided at their deadline, and list the next working day's visits.

        Takes the caller's session, so the job records whom to tell in the same transaction."""
        local = fire.astimezone(self.zone)
        working = _working_days(session)
        pending = session.exec(
            select(DeskBooking)
            .where(DeskBooking.status == "pending")
            .order_by(col(DeskBooking.day), col(DeskBooking.id))
        ).all()
        released = []
        for row in pending:
            if approval_deadline(row.day, working, self.zone) <= local and _end(
                session, row, "released", None
            ):
                released.append(row)
        until = working.next_after(local.date())
        visits = session.exec(
            select(DeskBooking)
            .where(
                DeskBooking.status == "confirmed",
                DeskBooking.day > local.date(),
                DeskBooking.day <= until,
            )
            .order_by(col(DeskBooking.day), col(DeskBooking.id))
        ).all()
        return Nightly(booking_views(session, released), booking_views(session, visits))

    # The offer ----------------------------------------------------------------------------------

    def offer_for_edit(self, user_id: str, query: str) -> Host:
        """The offer form's starting values, for the agency's key worker or a coordinator."""
        with session_scope(self.engine) as session:
            organisation = _editable(session, user_id, query)
            offer = session.get(HotdeskOffer, organisation.id)
            if offer is None:  # starting an offer: the defaults, not yet saved
                return _host(session, organisation, HotdeskOffer(organisation_id=organisation.id))
            return _host(session, organisation, offer)

    def save_offer(self, user_id: str, code: str, edit: OfferEdit, anyway: bool = False) -> Host:
        """Save the offer form. The visitor protocol reaches every visitor: FieldsLookPersonal
        (nothing saved) when the privacy guard holds it back, unless `anyway` and the
        partnership's policy allows it. The address is the agency's published one."""
        errors = offer_errors(edit)
        if errors:
            raise OfferInvalid(errors)
        with session_scope(self.engine) as session:
            organisation = _editable(session, user_id, code)
            text = clear_fields(
                session,
                {
                    "address": (clean(edit.address), Reach.PUBLIC),
                    "protocol": (clean(edit.protocol), Reach.OTHERS),
                },
                anyway,
            )
            offer = session.get(HotdeskOffer, organisation.id) or HotdeskOffer(
                organisation_id=organisation.id
            )
            offer.desks = edit.desks
            offer.weekdays = [day for day in WEEKDAYS if day in edit.weekdays]
            offer.half_days = edit.half_days
            offer.needs_approval = edit.needs_approval
            offer.closures = [day.isoformat() for day in sorted(set(edit.closures))]
            offer.closed_on_bank_holidays = edit.closed_on_bank_holidays
            offer.max_days_ahead = edit.max_days_ahead
            session.add(offer)
            organisation.address = text["address"]
            organisation.visitor_protocol = text["protocol"]
            organisation.updated_at = utcnow()
            session.add(organisation)
            replace_slack_key_workers(session, organisation, list(edit.key_worker_ids))
            audit.record(session, user_id, "hot-desk offer changed", organisation.code)
            session.flush()
            return _host(session, organisation)


def approval_deadline(day: date, working: WorkingDays, zone: tzinfo | None) -> datetime:
    """17:00 on the working day before the visit: after it, an undecided request is released."""
    return datetime.combine(working.before(day), APPROVAL_CUTOFF, zone)


def offer_errors(edit: OfferEdit) -> dict[str, str]:
    errors = {}
    if not 1 <= edit.desks <= DESKS_MAX:
        errors["desks"] = f"Give a number of desks from 1 to {DESKS_MAX}."
    if not edit.weekdays:
        errors["weekdays"] = "Choose at least one day of the week."
    if not 1 <= edit.max_days_ahead <= DAYS_AHEAD_MAX:
        errors["max_days_ahead"] = f"Give a number of days from 1 to {DAYS_AHEAD_MAX}."
    if len(edit.protocol) > PROTOCOL_MAX:
        errors["protocol"] = f"That's {len(edit.protocol)} characters; the limit is {PROTOCOL_MAX}."
    if len(edit.address) > ADDRESS_MAX:
        errors["address"] = f"That's {len(edit.address)} characters; the limit is {ADDRESS_MAX}."
    return errors


# Helpers ----------------------------------------------------------------------------------------


def _working_days(session: Session) -> WorkingDays:
    partnership = session.get(Partnership, 1) or Partnership()
    return WorkingDays(partnership.bank_holidays)


def _closures(days: list[str]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(day) for day in days)


def _host(session: Session, organisation: Organisation, offer: HotdeskOffer | None = None) -> Host:
    offer = offer or session.get(HotdeskOffer, organisation.id)
    if offer is None:
        hosts = ", ".join(host.name for host in _hosts(session)) or "none yet"
        raise HotdeskProblem(
            f"{organisation.name} doesn't lend hot desks. Agencies that do: {hosts}.",
            "/hotdesk free",
            field="host",
        )
    workers = session.exec(
        select(KeyWorker)
        .where(KeyWorker.organisation_id == organisation.id)
        .order_by(KeyWorker.name)
    ).all()
    return _make_host(organisation, offer, workers)


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


def _hosts(session: Session) -> list[Host]:
    """Every agency with an offer, by name, in two queries."""
    rows = session.exec(
        select(Organisation, HotdeskOffer).join(HotdeskOffer).order_by(Organisation.name)
    ).all()
    workers: dict[int, list[KeyWorker]] = {}
    for worker in session.exec(select(KeyWorker).order_by(KeyWorker.name)).all():
        workers.setdefault(worker.organisation_id, []).append(worker)
    return [_make_host(org, offer, workers.get(org.id or 0, [])) for org, offer in rows]


def _visitor(session: Session, user_id: str) -> Member:
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    if member is None or member.organisation_id is None:
        raise HotdeskProblem(
            "Desks are lent to partners' staff, and you haven't joined an organisation yet.",
            "/partners join Harbour",
        )
    return member


def closed_reason(host: Host, day: date, working: WorkingDays) -> str | None:
    """Why the agency takes no visitors that day, or None when it is open."""
    if WEEKDAYS[day.weekday()] not in host.weekdays:
        days = ", ".join(name.title() for name in host.weekdays)
        return f"{host.name} lends desks on {days} only"
    if day in host.closures:
        return f"{host.name} is closed on {day:%a %-d %b}"
    holiday = working.bank_holiday(day) if host.closed_on_bank_holidays else None
    if holiday:
        return f"{day:%a %-d %b} is a bank holiday ({holiday}) and {host.name} is closed"
    return None


def _check_bookable(
    session: Session,
    organisation: Organisation,
    host: Host,
    visitor: Member,
    day: date,
    part: Part,
    now: datetime,
) -> None:
    """Every rule that needs no lock: the desks themselves are counted by the inserts."""
    today = now.date()
    own = session.get(Organisation, visitor.organisation_id)
    if own is not None and own.code == host.code:
        raise HotdeskProblem(
            f"{host.name} is your own organisation; hot desks are for visiting partners.",
            field="host",
        )
    if part is not Part.DAY and not host.half_days:
        raise HotdeskProblem(
            f"{host.name} lends desks for whole days only.",
            f"/hotdesk book {host.code} {day:%-d/%-m} day",
            field="part",
        )
    if day < today or (day == today and now.time() >= part.hours[1]):
        raise HotdeskProblem(
            f"{day:%a %-d %b %Y} {'has passed' if day < today else 'is over'}; "
            "choose a day to come.",
            field="day",
        )
    horizon = today + timedelta(days=host.max_days_ahead)
    if day > horizon:
        raise HotdeskProblem(
            f"{host.name} takes bookings up to {host.max_days_ahead} days ahead "
            f"(until {horizon:%a %-d %b %Y}).",
            field="day",
        )
    working = _working_days(session)
    reason = closed_reason(host, day, working)
    if reason:
        raise HotdeskProblem(
            f"{reason}.",
            alternatives=_alternatives(session, organisation, day, part, now),
            field="day",
        )
    if host.needs_approval and now >= approval_deadline(day, working, now.tzinfo):
        raise HotdeskProblem(
            f"{host.name} approves each visit, and requests close at 17:00 the working day "
            f"before; {day:%a %-d %b} is too soon.",
            field="day",
        )


def _hold(
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
        raise _Already(mine)
    clash = _booking(session, other) if other else None
    where = f" at {clash.host.name}, {clash.part.label} ({clash.ref})" if clash else ""
    raise HotdeskProblem(
        f"You already have a booking then{where}. Cancel it first to change it.",
        "/hotdesk mine",
        field="part",
    )


def _existing(session: Session, booking_id: int) -> DeskBooking:
    row = session.get(DeskBooking, booking_id)
    if row is None:
        raise HotdeskProblem(f"There is no booking D{booking_id}.", "/hotdesk mine")
    return row


ENDED_FROM = {"confirmed": ("pending",), "declined": ("pending",), "released": ("pending",)}


def _transition(session: Session, row: DeskBooking, status: str, by: str | None) -> bool:
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


def _end(session: Session, row: DeskBooking, status: str, by: str | None) -> bool:
    """Cancel, decline or release: the desks are freed in the same transaction."""
    won = _transition(session, row, status, by)
    if won:
        session.connection().execute(delete(DeskHold).where(col(DeskHold.booking_id) == row.id))
        session.refresh(row)
    return won


def booking_views(session: Session, rows: Sequence[DeskBooking]) -> list[Booking]:
    """Views of many bookings in a fixed number of queries."""
    if not rows:
        return []
    hosts = {host.code: host for host in _hosts(session)}
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
        views.append(_view(row, host, name, visitor_org.name if visitor_org else None))
    return views


def _view(row: DeskBooking, host: Host, visitor_name: str, visitor_org: str | None) -> Booking:
    return Booking(
        id=row.id or 0, host=host, visitor_id=row.visitor_id, visitor_name=visitor_name,
        visitor_organisation=visitor_org, day=row.day, part=Part(row.part), status=row.status,
    )  # fmt: skip


def _told(session: Session, ended: Ended, notices: Notices[Ended]) -> Ended:
    """The change's notices written in its transaction."""
    return replace(ended, notices=outbox.write_notices(session, notices(ended)))


def _booking(session: Session, row: DeskBooking) -> Booking:
    return booking_views(session, [row])[0]


def _taken(session: Session, org_ids: Iterable[int], days: Sequence[date]) -> dict:
    """Desks held, by (organisation id, day, half), in one query."""
    rows = session.exec(
        select(DeskHold.organisation_id, DeskHold.day, DeskHold.half, func.count())
        .where(
            col(DeskHold.organisation_id).in_(list(org_ids)),
            col(DeskHold.day) >= min(days),
            col(DeskHold.day) <= max(days),
        )
        .group_by(DeskHold.organisation_id, DeskHold.day, DeskHold.half)
    ).all()
    return {(org_id, day, half): count for org_id, day, half, count in rows}


def _cells(
    session: Session, hosts: Sequence[Host], days: Sequence[date], now: datetime
) -> dict[tuple[str, date], Cell | None]:
    ids = dict(
        session.exec(
            select(Organisation.code, Organisation.id).where(
                col(Organisation.code).in_([host.code for host in hosts])
            )
        ).all()
    )
    taken = _taken(session, ids.values(), days) if hosts else {}
    working = _working_days(session)
    cells: dict[tuple[str, date], Cell | None] = {}
    for host in hosts:
        for day in days:
            open_ = (
                closed_reason(host, day, working) is None
                and day <= now.date() + timedelta(days=host.max_days_ahead)
                and not (host.needs_approval and now >= approval_deadline(day, working, now.tzinfo))
            )
            if not open_:
                cells[host.code, day] = None
                continue
            free = {
                half: max(0, host.desks - taken.get((ids[host.code], day, half), 0))
                for half in ("am", "pm")
            }
            if day == now.date():  # a half-day that is over is not free
                free = {h: 0 if now.time() >= Part(h).hours[1] else n for h, n in free.items()}
            cells[host.code, day] = Cell(free["am"], free["pm"])
    return cells


def _alternatives(
    session: Session, organisation: Organisation | None, day: date, part: Part, now: datetime
) -> list[Slot]:
    """The free slots nearest the one asked for: same agency nearby days, then others that day."""
    today = now.date()
    hosts = _hosts(session)
    days = [
        day + timedelta(days=offset)
        for offset in range(-ALTERNATIVES_WINDOW, ALTERNATIVES_WINDOW + 1)
        if day + timedelta(days=offset) >= today
    ]
    cells = _cells(session, hosts, days, now)
    found = []
    for host in hosts:
        for candidate in days:
            cell = cells.get((host.code, candidate))
            if cell is None:
                continue
            for free_part in cell.free_parts(host):
                if (host.code, candidate, free_part) == (
                    organisation.code if organisation else "",
                    day,
                    part,
                ):
                    continue
                free = {Part.AM: cell.am, Part.PM: cell.pm}.get(free_part, min(cell.am, cell.pm))
                found.append(Slot(host.ref, candidate, free_part, free))
    same_host = organisation.code if organisation else ""

    def nearness(slot: Slot) -> tuple[int, int, int]:
        return (
            slot.host.code != same_host,
            abs((slot.day - day).days),
            slot.part != part,
        )

    return sorted(found, key=nearness)[:ALTERNATIVES_MAX]


def _editable(session: Session, user_id: str, query: str) -> Organisation:
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
