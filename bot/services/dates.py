"""Dates as people in UK partnerships type them: `24/11`, `tomorrow`, `thu`, `next thursday`.

Day first, always. A date without a year is the next one to come (this year's, or next year's
once it has passed). `today` is passed in, already in the partnership's zone.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.services.refusal import Refusal

EXAMPLES = "24/11, 24/11/2026, tomorrow, thu, next thursday or 2026-11-24"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
RELATIVE = {"today": 0, "tomorrow": 1, "yesterday": -1}
NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)(?:\s+(\d{4}))?$")
MONTH_DAY = re.compile(r"^([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")


class DateError(Refusal, ValueError):
    """`str()` says what could not be read and gives examples that work (`example`, a whole
    command, is set by `parse_date`'s caller, which knows the command)."""

    def __init__(self, text: str, reason: str = "") -> None:
        shown = text.strip() or "an empty date"
        reason = f" {reason}" if reason else ""
        super().__init__(f"I couldn't read “{shown}” as a date.{reason} Try {EXAMPLES}.")


def _weekday(word: str) -> int | None:
    """Monday=0 for a day name or a common abbreviation (`tue`, `tues`, `thurs`)."""
    if len(word) < 3:
        return None
    for index, name in enumerate(DAYS):
        if name.startswith(word):
            return index
    return None


def _month(word: str) -> int | None:
    if len(word) < 3:
        return None
    for index, name in enumerate(MONTHS, start=1):
        if name.startswith(word) or (word == "sept" and index == 9):
            return index
    return None


def _make(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(text, "That day doesn't exist.") from None


def _coming(text: str, month: int, day: int, today: date) -> date:
    """The next such day: this year's, or next year's if it has already gone."""
    if (month, day) == (2, 29):
        year = today.year
        while True:
            try:
                candidate = date(year, 2, 29)
            except ValueError:
                year += 1
                continue
            if candidate >= today:
                return candidate
            year += 1
    candidate = _make(text, today.year, month, day)
    return candidate if candidate >= today else candidate.replace(year=today.year + 1)


def _with_year(text: str, year: str | None, month: int, day: int, today: date) -> date:
    if year is None:
        return _coming(text, month, day, today)
    full = int(year) + 2000 if len(year) == 2 else int(year)
    return _make(text, full, month, day)


def parse_date(text: str, today: date, example: str = "") -> date:
    """Read one date. A day name means its next occurrence after today ("thu" on a Thursday
    is a week away); "next thursday" is the Thursday of next week (starting next Monday).
    DateError, showing `example` (a command that works), when it can't be read."""
    try:
        return _read_date(text, today)
    except DateError as error:
        error.example = example
        raise


def _read_date(text: str, today: date) -> date:
    cleaned = re.sub(r"\s+", " ", text.strip().lower().rstrip(".,;!?")).strip()
    if not cleaned:
        raise DateError(text)
    if cleaned in RELATIVE:
        return today + timedelta(days=RELATIVE[cleaned])
    words = cleaned.split(" ")
    if len(words) == 2 and words[0] == "next" and (day := _weekday(words[1])) is not None:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=day)
    if len(words) == 1 and (day := _weekday(cleaned)) is not None:
        return today + timedelta(days=(day - today.weekday() - 1) % 7 + 1)
    named_day = _weekday(words[0].rstrip(",")) if len(words) > 1 else None
    if named_day is not None:
        cleaned = " ".join(words[1:])
    found = _calendar_date(text, cleaned, today)
    if named_day is not None and found.weekday() != named_day:
        actual, said = DAYS[found.weekday()].title(), DAYS[named_day].title()
        raise DateError(text, f"{found:%-d %B %Y} is a {actual}, not a {said}.")
    return found


def _calendar_date(text: str, cleaned: str, today: date) -> date:
    if match := ISO.match(cleaned):
        return _make(text, int(match[1]), int(match[2]), int(match[3]))
    if match := NUMERIC.match(cleaned):
        return _with_year(text, match[3], int(match[2]), int(match[1]), today)
    if (match := DAY_MONTH.match(cleaned)) and (month := _month(match[2])):
        return _with_year(text, match[3], month, int(match[1]), today)
    if (match := MONTH_DAY.match(cleaned)) and (month := _month(match[1])):
        return _with_year(text, match[3], month, int(match[2]), today)
    raise DateError(text)


RANGE = re.compile(r"\s+to\s+|\s*–\s*|\s+-\s+")
SLASHED_RANGE = re.compile(r"^(\d{1,2}/[\d/]+)-(\d{1,2}/[\d/]+)$")  # 24/12-2/1
RANGE_DAYS_MAX = 366


def parse_dates(text: str, today: date) -> list[date]:
    """A list of dates and ranges, comma- or line-separated: "24/12, 27/12 to 2/1/2027"."""
    days: list[date] = []
    for entry in re.split(r"[,;\n]+", text):
        if not entry.strip():
            continue
        slashed = SLASHED_RANGE.match(entry.strip())
        ends = list(slashed.groups()) if slashed else RANGE.split(entry.strip(), maxsplit=1)
        first = parse_date(ends[0], today)
        last = parse_date(ends[1], first) if len(ends) > 1 else first
        span = (last - first).days
        if not 0 <= span <= RANGE_DAYS_MAX:
            raise DateError(
                entry, "A range runs from the earlier date to the later, within a year."
            )
        days += [first + timedelta(days=n) for n in range(span + 1)]
    return sorted(set(days))


def format_date(day: date, today: date) -> str:
    """Short and friendly: "today", "tomorrow", "Tue 24 Nov"; the year only when not this one."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    if day == today - timedelta(days=1):
        return "yesterday"
    return f"{day:%a %-d %b}" + (f" {day.year}" if day.year != today.year else "")
