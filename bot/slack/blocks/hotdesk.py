"""Hot-desk surfaces: the booking and offer forms, confirmations, the free-desk grid, lists,
the key worker's notices and the evening reminders."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.services.dates import format_date
from bot.services.gate import LooksPersonal
from bot.services.hotdesk.types import (
    EMAIL_DECIDER,
    Booked,
    Booking,
    Ended,
    FreeGrid,
    Host,
    HotdeskProblem,
    MyBookings,
    Nightly,
    Part,
    Slot,
)
from bot.services.working_days import WEEKDAYS
from bot.slack.blocks.common import Message, clip, command_help, context, escape, section, user_link
from bot.slack.blocks.directory import looks_personal_form

HOST_PICKED = "hotdesk_host_picked"
BOOK_ACTION = "hotdesk_book"
CANCEL_ACTION = "hotdesk_cancel"
APPROVE_ACTION = "hotdesk_approve"
DECLINE_ACTION = "hotdesk_decline"
BOOK_FORM = "hotdesk_book_form"
OFFER_FORM = "hotdesk_offer_form"
BUTTONS_PER_ROW = 25  # Slack's limit for an actions block
SHORT = {Part.AM: "am", Part.PM: "pm", Part.DAY: "day"}

HELP = (
    ("/hotdesk", "the booking form: agency, date and slot, with the agency's visitor protocol"),
    ("/hotdesk book HRS thu am", "book directly (am, pm or day; dates like 24/11 or next tue)"),
    ("/hotdesk free", "free desks over the next five working days, with Book buttons"),
    ("/hotdesk free 1/12", "free desks on one day"),
    ("/hotdesk mine", "your coming bookings (and visitors to your agency) with Cancel"),
    ("/hotdesk cancel D12", "cancel a booking by its reference"),
    ("/hotdesk offer", "key workers and coordinators: desks, days, closures, approval, protocol"),
)


def help_message() -> Message:
    return command_help(
        "Hot desks at partner agencies",
        "Hot desks: /hotdesk help",
        HELP,
        "Visits are half days (09:00–13:00, 13:00–17:00) or whole days. Where an agency "
        "approves visits, requests close at 17:00 the working day before.",
    )


def _part(part: Part) -> str:
    start, end = part.hours
    return f"{part.label} ({start:%H:%M}–{end:%H:%M})"


def _when(booking: Booking, today: date) -> str:
    return f"{format_date(booking.day, today)}, {_part(booking.part)}"


def _key_workers(host: Host) -> str:
    people = [
        user_link(person.slack_user_id) if person.slack_user_id else escape(person.name)
        for person in host.key_workers
    ]
    return ", ".join(people) or "no key worker named yet"


def host_details(host: Host) -> list[Block]:
    """What a visitor needs before going: address, the agency's protocol, whom to ask for."""
    lines = [f"*Address:* {escape(host.address) or '_not given: ask the key worker_'}"]
    lines.append(f"*Ask for:* {_key_workers(host)}")
    if host.needs_approval:
        lines.append(":hourglass: Visits need the key worker's approval.")
    blocks: list[Block] = [section("\n".join(lines))]
    if host.protocol:
        blocks.append(section(f"*Visitor protocol*\n{escape(host.protocol)}"))
    return blocks


def _book_value(host_code: str, day: date, part: Part) -> str:
    return json.dumps({"host": host_code, "day": day.isoformat(), "part": part.value})


def cancel_button(booking: Booking, label: str = "Cancel") -> ButtonElement:
    return ButtonElement(
        text=label,
        action_id=CANCEL_ACTION,
        value=str(booking.id),
        style="danger",
        confirm=ConfirmObject(
            title="Cancel this booking?",
            text=f"{booking.ref}: {escape(clip(booking.host.name, 100))}, {booking.day:%a %-d %b}. "
            "The other side will be told.",
            confirm="Cancel booking",
            deny="Keep it",
        ),
    )


# Booking ----------------------------------------------------------------------------------------


