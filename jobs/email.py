"""Sending the emails the services queued (bot.services.email.deliveries): every minute, within
the partnership's per-minute limit, each once; the coordinators hear of any refused for good."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.db import session_scope
from bot.models import EmailDelivery
from bot.partnership_cache import partnership_settings
from bot.services import coordinators
from bot.services.email.coordinators import REPORT_KEY
from bot.services.email.coordinators import undelivered as undelivered_email
from bot.services.email.deliveries import Undelivered, send_due
from bot.services.email.smtp import Smtp
from bot.services.outbox import Notice
from bot.slack.blocks.email import undelivered_notice
from bot.slack.sender import Sender
from jobs.context import JobContext
from jobs.job import job

JOB = "email"


def report(session: Session, undelivered: Undelivered) -> Sequence[Notice]:
    """Each coordinator told, in the transaction that marks the email failed: by DM, or by
    email for those reached so, never to the address that refused it. A report that was itself
    refused is told in Slack alone, so two failing addresses never report to each other on and
    on."""
    message = undelivered_notice(undelivered).rendered()
    email = None
    if not undelivered.key.startswith(REPORT_KEY):
        partnership = partnership_settings(session).name
        email = undelivered_email(undelivered, partnership)
    key = f"{REPORT_KEY}{undelivered.delivery_id}"
    return coordinators.notices(
        session, message, email, key, "email failed", sparing=undelivered.recipient
    )


def email_on(context: JobContext) -> bool:
    """Only a deployment that sends email has the clock run the job, every minute."""
    return bool(context.smtp_url and context.mailing)


@job(JOB, "every 1 minutes", wanted=email_on)
def run(context: JobContext, fire: datetime) -> str:
    if not (context.smtp_url and context.mailing):
        return "email is off (SMTP_URL, EMAIL_FROM and EMAIL_LINK_SECRET not all set)"
    if context.dry_run:
        with session_scope(context.engine) as session:
            waiting = session.exec(
                select(func.count()).where(col(EmailDelivery.status) == "pending")
            ).one()
        return f"would send up to {waiting} waiting emails (dry run: nothing sent)"
    transport = Smtp(context.smtp_url)
    tally = send_due(context.engine, transport, context.mailing.sender, report=report)
    if tally.notices and context.client is not None:
        Sender(context.engine, context.client).paced(tally.notices)
    return str(tally)
