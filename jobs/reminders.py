"""Reminders: the evening before a hot-desk visit (and releasing requests nobody decided), and
opportunities closing soon (and closing them on their closing date).

Hot desks: one claim per evening (job, "partnership", the local date): releasing the undecided
requests and recording whom to tell happen in the claiming transaction, so each release and each
reminder is told once, however often or however many clocks run the job.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.db import session_scope
from bot.services.glossary.service import Glossary
from bot.services.hotdesk.service import Hotdesk
from bot.services.opportunities.service import Opportunities
from bot.services.opportunities.store import closing_soon
from bot.slack.blocks.common import Message
from bot.slack.blocks.hotdesk import evening_messages
from bot.slack.blocks.opportunities import closing_reminder
from bot.slack.jargon_notes import opportunity_post
from bot.slack.sender import Sender
from jobs.context import JobContext
from jobs.delivery import send_once
from jobs.job import job

HOTDESK_JOB = "hotdesk-reminders"
OPPORTUNITY_JOB = "opportunity-reminders"
SCOPE = "partnership"


@job(HOTDESK_JOB, "weekdays 17:00")
def hotdesk(context: JobContext, fire: datetime) -> str:
    """Release requests past their 17:00 deadline; remind the next working day's visits."""
    local = fire.astimezone(context.zone)
    service = Hotdesk(context.engine, context.zone, context.mailing)  # emails too
    counts: dict[str, int] = {}

    def compose(session: Session) -> dict[str, Message]:
        nightly = service.nightly(session, fire)
        counts.update(released=len(nightly.released), visits=len(nightly.visits))
        return evening_messages(nightly, local.date())

    period = local.date().isoformat()
    if context.dry_run:
        with session_scope(context.engine) as session:
            messages = compose(session)
            session.rollback()  # a dry run releases nothing
        for recipient, message in messages.items():
            context.show(f"would send to {recipient}: {message.text}")
        return (
            f"{period}: would release {counts['released']} undecided requests and remind "
            f"{counts['visits']} visits in {len(messages)} messages (dry run)"
        )
    summary = send_once(context, HOTDESK_JOB, SCOPE, period, compose)
    if counts:
        summary += f" ({counts['released']} released, {counts['visits']} visits reminded)"
    return summary


@job(OPPORTUNITY_JOB, "daily 18:00")
def opportunities(context: JobContext, fire: datetime) -> str:
    """Close what reaches its closing date (the channel message says so), and remind the
    interested three days before: once per opportunity, however often the job runs."""
    today = fire.astimezone(context.zone).date()
    with session_scope(context.engine) as session:
        due = [r for r in closing_soon(session, today) if r.member_ids]
    if context.dry_run:
        for reminder in due:
            title, count = reminder.opportunity.title, len(reminder.member_ids)
            context.show(f"would remind {count} about {title}")
        return f"{today}: would remind about {len(due)} opportunities (dry run)"
    assert context.client is not None, "a real run needs Slack"
    service = Opportunities(context.engine, Sender(context.engine, context.client))
    closed = service.expire(today, opportunity_post(Glossary(context.engine).snapshot(), today))
    sent = []
    for reminder in due:
        message = closing_reminder(reminder.opportunity, today)
        scope = f"opportunity-{reminder.opportunity.id}"
        messages = dict.fromkeys(reminder.member_ids, message)
        sent.append(send_once(context, OPPORTUNITY_JOB, scope, "closing", messages))
    return f"{today}: {len(closed)} closed; reminders: " + ("; ".join(sent) or "none due")
