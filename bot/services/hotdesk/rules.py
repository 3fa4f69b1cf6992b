"""Hot desks' booking rules as pure functions: when an agency is open, what may be booked, how
near another free slot is, whether an offer form is sound. No database: the store reads the
rows, the service applies these to them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from bot.services.hotdesk.types import Cell, Host, HotdeskProblem, OfferEdit, Part, Slot
from bot.services.working_days import WEEKDAYS, WorkingDays

DESKS_MAX = 50
DAYS_AHEAD_MAX = 365
PROTOCOL_MAX = 2000
ADDRESS_MAX = 500
APPROVAL_CUTOFF = time(17, 0)  # pending requests are released at 17:00 the working day before
ALTERNATIVES_MAX = 4


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


def approval_deadline(day: date, working: WorkingDays, zone: tzinfo | None) -> datetime:
    """17:00 on the working day before the visit: after it, an undecided request is released."""
    return datetime.combine(working.before(day), APPROVAL_CUTOFF, zone)


def open_for_booking(host: Host, day: date, working: WorkingDays, now: datetime) -> bool:
    """Whether the agency takes requests for that day as of `now` (its hours aside)."""
    return (
        closed_reason(host, day, working) is None
        and day <= now.date() + timedelta(days=host.max_days_ahead)
        and not (host.needs_approval and now >= approval_deadline(day, working, now.tzinfo))
    )


def free_cell(day: date, now: datetime, free: Mapping[str, int]) -> Cell:
    """Free desks by half-day, with a half of today that is over counted as none free."""
    if day == now.date():
        free = {h: 0 if now.time() >= Part(h).hours[1] else n for h, n in free.items()}
    return Cell(free["am"], free["pm"])


def check_bookable(
    host: Host,
    own_code: str | None,
    day: date,
    part: Part,
    now: datetime,
    working: WorkingDays,
    alternatives: Callable[[], list[Slot]],
) -> None:
    """Every rule that needs no lock (the desks themselves are counted by the inserts): raise
    HotdeskProblem for the first one broken. `alternatives` gives nearby free slots, asked
    for only when the agency is closed that day."""
    today = now.date()
    if own_code == host.code:
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
    reason = closed_reason(host, day, working)
    if reason:
        raise HotdeskProblem(f"{reason}.", alternatives=alternatives(), field="day")
    if host.needs_approval and now >= approval_deadline(day, working, now.tzinfo):
        raise HotdeskProblem(
            f"{host.name} approves each visit, and requests close at 17:00 the working day "
            f"before; {day:%a %-d %b} is too soon.",
            field="day",
        )


def nearest_free(
    hosts: Sequence[Host],
    cells: Mapping[tuple[str, date], Cell | None],
    days: Sequence[date],
    asked: tuple[str, date, Part],
) -> list[Slot]:
    """The free slots nearest the one asked for (agency code, day, part), itself left out:
    same agency nearby days first, then others on the day."""
    same_host, day, part = asked
    found = []
    for host in hosts:
        for candidate in days:
            cell = cells.get((host.code, candidate))
            if cell is None:
                continue
            for free_part in cell.free_parts(host):
                if (host.code, candidate, free_part) == asked:
                    continue
                free = {Part.AM: cell.am, Part.PM: cell.pm}.get(free_part, min(cell.am, cell.pm))
                found.append(Slot(host.ref, candidate, free_part, free))

    def nearness(slot: Slot) -> tuple[int, int, int]:
        return (
            slot.host.code != same_host,
            abs((slot.day - day).days),
            slot.part != part,
        )

    return sorted(found, key=nearness)[:ALTERNATIVES_MAX]


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