def booked(result: Booked, today: date) -> Message:
    """The visitor's confirmation (or the note that the host is asked to approve)."""
    booking = result.booking
    host = escape(booking.host.name)
    when = _when(booking, today)
    if booking.status == "pending":
        headline = (
            f":hourglass_flowing_sand: Requested a desk at *{host}* {when} — {booking.ref}. "
            "The key worker is asked to approve it; you'll hear by DM."
        )
    else:
        headline = f":white_check_mark: Booked a desk at *{host}* {when} — {booking.ref}."
    if result.already:
        headline += "\n_You had already booked this; nothing new was booked._"
    blocks: list[Block] = [
        section(headline),
        *host_details(booking.host),
        ActionsBlock(elements=[cancel_button(booking)]),
    ]
    if booking.status == "confirmed":
        blocks.append(context("A calendar entry (.ics) is in your DMs with Partnerbot."))
    return Message(text=escape(f"{booking.ref}: desk at {booking.host.name} {when}"), blocks=blocks)


def slots_buttons(slots: Sequence[Slot], today: date) -> list[Block]:
    buttons = [
        ButtonElement(
            text=clip(f"{slot.host.code} {format_date(slot.day, today)} {SHORT[slot.part]}", 75),
            action_id=f"{BOOK_ACTION}:{slot.host.code}:{slot.day.isoformat()}:{slot.part.value}",
            value=_book_value(slot.host.code, slot.day, slot.part),
        )
        for slot in slots
    ]
    return [
        ActionsBlock(elements=buttons[start : start + BUTTONS_PER_ROW])
        for start in range(0, len(buttons), BUTTONS_PER_ROW)
    ]


def refused(problem: HotdeskProblem, today: date) -> Message:
    text = f":warning: {escape(str(problem))}"
    blocks: list[Block] = [section(text)]
    if problem.alternatives:
        blocks += [context("Free nearby — book with one click:")]
        blocks += slots_buttons(problem.alternatives, today)
    elif problem.example:
        blocks.append(context(f"For example: `{escape(problem.example)}`"))
    else:
        blocks.append(context("`/hotdesk help` shows everything you can do with hot desks."))
    return Message(text=text, blocks=blocks)


def visit_for_host(booking: Booking, today: date) -> Message:
    """The key worker's DM: who is coming, from where, when — with Approve/Decline if asked."""
    visitor = user_link(booking.visitor_id)
    from_org = (
        f" from *{escape(booking.visitor_organisation)}*" if booking.visitor_organisation else ""
    )
    when = _when(booking, today)
    host = escape(booking.host.name)
    if booking.status == "pending":
        blocks: list[Block] = [
            section(
                f":raised_hand: {visitor}{from_org} asks to visit *{host}* {when} ({booking.ref})."
            ),
            context("Undecided requests are released at 17:00 the working day before."),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Approve",
                        action_id=APPROVE_ACTION,
                        value=str(booking.id),
                        style="primary",
                    ),
                    ButtonElement(text="Decline", action_id=DECLINE_ACTION, value=str(booking.id)),
                ]
            ),
        ]
        text = f"Visit request for {booking.host.name} {when}"
    else:
        blocks = [
            section(f":wave: {visitor}{from_org} is coming to *{host}* {when} ({booking.ref})."),
            ActionsBlock(elements=[cancel_button(booking, "Cancel visit")]),
        ]
        text = f"Visitor coming to {booking.host.name} {when}"
    return Message(text=escape(text), blocks=blocks)


def calendar_note(booking: Booking, today: date) -> str:
    """The comment beside the uploaded .ics file."""
    return (
        f"Your visit to {escape(booking.host.name)} {_when(booking, today)} ({booking.ref}). "
        "Open the file to add it to your calendar."
    )


def calendar_text(booking: Booking) -> str:
    """The calendar entry's description: plain text, as calendars show it."""
    workers = ", ".join(person.name for person in booking.host.key_workers)
    parts = [f"Booking {booking.ref} through Partnerbot."]
    if workers:
        parts.append(f"Ask for: {workers}.")
    if booking.host.protocol:
        parts.append(f"Visitor protocol: {booking.host.protocol}")
    return "\n".join(parts)


# Cancelling and deciding ------------------------------------------------------------------------


