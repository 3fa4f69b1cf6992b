"""Calendar entries (.ics) for visits, in the partnership's time zone, so a phone shows 09:00."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.models import utcnow


def visit_calendar(
    uid: str,
    summary: str,
    day: date,
    hours: tuple[time, time],
    zone: ZoneInfo,
    location: str,
    description: str,
) -> bytes:
    """One event; the same uid for the same booking, so a re-sent file updates, not duplicates."""
    calendar = Calendar()
    calendar.add("prodid", "-//Partnerbot//hot desks//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
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
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
