"""Stories from hot-desk visits: the working day after a visit, one question to the visitor and
one to each of the host's key workers (bot.services.hotdesk.stories claims each, with its DM,
in one transaction: sent once however often the job runs)."""

from __future__ import annotations

from datetime import datetime

from bot.db import session_scope
from bot.services.hotdesk.stories import ask_about_visits, write_questions
from bot.services.outbox import Notice
from bot.slack.blocks.stories import question
from bot.slack.sender import Sender
from jobs.context import JobContext
from jobs.job import job

JOB = "visit-stories"


@job(JOB, "weekdays 10:00")
def run(context: JobContext, fire: datetime) -> str:
    day = fire.astimezone(context.zone).date()
    with session_scope(context.engine) as session:
        questions = ask_about_visits(session, day)
        if context.dry_run:
            session.rollback()  # a dry run claims nothing
            for asked in questions:
                context.show(f"would ask {asked.person_id} about visit {asked.booking.ref}")
            return f"{day}: would ask {len(questions)} people about their visits (dry run)"
        written = write_questions(
            session,
            questions,
            lambda asked: [
                Notice("dm", asked.person_id, question(asked).rendered(), about="visit story")
            ],
        )
    assert context.client is not None, "a real run needs Slack"
    sent = Sender(context.engine, context.client).paced(written)
    failed = sum(1 for _, outcome in sent if not outcome.ok)
    return f"{day}: asked {len(questions)} people about their visits" + (
        f" ({failed} not delivered)" if failed else ""
    )
