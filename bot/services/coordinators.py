"""Telling the coordinators: the one place that decides how each is reached.

A coordinator on Slack (a `Member` with `is_coordinator`) gets a DM; one the partnership file
gives an email and no Slack id (`EmailCoordinator`) gets the same notice by email, queued in the
caller's transaction (bot.services.email.deliveries), so both commit with the change they tell
of or neither does. The Slack messages are drawn by the Slack layer and the emails by
bot.services.email, each from the same facts; this module only routes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.models import EmailCoordinator
from bot.services.directory import coordinators_in
from bot.services.email.deliveries import queue
from bot.services.email.messages import Email
from bot.services.outbox import Notice, Rendered


def email_only(session: Session, email: Email | None, key: str, *, sparing: str = "") -> None:
    """`email` queued for each coordinator reached by email alone, once per `key` (work done
    again writes nothing twice). None (email is off) tells them nothing, rather than leave
    emails to go out stale whenever it is turned on. `sparing`: an address not to write to (the
    one an undelivered email was for)."""
    if email is None:
        return
    rows = session.exec(select(EmailCoordinator).order_by(col(EmailCoordinator.id))).all()
    for row in rows:
        if row.email.lower() != sparing.lower():
            queue(session, f"{key}:ec{row.id}", row.email, email)


def tell(session: Session, email: Email | None, key: str, *, sparing: str = "") -> list[str]:
    """Every coordinator told: `email` queued for those reached by email alone (`email_only`),
    and the Slack ids of the others returned, for the caller's Slack message (a notice in the
    outbox, or a job's deliveries) in the same transaction."""
    email_only(session, email, key, sparing=sparing)
    return coordinators_in(session)


def notices(
    session: Session, message: Rendered, email: Email | None, key: str, about: str = "",
    *, sparing: str = "",
) -> Sequence[Notice]:  # fmt: skip
    """`tell`, with the DMs as the outbox's notices, for the caller to write."""
    return [
        Notice("dm", user, message, about) for user in tell(session, email, key, sparing=sparing)
    ]
