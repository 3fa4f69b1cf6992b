"""Retention: delete what the partnership's policy says has expired, and report the counts.

Deleting is naturally idempotent, so a second run the same day finds nothing more to do."""

from __future__ import annotations

from datetime import datetime

from bot.services.rights import Rights
from jobs.context import JobContext
from jobs.job import job


@job("retention", "daily 03:30", while_paused=True)
def run(context: JobContext, fire: datetime) -> str:
    counts = Rights(context.engine, context.zone).retention(fire, dry_run=context.dry_run)
    verb = "would delete" if context.dry_run else "deleted"
    return f"{verb} " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
