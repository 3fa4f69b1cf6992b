"""When the partnership's jobs run: "mon 09:00", "mon,thu 09:00", "daily 04:30", "weekdays 08:30",
or "every 15 minutes" for jobs that decide for themselves what is due (the follow-ups).

Which jobs there are, and their default times, is the jobs' own registry (jobs.registry): the
services never import it, so the partnership file is given the job names to check against.

Day names only (crontab's numbers count from Monday in APScheduler and from Sunday elsewhere),
and never 01:00–02:59 local, when clocks change and a wall-clock schedule can fire twice or not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.services.working_days import WEEKDAYS

DAYS = WEEKDAYS
GROUPS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
DEFAULT_CATCH_UP_HOURS = 24
WHEN = re.compile(r"^([a-z,\s]+?)\s+(\d{1,2}):(\d{2})$")
EVERY = re.compile(r"^every\s+(\d{1,2})\s+min(?:ute)?s?$")


@dataclass(frozen=True)
class When:
    days: tuple[str, ...]
    hour: int
    minute: int
    every_minutes: int = 0  # set: fires every so many minutes, every day (hour/minute unused)

    @property
    def day_of_week(self) -> str:
        """APScheduler's day_of_week, by name."""
        return ",".join(self.days)

    def __str__(self) -> str:
        if self.every_minutes:
            return f"every {self.every_minutes} minutes"
        return f"{','.join(self.days)} {self.hour:02d}:{self.minute:02d}"


def unknown_job(name: str, known: Iterable[str]) -> str:
    """The one answer to a job name nobody declared, from `run-job` and the partnership file."""
    return f"there is no job called {name!r}; jobs: {', '.join(sorted(known))}"


def parse_when(text: str) -> When:
    """Read a schedule entry, or raise ValueError saying what is wrong and what works."""
    example = 'e.g. "mon 09:00", "mon,thu 09:00", "daily 04:30" or "weekdays 08:30"'
    every = EVERY.match(text.strip().lower())
    if every:
        minutes = int(every[1])
        if not 0 < minutes <= 60 or 60 % minutes:
            raise ValueError(f"{text!r}: use a number of minutes that divides the hour (5, 15, 30)")
        return When(DAYS, 0, 0, minutes)
    match = WHEN.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a schedule; {example}")
    days: list[str] = []
    for word in re.split(r"[,\s]+", match[1].strip()):
        if word in GROUPS:
            days += GROUPS[word]
        elif word[:3] in DAYS:
            days.append(word[:3])
        else:
            raise ValueError(f"{word!r} is not a day name; {example}")
    hour, minute = int(match[2]), int(match[3])
    if hour > 23 or minute > 59:
        raise ValueError(f"{match[2]}:{match[3]} is not a time of day")
    if 1 <= hour < 3:
        raise ValueError("01:00–02:59 is when clocks change; choose another time")
    return When(tuple(day for day in DAYS if day in days), hour, minute)


@dataclass(frozen=True)
class Schedule:
    """The times the partnership file sets; a job it does not name keeps its default."""

    jobs: dict[str, When]
    catch_up_hours: int = DEFAULT_CATCH_UP_HOURS

    def to_json(self) -> str:
        return json.dumps(
            {
                "jobs": {name: str(when) for name, when in self.jobs.items()},
                "catch_up_hours": self.catch_up_hours,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        """The stored schedule (an empty text sets no times: every job at its default)."""
        stored = json.loads(text) if text else {}
        return cls(
            {name: parse_when(entry) for name, entry in stored.get("jobs", {}).items()},
            int(stored.get("catch_up_hours", DEFAULT_CATCH_UP_HOURS)),
        )
