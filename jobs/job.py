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
from jobs.delivery import unfinished_claims

Run = Callable[[JobContext, datetime], str]  # does the work due at `fire`; says what it did
# Whether a run for `fire` left work for a later run (Slack busy): the clock's catch-up then
# runs it again rather than passing over its time as done (jobs.turns).
LeftOver = Callable[[JobContext, str, datetime], bool]
# Whether the clock runs the job at all in this deployment (email's needs an SMTP server).
Wanted = Callable[[JobContext], bool]


def always(_context: JobContext) -> bool:
    return True


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # the default, as the partnership file writes it: "mon 09:00"
    run: Run
    while_paused: bool = False  # it sends nothing, so it runs while sending is paused
    left_over: LeftOver = unfinished_claims
    wanted: Wanted = always

    def when(self, schedule: Schedule) -> When:
        """The partnership file's time for this job, or its default."""
        return schedule.jobs.get(self.name) or parse_when(self.schedule)


def job(
    name: str,
    schedule: str,
    *,
    while_paused: bool = False,
    left_over: LeftOver = unfinished_claims,
    wanted: Wanted = always,
) -> Callable[[Run], Job]:
    parse_when(schedule)  # a bad default fails on import, not at its first firing

    def declare(run: Run) -> Job:
        return Job(name, schedule, run, while_paused, left_over, wanted)

    return declare
