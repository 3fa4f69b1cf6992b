"""What a booking's life tells in Slack (the other side's DMs, the visitor's calendar file),
drawn for the hot-desk service to write with its change, and what of it did not go, said after.
Shared by the `/hotdesk` listener and the web process's email pages (an email key worker's
decision is told to the visitor in Slack as any other)."""

from __future__ import annotations

from bot.services.calendar_file import visit_calendar
from bot.services.hotdesk.types import Booked, Booking, Ended
from bot.services.outbox import Notice
from bot.slack.blocks import hotdesk as blocks
from bot.slack.wiring import Services

CALENDAR_FAILED = (
    "I couldn't put the calendar entry in your DMs just now; the booking stands "
    "(`/hotdesk mine` shows it)."
)
HOST, CALENDAR, TOLD = "host", "calendar", "told"  # what a booking's notices are for


class Notifier:
    """The Slack side of a booking's life: the DMs to the other side and the calendar file,
    drawn for the service to write with its change, and what of them did not go, said after."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def for_booking(self, booking: Booking) -> list[Notice]:
        """The host's key workers told; the visitor's calendar entry, once it is confirmed."""
        today = self.services.today()
        message = blocks.visit_for_host(booking, today).rendered()
        notices = [Notice("dm", p, message, HOST) for p in booking.host.key_worker_ids]
        return notices + self._calendar(booking)

    def for_end(self, ended: Ended) -> list[Notice]:
        """The other side told of a cancellation or a decision; an approved visit's calendar."""
        message = blocks.ended_notice(ended, self.services.today()).rendered()
        return [Notice("dm", p, message, TOLD) for p in ended.other_side] + self._calendar(
            ended.booking
        )

    def _calendar(self, booking: Booking) -> list[Notice]:
        """The visit's .ics into the visitor's DM (files go to a D… channel, not a user)."""
        if booking.status != "confirmed":
            return []
        today = self.services.today()
        content = visit_calendar(
            uid=f"hotdesk-{booking.ref}@partnerbot",
            summary=f"Hot desk at {booking.host.name}",
            day=booking.day,
            hours=booking.part.hours,
            zone=self.services.zone,
            location=booking.host.address,
            description=blocks.calendar_text(booking),
        ).decode()  # stored as text in the outbox, as the upload sends it
        file = {
            "content": content,
            "filename": f"visit-{booking.host.code.lower()}-{booking.day.isoformat()}.ics",
            "title": f"Visit to {booking.host.name}, {booking.day:%-d %b %Y}",
            "initial_comment": blocks.calendar_note(booking, today),
        }
        return [Notice("upload", booking.visitor_id, file, CALENDAR)]

    def after_booking(self, result: Booked) -> list[str]:
        """Send what the booking wrote; say what could not be done."""
        if result.already:
            return []
        sent = self.services.sender.notices(result.notices)
        problems = []
        if not result.emailed and not any(went.ok for notice, went in sent if notice.about == HOST):
            problems.append(
                f"I couldn't reach {result.booking.host.name}'s key worker by DM: "
                "please let them know you're coming."
            )
        if any(not went.ok for notice, went in sent if notice.about == CALENDAR):
            problems.append(CALENDAR_FAILED)
        return problems

    def after_end(self, ended: Ended) -> list[str]:
        if ended.already:
            return []
        sent = self.services.sender.notices(ended.notices)
        problems = [
            f"I couldn't tell <@{notice.target}> by DM; please tell them."
            for notice, went in sent
            if notice.about == TOLD and not went.ok
        ]
        if any(not went.ok for notice, went in sent if notice.about == CALENDAR):
            problems.append("I couldn't send the visitor their calendar entry.")
        return problems