def ended_reply(ended: Ended, today: date) -> Message:
    """What the person who cancelled, approved or declined sees."""
    booking = ended.booking
    what = f"{booking.ref} ({escape(booking.host.name)}, {_when(booking, today)})"
    if ended.already:
        by = f" by {user_link(ended.by)}" if ended.by else ""
        return Message(
            text=f"{booking.ref} is already {booking.status}.",
            blocks=[section(f"{what} is already *{booking.status}*{by}; nothing changed.")],
        )
    done = {
        "cancelled": f":wastebasket: Cancelled {what}. The desk is free again",
        "confirmed": f":white_check_mark: Approved {what}",
        "declined": f":no_entry_sign: Declined {what}. The desk is free again",
    }[booking.status]
    told = ", ".join(user_link(person) for person in ended.other_side)
    if told:
        done += f"; {told} {'has' if len(ended.other_side) == 1 else 'have'} been told"
    return Message(text=escape(f"{booking.ref} {booking.status}"), blocks=[section(done + ".")])


def ended_notice(ended: Ended, today: date) -> Message:
    """What the other side is told."""
    booking = ended.booking
    when = _when(booking, today)
    host = escape(booking.host.name)
    by = f"{host}'s key worker" if ended.by == EMAIL_DECIDER else user_link(ended.by)
    if booking.status == "confirmed":
        blocks: list[Block] = [
            section(
                f":white_check_mark: {by} approved your visit to *{host}* {when} ({booking.ref})."
            ),
            *host_details(booking.host),
            ActionsBlock(elements=[cancel_button(booking)]),
        ]
        return Message(text=escape(f"Visit approved: {booking.host.name} {when}"), blocks=blocks)
    if booking.status == "declined":
        text = (
            f":no_entry_sign: {by} declined your visit to *{host}* {when} ({booking.ref}). "
            "`/hotdesk free` shows other free desks."
        )
    elif ended.by == booking.visitor_id:
        text = f":wastebasket: {by} cancelled their visit to *{host}* {when} ({booking.ref})."
    else:
        text = (
            f":wastebasket: {by} cancelled your visit to *{host}* {when} ({booking.ref}). "
            "`/hotdesk free` shows other free desks."
        )
    return Message(text=escape(f"{booking.ref} {booking.status}"), blocks=[section(text)])


# Looking ----------------------------------------------------------------------------------------


def _cell_text(free: tuple[int, int] | None) -> str:
    if free is None:
        return "  –  "
    am, pm = free
    return f"{am}·{pm}".center(5) if am or pm else "full ".center(5)


def free_grid(grid: FreeGrid, today: date) -> Message:
    """A compact table (desks free morning·afternoon) and Book buttons for each day."""
    if not grid.hosts:
        return Message(
            text="No agency lends hot desks yet.",
            blocks=[
                section(
                    "No agency lends hot desks yet. "
                    "Key workers can offer desks with `/hotdesk offer`."
                )
            ],
        )
    width = max(len(host.code) for host in grid.hosts)
    header = " " * width + " " + " ".join(f"{day:%a %d}".center(6) for day in grid.days)
    rows = [header]
    for host in grid.hosts:
        cells = []
        for day in grid.days:
            cell = grid.cells.get((host.code, day))
            cells.append(_cell_text((cell.am, cell.pm) if cell else None).center(6))
        rows.append(host.code.ljust(width) + " " + " ".join(cells))
    legend = ", ".join(f"{escape(host.code)} {escape(host.name)}" for host in grid.hosts)
    title = (
        f"Free desks {format_date(grid.days[0], today)}"
        if len(grid.days) == 1
        else "Free desks over the next five working days"
    )
    blocks: list[Block] = [
        section(f"*{title}* (morning·afternoon; – closed)\n```\n" + "\n".join(rows) + "\n```"),
        context(clip(legend, 2000)),
    ]
    for day in grid.days:
        slots = [
            Slot(host.ref, day, part, 0)
            for host in grid.hosts
            if (cell := grid.cells.get((host.code, day)))
            for part in cell.free_parts(host)
        ]
        if slots:
            blocks.append(context(f"*{format_date(day, today)}* — book:"))
            blocks += slots_buttons(slots, today)
    if len(blocks) == 2:
        blocks.append(section("No desk is free then. Try `/hotdesk free` another day."))
    return Message(text=title, blocks=blocks[:50])


