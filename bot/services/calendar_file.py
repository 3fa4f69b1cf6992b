"""Calendar entries (.ics) for visits, in the partnership's time zone, so a phone shows 09:00.

The same event is a file in the visitor's Slack DM (METHOD:PUBLISH) and an invitation emailed to
a key worker not on Slack (METHOD:REQUEST, or CANCEL with a higher SEQUENCE: see
bot.services.email.hotdesk)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from bot.models import utcnow


def visit_calendar(
    uid: str,
    summary: str,
    day: date,
    hours: tuple[time, time],
    zone: ZoneInfo,
    location: str,
    description: str,
    *,
    method: str = "PUBLISH",
    sequence: int = 0,
    organiser: str = "",
    attendee: str = "",
) -> bytes:
    """One event; the same uid for the same booking, so a re-sent file updates, not duplicates."""
    calendar = Calendar()
    calendar.add("prodid", "-//Partnerbot//hot desks//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", datetime.combine(day, hours[0], zone))
    event.add("dtend", datetime.combine(day, hours[1], zone))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if organiser and attendee:  # an invitation (iTIP): who asks, whom, and its revision
        event.add("sequence", sequence)
        event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        organiser_address = vCalAddress(f"mailto:{organiser}")
        organiser_address.params["cn"] = "Partnerbot"
        event.add("organizer", organiser_address)
        attendee_address = vCalAddress(f"mailto:{attendee}")
        attendee_address.params["role"] = "REQ-PARTICIPANT"
        attendee_address.params["partstat"] = "NEEDS-ACTION"
        event.add("attendee", attendee_address)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
