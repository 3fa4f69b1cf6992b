"""Calendar invitations (RFC 5545, iTIP's METHOD) that Outlook and Gmail offer to add.

One UID per booking, so the cancellation (`METHOD:CANCEL`, a higher SEQUENCE) removes the
event the request (`METHOD:REQUEST`) added instead of adding a second one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from bot.models import utcnow

REQUEST, CANCEL = "REQUEST", "CANCEL"


def invitation(
    *,
    method: str,
    uid: str,
    sequence: int,
    summary: str,
    day: date,
    hours: tuple[time, time],
    zone: ZoneInfo,
    location: str,
    description: str,
    organiser: str,
    attendee: str,
) -> str:
    """The calendar text of one event, to send as a `text/calendar; method=…` part."""
    calendar = Calendar()
    calendar.add("prodid", "-//Partnerbot//hot desks//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", datetime.combine(day, hours[0], zone))
    event.add("dtend", datetime.combine(day, hours[1], zone))
    event.add("summary", summary)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    organiser_address = vCalAddress(f"mailto:{organiser}")
    organiser_address.params["cn"] = "Partnerbot"
    event.add("organizer", organiser_address)
    attendee_address = vCalAddress(f"mailto:{attendee}")
    attendee_address.params["role"] = "REQ-PARTICIPANT"
    attendee_address.params["partstat"] = "NEEDS-ACTION"
    event.add("attendee", attendee_address)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
