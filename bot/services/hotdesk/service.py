"""The hot-desk service: each method one transaction, made of the store's reads and writes and
the rules' checks.

The database keeps the rules that matter under concurrency: each half-day a booking takes is a
`DeskHold` row, unique per (agency, day, half, seat) with seats numbered up to the agency's
desks, and unique per (visitor, day, half). Two people racing for the last desk both try to
insert the same seat; exactly one succeeds. Slack is never called from here: what a booking's
change tells (the key worker, the visitor, the calendar file) is drawn by the caller and written
to the outbox in the change's own transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import read_scope, session_scope
from bot.models import DeskBooking, HotdeskOffer, KeyWorker, Organisation, utcnow
from bot.services import audit, outbox
from bot.services.dates import format_date
from bot.services.directory import find_organisation, is_coordinator, replace_slack_key_workers
from bot.services.email import links
from bot.services.email.hotdesk import booking_ended, booking_made, visit_coming
from bot.services.email.links import Mailing
from bot.services.gate import Reach, clear_fields
from bot.services.hotdesk.rules import approval_deadline, check_bookable, offer_errors
from bot.services.hotdesk.store import (
    AlreadyBooked,
    all_hosts,
    alternatives_near,
    booking_of,
    booking_view,
    booking_views,
    editable_organisation,
    end_booking,
    existing_booking,
    free_cells,
    hold_seat,
    host_of,
    partnership_working_days,
    transition,
    visitor_member,
    with_notices,
)
from bot.services.hotdesk.types import (
    ACTIVE,
    EMAIL_DECIDER,
    Booked,
    Booking,
    Ended,
    FreeGrid,
    Host,
    HotdeskProblem,
    MyBookings,
    Nightly,
    OfferEdit,
    OfferInvalid,
    Part,
    SlotGone,
)
from bot.services.outbox import Notices
from bot.services.text import clean
from bot.services.working_days import WEEKDAYS, WorkingDays

GRID_DAYS = 5
DECISION_LINKS = ("approve", "decline")  # the email links a visit is answered with


class Hotdesk:
    def __init__(self, engine: Engine, zone: ZoneInfo, mailing: Mailing | None = None) -> None:
        self.engine = engine
        self.zone = zone
        self.mailing = mailing  # None: email is off, key workers not on Slack are not told

    # Hosts --------------------------------------------------------------------------------------

    def hosts(self) -> list[Host]:
        with read_scope(self.engine) as session:
            return all_hosts(session)

    def host(self, query: str) -> Host:
        with read_scope(self.engine) as session:
            return host_of(session, find_organisation(session, query))

    def working_days(self) -> WorkingDays:
        with read_scope(self.engine) as session:
            return partnership_working_days(session)

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
                visitor = visitor_member(session, user_id)
                organisation = find_organisation(session, host_query)
                host = host_of(session, organisation)
                part = part or Part.DAY
                own = session.get(Organisation, visitor.organisation_id)
                check_bookable(
                    host,
                    own.code if own else None,
                    day,
                    part,
                    now,
                    partnership_working_days(session),
                    partial(alternatives_near, session, organisation, day, part, now),
                )
                booking = DeskBooking(
                    organisation_id=organisation.id, visitor_id=user_id,
                    visitor_organisation_id=visitor.organisation_id, day=day, part=part.value,
                    status="pending" if host.needs_approval else "confirmed",
                )  # fmt: skip
                session.add(booking)
                session.flush()
                for half in part.halves:
                    hold_seat(session, booking, organisation, host, half)
                made = booking_view(
                    booking, host, visitor.name or user_id, own.name if own else None
                )
                deadline = approval_deadline(day, partnership_working_days(session), self.zone)
                emailed = booking_made(session, self.mailing, made, deadline)
                written = outbox.write_notices(session, notices(made))
                return Booked(made, notices=written, emailed=emailed)
        except AlreadyBooked as already:
            with read_scope(self.engine) as session:
                return Booked(
                    booking_of(session, session.get_one(DeskBooking, already.booking_id)), True
                )
        except SlotGone:
            with read_scope(self.engine) as session:
                organisation = find_organisation(session, host_query)
                part = part or Part.DAY
                alternatives = alternatives_near(session, organisation, day, part, now)
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
            row = existing_booking(session, booking_id)
            host = host_of(session, session.get_one(Organisation, row.organisation_id))
            is_host_side = user_id in host.key_worker_ids or is_coordinator(session, user_id)
            if user_id != row.visitor_id and not is_host_side:
                raise HotdeskProblem(
                    f"Only the visitor, {host.name}'s key worker or a coordinator can cancel "
                    f"booking D{booking_id}."
                )
            if row.status not in ACTIVE:
                return Ended(booking_of(session, row), user_id, (), already=True)
            if row.day < today:
                raise HotdeskProblem(f"Booking D{booking_id} was for a day that has passed.")
            end_booking(session, row, "cancelled", user_id)
            if user_id != row.visitor_id:
                audit.record(session, user_id, "booking cancelled", f"D{booking_id} (host side)")
            other = host.key_worker_ids if user_id == row.visitor_id else (row.visitor_id,)
            ended = Ended(
                booking_of(session, row), user_id, tuple(p for p in other if p != user_id)
            )
            booking_ended(session, self.mailing, ended.booking)
            return with_notices(session, ended, notices)

    def decide(
        self, user_id: str, booking_id: int, approve: bool, *, notices: Notices[Ended]
    ) -> Ended:
        """A key worker (or coordinator) approves or declines a pending visit, once."""
        with session_scope(self.engine) as session:
            row = existing_booking(session, booking_id)
            host = host_of(session, session.get_one(Organisation, row.organisation_id))
            if user_id not in host.key_worker_ids and not is_coordinator(session, user_id):
                raise HotdeskProblem(
                    f"Only {host.name}'s key worker or a coordinator can approve or decline visits."
                )
            ended = self._decided(session, row, user_id, approve, notices)
            if not ended.already and user_id not in host.key_worker_ids:  # a coordinator
                verb = "approved" if approve else "declined"
                audit.record(session, user_id, f"visit {verb}", f"D{booking_id} for {host.code}")
            return ended

    def decide_by_link(self, link: links.Link, *, notices: Notices[Ended]) -> Ended:
        """A key worker not on Slack answers a request with an email's Approve or Decline link
        (after confirming on its page): the link is used once, in the decision's transaction."""
        links.meant_for(link, DECISION_LINKS)
        with session_scope(self.engine) as session:
            row = existing_booking(session, link.row_id)
            links.use(session, link)
            return self._decided(session, row, EMAIL_DECIDER, link.purpose == "approve", notices)

    def booking_for_link(self, link: links.Link) -> tuple[Booking, bool]:
        """What an Approve or Decline link is about, changing nothing (a mail scanner follows
        links): the booking and whether the link was used already."""
        links.meant_for(link, DECISION_LINKS)
        with session_scope(self.engine) as session:
            row = existing_booking(session, link.row_id)
            return booking_of(session, row), links.was_used(session, link)

    def _decided(
        self, session: Session, row: DeskBooking, by: str, approve: bool, notices: Notices[Ended]
    ) -> Ended:
        """A pending visit approved or declined, once: the other side and email told."""
        if row.status != "pending":
            return Ended(booking_of(session, row), row.decided_by or "", (), already=True)
        if approve:
            won = transition(session, row, "confirmed", by)
        else:
            won = end_booking(session, row, "declined", by)
        session.refresh(row)
        if not won:
            return Ended(booking_of(session, row), row.decided_by or "", (), already=True)
        ended = Ended(booking_of(session, row), by, (row.visitor_id,))
        booking_ended(session, self.mailing, ended.booking)
        return with_notices(session, ended, notices)

    # Looking ------------------------------------------------------------------------------------

    def free(self, day: date | None, now: datetime) -> FreeGrid:
        """Free desks on one day, or on the next five working days."""
        today = now.astimezone(self.zone).date()
        with read_scope(self.engine) as session:
            if day is not None and day < today:
                raise HotdeskProblem(
                    f"{day:%-d %b %Y} has passed; ask about today or later.",
                    "/hotdesk free tomorrow",
                )
            working = partnership_working_days(session)
            if day is not None:
                days = [day]
            else:
                first = today if working.is_working_day(today) else working.next_after(today)
                days = [first]
                while len(days) < GRID_DAYS:
                    days.append(working.next_after(days[-1]))
            hosts = all_hosts(session)
            return FreeGrid(
                days, hosts, free_cells(session, hosts, days, now.astimezone(self.zone), working)
            )

    def mine(self, user_id: str, now: datetime) -> MyBookings:
        today = now.astimezone(self.zone).date()
        with read_scope(self.engine) as session:
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
        working = partnership_working_days(session)
        pending = session.exec(
            select(DeskBooking)
            .where(DeskBooking.status == "pending")
            .order_by(col(DeskBooking.day), col(DeskBooking.id))
        ).all()
        released = []
        for row in pending:
            if approval_deadline(row.day, working, self.zone) <= local and end_booking(
                session, row, "released", None
            ):
                released.append(row)
                booking_ended(session, self.mailing, booking_of(session, row))
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
        coming = booking_views(session, visits)
        for booking in coming:
            visit_coming(session, self.mailing, booking)
        return Nightly(booking_views(session, released), coming)

    # The offer ----------------------------------------------------------------------------------

    def offer_for_edit(self, user_id: str, query: str) -> Host:
        """The offer form's starting values, for the agency's key worker or a coordinator."""
        with read_scope(self.engine) as session:
            organisation = editable_organisation(session, user_id, query)
            offer = session.get(HotdeskOffer, organisation.id)
            if offer is None:  # starting an offer: the defaults, not yet saved
                return host_of(session, organisation, HotdeskOffer(organisation_id=organisation.id))
            return host_of(session, organisation, offer)

    def save_offer(self, user_id: str, code: str, edit: OfferEdit, anyway: bool = False) -> Host:
        """Save the offer form. The visitor protocol reaches every visitor: FieldsLookPersonal
        (nothing saved) when the privacy guard holds it back, unless `anyway` and the
        partnership's policy allows it. The address is the agency's published one."""
        errors = offer_errors(edit)
        if errors:
            raise OfferInvalid(errors)
        with session_scope(self.engine) as session:
            organisation = editable_organisation(session, user_id, code)
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
            return host_of(session, organisation)
