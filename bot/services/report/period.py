"""The report's period, as a coordinator types it: `2026-Q3`, `2026`, `since 1/9`, `1/9 to 30/11`,
or nothing for the last full quarter. Day first, as everywhere (bot.services.dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.services.dates import RANGE, parse_date
from bot.services.refusal import Refusal

EXAMPLE = "/partners report 2026-Q3"
PERIODS = "`2026-Q3`, `2026`, `since 1/9` or `1/9 to 30/11`"
QUARTER = re.compile(r"^(?:(\d{4})\s*-?\s*q([1-4])|q([1-4])\s*-?\s*(\d{4}))$")
YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive."""

    first: date
    last: date
    name: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> Period:
        """The period of the same length just before, which the summary compares against."""
        last = self.first - timedelta(days=1)
        first = last - timedelta(days=self.days - 1)
        return Period(first, last, f"{first:%-d %b %Y} to {last:%-d %b %Y}")

    def months(self) -> list[str]:
        """Each month it touches, as `YYYY-MM`."""
        found, day = [], self.first.replace(day=1)
        while day <= self.last:
            found.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return found


def parse_period(text: str, today: date) -> Period:
    """The period `text` names; the last full quarter when it is empty. A quarter or year
    still running ends today; one that has not started, a range ending after today, and what
    can't be read are refused."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        start = _quarter_start(today.year, (today.month - 1) // 3 + 1)
        return _quarter(*_quarter_of(start - timedelta(days=1)), today)
    if match := QUARTER.match(cleaned):
        year, number = (match[1], match[2]) if match[1] else (match[4], match[3])
        return _quarter(int(year), int(number), today)
    if YEAR.match(cleaned):
        year = int(cleaned)
        return _ending_by(date(year, 1, 1), date(year, 12, 31), str(year), today)
    if cleaned.startswith("since "):
        first = _past_date(cleaned.removeprefix("since "), today)
        return _ending_by(first, today, f"since {first:%-d %b %Y}", today)
    ends = RANGE.split(cleaned, maxsplit=1)
    if len(ends) == 2:
        first = _past_date(ends[0], today)
        last = parse_date(ends[1], first, EXAMPLE)
        if last < first:
            raise Refusal("The period runs from the earlier date to the later.", EXAMPLE)
        if last > today:
            raise Refusal(
                f"That period ends on {last:%-d %b %Y}, after today: the report counts what has "
                "happened. Try `since 1/9` for a period running to today.",
                EXAMPLE,
            )
        return _ending_by(first, last, f"{first:%-d %b %Y} to {last:%-d %b %Y}", today)
    raise Refusal(f"I couldn't read “{text.strip()}” as a period. Try {PERIODS}.", EXAMPLE)


def _quarter_start(year: int, number: int) -> date:
    return date(year, 3 * number - 2, 1)


def _quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _quarter(year: int, number: int, today: date) -> Period:
    first = _quarter_start(year, number)
    following = _quarter_start(year + 1, 1) if number == 4 else _quarter_start(year, number + 1)
    return _ending_by(first, following - timedelta(days=1), f"{year}-Q{number}", today)


def _ending_by(first: date, last: date, name: str, today: date) -> Period:
    if first > today:
        raise Refusal(
            f"{name} hasn't started yet: the report counts what has happened. Try {PERIODS}.",
            EXAMPLE,
        )
    if last >= today:
        return Period(first, today, f"{name} (so far)")
    return Period(first, last, name)


def _past_date(text: str, today: date) -> date:
    """A date without a year is the last such day, not the next (`since 1/9` in December is
    this September)."""
    read = parse_date(text, today, EXAMPLE)
    if read <= today:
        return read
    a_year_back = date(today.year - 1, today.month, min(today.day, 28)) + timedelta(days=1)
    earlier = parse_date(text, a_year_back, EXAMPLE)
    if earlier <= today and (earlier.month, earlier.day) == (read.month, read.day):
        return earlier
    return read
