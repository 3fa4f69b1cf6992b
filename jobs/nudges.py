"""Session follow-ups: the owners' DMs, nudges, invitations to the next session, RSVP reminders
and the coordinators' summary.

It runs often (every 15 minutes by default) because "09:00–17:00 in the owner's own time zone"
comes at different moments for different owners. The service says what is due; each reason is
claimed (job, scope, period) with its messages, and the nudge count raised, in one transaction,
so nobody is written to twice for the same reason and the cap of three holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.models import JobRun
from bot.partnership_cache import partnership_settings
from bot.services.coordinators import tell as tell_coordinators
from bot.services.email.commitments import followup_email, summary_email
from bot.services.email.links import Mailing
from bot.services.sessions import Due, Sessions
from bot.slack.blocks import sessions as blocks
from bot.slack.blocks.common import Message
from jobs.context import JobContext
from jobs.delivery import send_once
from jobs.job import job

JOB = "session-followups"


def _composer(
    service: Sessions, due: Due, fire: datetime, mailing: Mailing | None
) -> Callable[[Session], dict[str, Message]]:
    """What to send for one reason, worked out inside the claiming transaction: DMs, or for an
    owner reached by email, the email queued here (no DM); the summary goes to each
    coordinator, by email to those reached so."""
    today = fire.astimezone(service.zone).date()

    def compose(session: Session) -> dict[str, Message]:
        if due.email_owner and mailing:
            followup = due.period == "followup"
            taken = (service.take_followup if followup else service.take_nudge)(session, due)
            key = f"{due.scope}:{due.period}"
            followup_email(session, mailing, due.email_owner, taken, not followup, key, fire)
            return {}
        if due.period == "followup":
            commitments = service.take_followup(session, due)
            if not (commitments and due.owner_id):
                return {}
            return {due.owner_id: blocks.followup(commitments, today)}
        if due.period in ("invite", "reminder"):
            view, people = service.invitees(session, due)
            message = blocks.invitation(view, today, reminder=due.period == "reminder")
            return dict.fromkeys(people, message)
        if due.period == "summary":
            report = service.summary(session, due)
            partnership = partnership_settings(session).name
            email = summary_email(report, partnership) if mailing else None
            coordinators = tell_coordinators(session, email, f"{due.scope}:summary")
            return dict.fromkeys(coordinators, blocks.summary(report, today))
        nudged = service.take_nudge(session, due)  # "due", "week-1", "week-2", …
        if not (nudged and due.owner_id):
            return {}
        return {due.owner_id: blocks.nudge(nudged[0], today)}

    return compose


@job(JOB, "every 15 minutes")
def run(context: JobContext, fire: datetime) -> str:
    service = Sessions(context.engine, context.zone)
    with session_scope(context.engine) as session:
        claimed = {
            (scope, period)
            for scope, period in session.exec(
                select(JobRun.scope, JobRun.period).where(
                    JobRun.job == JOB, col(JobRun.finished_at).is_not(None)
                )
            ).all()
        }
    due = [
        d
        for d in service.due(fire)
        if (d.scope, d.period) not in claimed and (context.mailing or not d.email_owner)
    ]  # an owner reached by email waits while email is off
    if context.dry_run:
        for item in due:
            context.show(f"would send {item.period} for {item.scope}")
        return f"would send {len(due)} follow-ups (dry run)"
    done = []
    for d in due:
        compose = _composer(service, d, fire, context.mailing)
        done.append(f"{d.scope} {send_once(context, JOB, d.scope, d.period, compose)}")
    return "; ".join(done) or "nothing due"
