"""Reminders: the evening before a hot-desk visit, and releasing requests nobody decided.

One claim per evening (job, "partnership", the local date): releasing the undecided requests
and recording whom to tell happen in the claiming transaction, so each release and each
reminder is told once, however often or however many clocks run the job.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.db import session_scope
from bot.services.hotdesk import Hotdesk
from bot.slack.blocks.common import Message
from bot.slack.blocks.hotdesk import evening_messages
from jobs.context import JobContext
from jobs.delivery import send_once

HOTDESK_JOB = "hotdesk-reminders"
SCOPE = "partnership"


def hotdesk(context: JobContext, fire: datetime) -> str:
    """Release requests past their 17:00 deadline; remind the next working day's visits."""
    local = fire.astimezone(context.zone)
    service = Hotdesk(context.engine, context.zone)
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
