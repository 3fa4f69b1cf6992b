"""Every scheduled job, in one place: the clock, `partnerbot run-job` and the partnership file's
[schedule] read this and nothing else. A job is declared beside its work (jobs.job); add it here.
"""

from __future__ import annotations

from bot.services.schedule import unknown_job
from jobs import digest, email, housekeeping, nudges, reminders, retention, stories
from jobs.job import Job

JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        digest.run,
        email.run,
        housekeeping.run,
        reminders.hotdesk,
        reminders.opportunities,
        nudges.run,
        retention.run,
        stories.run,
    )
}


class UnknownJob(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(unknown_job(name, JOBS))


def find(name: str) -> Job:
    job = JOBS.get(name)
    if job is None:
        raise UnknownJob(name)
    return job