def my_bookings(mine: MyBookings, today: date) -> Message:
    blocks: list[Block] = [HeaderBlock(text="Your hot-desk bookings")]
    if not mine.visiting:
        blocks.append(section("You have no coming bookings. `/hotdesk free` shows free desks."))
    for booking in mine.visiting[:20]:
        status = " · _awaiting approval_" if booking.status == "pending" else ""
        blocks.append(
            SectionBlock(
                text=f"*{booking.ref}* {escape(booking.host.name)} — "
                f"{_when(booking, today)}{status}",
                accessory=cancel_button(booking),
            )
        )
    if mine.hosting:
        blocks += [DividerBlock(), section("*Visitors to your agency*")]
        for booking in mine.hosting[:20]:
            visitor = user_link(booking.visitor_id)
            origin = (
                f" ({escape(booking.visitor_organisation)})" if booking.visitor_organisation else ""
            )
            line = (
                f"*{booking.ref}* {visitor}{origin} at {escape(booking.host.name)} — "
                f"{_when(booking, today)}"
            )
            if booking.status == "pending":
                blocks.append(section(line + " · _awaiting your approval_"))
                blocks.append(visit_for_host(booking, today).blocks[-1])
            else:
                blocks.append(SectionBlock(text=line, accessory=cancel_button(booking)))
    return Message(text="Your hot-desk bookings", blocks=blocks[:50])


# The evening job --------------------------------------------------------------------------------


def evening_messages(nightly: Nightly, today: date) -> dict[str, Message]:
    """One DM per person: their released requests and tomorrow's visits, as visitor or host."""
    notes: dict[str, list[Block]] = {}

    def add(person: str, *blocks: Block) -> None:
        notes.setdefault(person, []).extend(blocks)

    for booking in nightly.released:
        when, host = _when(booking, today), escape(booking.host.name)
        add(
            booking.visitor_id,
            section(
                f":hourglass: Your request to visit *{host}* {when} ({booking.ref}) wasn't "
                "decided by 17:00 the working day before, so it has been released. "
                "`/hotdesk free` shows other free desks."
            ),
        )
        for key_worker in booking.host.key_worker_ids:
            add(
                key_worker,
                section(
                    f":hourglass: The request from {user_link(booking.visitor_id)} to visit "
                    f"*{host}* {when} ({booking.ref}) wasn't decided in time and has been "
                    "released."
                ),
            )
    for booking in nightly.visits:
        add(
            booking.visitor_id,
            section(
                f":calendar: Reminder: you're at *{escape(booking.host.name)}* "
                f"{_when(booking, today)} ({booking.ref})."
            ),
            *host_details(booking.host),
        )
        for key_worker in booking.host.key_worker_ids:
            origin = (
                f" from {escape(booking.visitor_organisation)}"
                if booking.visitor_organisation
                else ""
            )
            add(
                key_worker,
                section(
                    f":wave: Coming to *{escape(booking.host.name)}* {_when(booking, today)}: "
                    f"{user_link(booking.visitor_id)}{origin} ({booking.ref})."
                ),
            )
    return {
        person: Message(text="Hot desks: tomorrow's visits", blocks=blocks[:50])
        for person, blocks in notes.items()
    }


# Forms ------------------------------------------------------------------------------------------


def _option(text: str, value: str) -> Option:
    return Option(text=clip(text, 75), value=value)


