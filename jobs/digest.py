"""The weekly digest: once per partnership per ISO week, to the digest channel and opted-in DMs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.models import utcnow
from bot.services import coordinators
from bot.services.digest import Digest, build_digest
from bot.services.directory import Directory
from bot.services.email.deliveries import queue
from bot.services.email.digest import digest_draft
from bot.services.email.messages import write
from bot.services.email.subscriptions import UNSUBSCRIBE_FOR
from bot.slack.blocks.common import Message
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.plain import plain_text
from jobs.context import JobContext
from jobs.delivery import Compose, claim, finish, send_once
from jobs.job import job

JOB = "digest"
SCOPE = "partnership"
NOTHING = "nothing happened this week; nothing sent"


def period_of(fire: datetime) -> str:
    year, week, _ = fire.isocalendar()
    return f"{year}-W{week:02d}"


def by_email(digest: Digest, context: JobContext, period: str) -> Compose:
    """The Slack messages, and the email copies queued in the claiming transaction, so each
    member asking for it by email gets the week's once, with a one-click unsubscribe link, and
    each coordinator reached by email the coordinators' copy (theirs by the partnership file,
    as a Slack coordinator's copy is by their own choice of the digest by DM)."""
    messages = recipients(digest, context)
    mailing = context.mailing

    if mailing is None:
        return lambda _session: messages
    names = {m.slack_user_id: m.name for m in Directory(context.engine).members()}
    draft = digest_draft(digest, names)  # drawn before the claim's transaction, not in it
    copy = write(
        digest_draft(digest, names, for_coordinators=True), about=f"the digest of {period}"
    )

    def compose(session: Session) -> dict[str, Message]:
        coordinators.email_only(session, copy, f"digest:{period}")
        until = utcnow() + UNSUBSCRIBE_FOR
        for member_id, address in digest.email_members:
            email = write(
                draft, about=f"the digest of {period}",
                unsubscribe=mailing.url("unsubscribe", member_id, until),
            )  # fmt: skip
            queue(session, f"digest:{period}:m{member_id}", address, email)
        return messages

    return compose


def recipients(digest: Digest, context: JobContext) -> dict[str, Message]:
    """The channel copy, and a DM for each opted-in member (coordinators' copies list the quiet)."""
    messages: dict[str, Message] = {}
    if digest.channel:
        messages[digest.channel] = digest_message(digest, context.zone)
    coordinators = set(digest.coordinator_ids)
    for user_id in digest.dm_member_ids:
        messages[user_id] = digest_message(digest, context.zone, user_id in coordinators)
    return messages


def show_copies(digest: Digest, context: JobContext) -> None:
    """A dry run's preview: the digest as people would read it, in each of its versions."""
    names = {member.slack_user_id: member.name for member in Directory(context.engine).members()}
    channel = digest_message(digest, context.zone)
    for title, message in (
        ("The channel copy", channel),
        ("A member's DM", channel),
        ("A coordinator's DM", digest_message(digest, context.zone, for_coordinators=True)),
    ):
        context.show(f"\n--- {title} ---\n{plain_text(message, names)}")


@job(JOB, "mon 09:00")
def run(context: JobContext, fire: datetime) -> str:
    """Send the digest for the week ending at `fire` (the scheduled time, in the zone)."""
    period = period_of(fire)
    digest = build_digest(context.engine, fire - timedelta(weeks=1), fire)
    messages = {} if digest.empty else recipients(digest, context)
    if context.dry_run:
        if digest.empty:
            return f"{period}: nothing happened this week, so nothing would be sent"
        for recipient, message in messages.items():
            context.show(f"would send to {recipient}: {message.text}")
        show_copies(digest, context)
        return f"{period}: would send {len(messages)} messages (dry run: nothing claimed)"
    if digest.empty:  # claimed all the same, so a later run of the week does not look again
        run_id = claim(context.engine, JOB, SCOPE, period, {})
        if run_id is not None:
            finish(context.engine, run_id, NOTHING)
            return f"{period}: {NOTHING}"
    return send_once(context, JOB, SCOPE, period, by_email(digest, context, period))
