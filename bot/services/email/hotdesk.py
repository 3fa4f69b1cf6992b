"""Hot-desk emails to a host's key workers who are not on Slack (an email address in the
partnership file, no Slack id): who is coming, from where and when, with a calendar invitation
(METHOD:REQUEST), and Approve / Decline links where the agency approves visits; a cancellation,
decline or release sends the matching METHOD:CANCEL. Written in the booking's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import KeyWorker, Organisation
from bot.partnership_cache import partnership_settings
from bot.services.calendar_file import visit_calendar
from bot.services.email.deliveries import queue
from bot.services.email.links import Mailing
from bot.services.email.messages import Action, Draft, write
from bot.services.gate import Cleared, Policy, Reach, clear, trusted
from bot.services.hotdesk.types import Booking

REQUEST, CANCEL = "REQUEST", "CANCEL"  # iTIP's methods: add the event, take it away


def _public(text: str) -> Cleared:
    """An organisation's published details (name, address): escaped, not guarded."""
    return clear(text, Reach.PUBLIC, policy=Policy("block"))


def email_key_workers(session: Session, booking: Booking) -> list[KeyWorker]:
    """The host's key workers reached only by email."""
    return list(
        session.exec(
            select(KeyWorker)
            .join(Organisation, col(Organisation.id) == KeyWorker.organisation_id)
            .where(
                Organisation.code == booking.host.code,
                col(KeyWorker.email).is_not(None),
                col(KeyWorker.slack_user_id).is_(None),
            )
            .order_by(col(KeyWorker.id))
        ).all()
    )


def _when(booking: Booking) -> str:
    start, end = booking.part.hours
    return f"{booking.day:%A %-d %B %Y}, {booking.part.label} ({start:%H:%M}–{end:%H:%M})"


def _invite(mailing: Mailing, booking: Booking, attendee: str, method: str, sequence: int) -> str:
    """The invitation (one UID per booking, so CANCEL, a higher SEQUENCE, removes what REQUEST
    added), as the text of a `text/calendar; method=…` part."""
    description = (
        f"{booking.visitor_name} from {booking.visitor_organisation or 'a partner'} visits "
        f"{booking.host.name} (booking {booking.ref})."
    )
    return visit_calendar(
        f"hotdesk-{booking.ref}@partnerbot", f"Hot-desk visitor: {booking.visitor_name}",
        booking.day, booking.part.hours, mailing.zone, booking.host.address, description,
        method=method, sequence=sequence, organiser=mailing.sender, attendee=attendee,
    ).decode()  # fmt: skip


def _footer(session: Session, booking: Booking) -> list[Cleared]:
    partnership = partnership_settings(session).name
    return [
        trusted(
            f"You get this as a key worker at {booking.host.name} in the {partnership}'s "
            "partnership file. A coordinator can change how you are reached."
        ),
        _public(partnership),
    ]


def booking_made(
    session: Session, mailing: Mailing | None, booking: Booking, deadline: datetime
) -> int:
    """A new booking or request told to the key workers reached by email: how many."""
    if mailing is None:
        return 0
    visitor = trusted(booking.visitor_name)  # from their Slack profile, as the DM shows it
    origin = _public(booking.visitor_organisation or "a partner organisation")
    pending = booking.status == "pending"
    paragraphs = [
        trusted(
            f"{visitor} from {origin} {'asks to use' if pending else 'has booked'} a hot desk "
            f"at {booking.host.name} on {_when(booking)}."
        ),
        trusted(f"Booking reference {booking.ref}."),
    ]
    actions: list[Action] = []
    if pending:
        paragraphs.append(
            trusted(
                f"{booking.host.name} approves each visit: please approve or decline. A request "
                f"nobody answers by {deadline:%H:%M on %A %-d %B} is released and the visitor "
                "told. Each link opens a page where you confirm your answer."
            )
        )
        expires = deadline
        actions = [
            Action(trusted("Approve the visit"), mailing.url("approve", booking.id, expires)),
            Action(trusted("Decline"), mailing.url("decline", booking.id, expires)),
        ]
    else:
        paragraphs.append(trusted("The invitation in this email adds the visit to your calendar."))
    draft = Draft(
        subject=trusted(
            f"{'Visit request' if pending else 'Visitor coming'}: {visitor}, "
            f"{booking.day:%a %-d %b}"
        ),
        heading=trusted(f"{'A visit request' if pending else 'A visitor'} for {booking.host.name}"),
        paragraphs=paragraphs,
        actions=actions,
        footer=_footer(session, booking),
    )
    about = f"the visit {booking.ref} to {booking.host.name}"
    return _to_key_workers(session, mailing, booking, "made", draft, about, REQUEST)


def _to_key_workers(
    session: Session, mailing: Mailing, booking: Booking, what: str, draft: Draft, about: str,
    method: str = "",
) -> int:  # fmt: skip
    """The email to each of the host's key workers reached by email, once per booking and
    `what`, with the invitation (`method`: REQUEST or CANCEL) when there is one."""
    workers = email_key_workers(session, booking)
    for worker in workers:
        assert worker.email is not None
        calendar = ""
        if method:
            sequence = 1 if method == CANCEL else 0
            calendar = _invite(mailing, booking, worker.email, method, sequence)
        email = write(draft, calendar=calendar, method=method, about=about)
        queue(session, f"{booking.ref}:{what}:kw{worker.id}", worker.email, email)
    return len(workers)


ENDINGS = {
    "cancelled": "has been cancelled",
    "declined": "was declined",
    "released": "was released (nobody answered in time)",
}


def booking_ended(session: Session, mailing: Mailing | None, booking: Booking) -> None:
    """A visit that will not happen, taken out of the email key workers' calendars."""
    if mailing is None or booking.status not in ENDINGS:
        return
    visitor = trusted(booking.visitor_name)
    draft = Draft(
        subject=trusted(f"Visit {booking.status}: {visitor}, {booking.day:%a %-d %b}"),
        heading=trusted(f"A visit to {booking.host.name} {ENDINGS[booking.status]}"),
        paragraphs=[
            trusted(
                f"{visitor}'s visit on {_when(booking)} (booking {booking.ref}) "
                f"{ENDINGS[booking.status]}. The invitation in this email removes it from "
                "your calendar."
            )
        ],
        footer=_footer(session, booking),
    )
    about = f"the cancellation of visit {booking.ref}"
    _to_key_workers(session, mailing, booking, "ended", draft, about, CANCEL)


def visit_coming(session: Session, mailing: Mailing | None, booking: Booking) -> int:
    """The evening before a visit, the host's key workers reached by email reminded (as the
    Slack ones are by DM): once per visit. How many were written to."""
    if mailing is None:
        return 0
    visitor = trusted(booking.visitor_name)
    origin = _public(booking.visitor_organisation or "a partner organisation")
    draft = Draft(
        subject=trusted(f"Visitor tomorrow: {visitor}, {booking.day:%a %-d %b}"),
        heading=trusted(f"A visitor for {booking.host.name} on {booking.day:%A}"),
        paragraphs=[
            trusted(
                f"A reminder: {visitor} from {origin} uses a hot desk at "
                f"{booking.host.name} on {_when(booking)} (booking {booking.ref})."
            )
        ],
        footer=_footer(session, booking),
    )
    about = f"the reminder of visit {booking.ref}"
    return _to_key_workers(session, mailing, booking, "reminder", draft, about)