def booking_form(hosts: Sequence[Host], chosen: Host | None, day: date, metadata: dict) -> View:
    """Agency, date and slot; choosing the agency shows its protocol before anyone submits."""
    options = [_option(f"{host.name} ({host.code})", host.code) for host in hosts[:100]]
    initial = next((o for o in options if chosen and o.value == chosen.code), None)
    parts = chosen.parts if chosen else (Part.AM, Part.PM, Part.DAY)
    part_options = [_option(_part(part), part.value) for part in parts]
    blocks: list[Block] = [
        InputBlock(
            block_id="host",
            label="Agency",
            dispatch_action=True,
            element=StaticSelectElement(
                action_id=HOST_PICKED,
                placeholder="Choose an agency",
                options=options,
                initial_option=initial,
            ),
        ),
        InputBlock(
            block_id="day",
            label="Date",
            element=DatePickerElement(action_id="value", initial_date=day.isoformat()),
        ),
        InputBlock(
            block_id="part",
            label="Slot",
            element=RadioButtonsElement(
                action_id="value",
                options=part_options,
                initial_option=part_options[-1],
            ),
        ),
    ]
    if chosen:
        days = ", ".join(name.title() for name in chosen.weekdays)
        blocks += [
            DividerBlock(),
            context(f"Desks on {days} · {chosen.desks} desk(s)"),
            *host_details(chosen),
        ]
    else:
        blocks.append(context("Choose an agency to see its address and visitor protocol."))
    return View(
        type="modal",
        callback_id=BOOK_FORM,
        title="Book a hot desk",
        submit="Book",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


def offer_form(
    host: Host,
    metadata: dict,
    held: Mapping[str, LooksPersonal] | None = None,
    closures_typed: str | None = None,
) -> View:
    """What an agency lends: key workers and coordinators change it here. Shown again as typed
    (`host` holding the typed values, `closures_typed` the closures as written) when the
    privacy guard `held` fields back."""
    weekday_options = [_option(day.title(), day) for day in WEEKDAYS]
    chosen_days = [o for o in weekday_options if o.value in host.weekdays]
    flag_options = {
        "half_days": _option("Half days (morning or afternoon) as well as whole days", "half_days"),
        "needs_approval": _option("Visits need the key worker's approval", "needs_approval"),
        "bank_holidays": _option("Closed on bank holidays", "bank_holidays"),
    }
    flags_on = [
        flag_options[name]
        for name, on in (
            ("half_days", host.half_days),
            ("needs_approval", host.needs_approval),
            ("bank_holidays", host.closed_on_bank_holidays),
        )
        if on
    ]
    key_worker_ids = list(host.key_worker_ids)
    blocks: list[Block] = [
        InputBlock(
            block_id="desks",
            label="Desks lent",
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=False,
                min_value="1",
                max_value="50",
                initial_value=str(host.desks),
            ),
        ),
        InputBlock(
            block_id="weekdays",
            label="Days of the week",
            element=CheckboxesElement(
                action_id="value", options=weekday_options, initial_options=chosen_days or None
            ),
        ),
        InputBlock(
            block_id="flags",
            label="Rules",
            optional=True,
            element=CheckboxesElement(
                action_id="value",
                options=list(flag_options.values()),
                initial_options=flags_on or None,
            ),
        ),
        InputBlock(
            block_id="closures",
            label="Closed on",
            optional=True,
            hint="Dates the office is shut, one per line or comma-separated: 24/12, 2/1/2027 "
            "or a range 24/12-1/1.",
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                initial_value=(
                    closures_typed
                    if closures_typed is not None
                    else ", ".join(f"{day:%-d/%-m/%Y}" for day in host.closures)
                )
                or None,
            ),
        ),
        InputBlock(
            block_id="max_days_ahead",
            label="Bookings open this many days ahead",
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=False,
                min_value="1",
                max_value="365",
                initial_value=str(host.max_days_ahead),
            ),
        ),
        InputBlock(
            block_id="address",
            label="Address",
            optional=True,
            element=PlainTextInputElement(
                action_id="value", max_length=500, initial_value=host.address or None
            ),
        ),
        InputBlock(
            block_id="protocol",
            label="Visitor protocol",
            optional=True,
            hint="Shown to every visitor before they book, e.g. bring photo ID, sign in at "
            "reception, no client files leave the building.",
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=2000,
                initial_value=host.protocol or None,
            ),
        ),
        InputBlock(
            block_id="key_workers",
            label="Key workers",
            optional=True,
            hint="They are told of visits and approve them where approval is needed.",
            element=UserMultiSelectElement(action_id="value", initial_users=key_worker_ids or None),
        ),
    ]
    return View(
        type="modal",
        callback_id=OFFER_FORM,
        title=clip(f"Desks at {host.code}", 24),
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=looks_personal_form(blocks, held or {}),
    )


def offer_saved(host: Host) -> Message:
    days = ", ".join(name.title() for name in host.weekdays)
    rules = [
        f"{host.desks} desk(s) on {days}",
        "half or whole days" if host.half_days else "whole days",
    ]
    if host.needs_approval:
        rules.append("visits need approval")
    closed = [f"{len(host.closures)} listed day(s)"] if host.closures else []
    if host.closed_on_bank_holidays:
        closed.append("bank holidays")
    if closed:
        rules.append("closed on " + " and ".join(closed))
    name = escape(host.name)
    return Message(
        text=f"Saved the hot-desk offer of {name}",
        blocks=[
            section(f":white_check_mark: Saved the hot-desk offer of *{name}*: {'; '.join(rules)}.")
        ],
    )
