"""Housekeeping: forget what is only kept to stop a repeat (event ids, finished requests,
settled sends, day-old held drafts), and redraw in Slack what an erasure rewrote and Slack did
not take then. It sends nothing new, so it runs while sending is paused (but redraws wait)."""

from __future__ import annotations

from datetime import datetime

from bot.services.rights import Rights, sending_paused
from bot.services.updates import forget_old_drafts
from bot.slack.redraws import redraw_messages
from jobs.context import JobContext
from jobs.job import job

REDRAWS = 1000  # a run's share of messages to redraw (Slack allows ~50 a minute)


def redraws_waiting(context: JobContext, _job: str, _fire: datetime) -> bool:
    """Messages an erasure rewrote still to redraw in Slack: the next catch-up goes on."""
    return bool(Rights(context.engine, context.zone).redraws(limit=1))


@job("housekeeping", "daily 04:30", while_paused=True, left_over=redraws_waiting)
def run(context: JobContext, fire: datetime) -> str:
    """Forget event ids, finished requests and settled sends older than the retention policy
    says, and held drafts a day old; redraw in Slack what an erasure rewrote and Slack did not
    take then."""
    rights = Rights(context.engine, context.zone)
    forgotten = rights.retention(
        fire, dry_run=context.dry_run, only=("event ids", "requests", "sends")
    )
    drafts = forget_old_drafts(context.engine, fire, dry_run=context.dry_run)
    verb = "would forget" if context.dry_run else "forgot"
    summary = (
        f"{verb} {forgotten['event ids']} Slack event ids too old to be retried, "
        f"{forgotten['requests']} finished requests, {forgotten['sends']} settled sends "
        f"and {drafts} held drafts older than a day"
    )
    if context.dry_run or context.client is None:
        waiting = len(rights.redraws())
        return summary + (f"; would redraw {waiting} messages erasures rewrote" if waiting else "")
    if sending_paused(context.engine):
        return summary + "; redrawing waits: sending is paused"
    redrawn = redraw_messages(context.client, rights, limit=REDRAWS)
    if redrawn.redrawn or redrawn.problems or redrawn.left:
        summary += f"; messages erasures rewrote: {redrawn}"
    return summary
