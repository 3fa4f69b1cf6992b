"""A scheduled job, declared once beside the function that does its work:

    @job("digest", "mon 09:00")
    def run(context: JobContext, fire: datetime) -> str: ...

The name is what `partnerbot run-job` and the partnership file's [schedule] call it and what its
claims are recorded under; the schedule is its default time. jobs.registry lists every job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.services.schedule import Schedule, When, parse_when
from jobs.context import JobContext

Run = Callable[[JobContext, datetime], str]  # does the work due at `fire`; says what it did


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # the default, as the partnership file writes it: "mon 09:00"
    run: Run
    while_paused: bool = False  # it sends nothing, so it runs while sending is paused

    def when(self, schedule: Schedule) -> When:
        """The partnership file's time for this job, or its default."""
        return schedule.jobs.get(self.name) or parse_when(self.schedule)


def job(name: str, schedule: str, *, while_paused: bool = False) -> Callable[[Run], Job]:
    parse_when(schedule)  # a bad default fails on import, not at its first firing

    def declare(run: Run) -> Job:
        return Job(name, schedule, run, while_paused)

    return declare
