"""Commitment follow-ups by email, for an owner not on Slack (a key worker in the partnership
file with an email and no Slack id): the same follow-up and nudges the Slack owners get, with
Done, Still working and Need help links in place of the buttons. Written in the follow-up job's
claiming transaction, so an email is queued once for each reason, as a DM is sent once. And
the coordinators' summary before the next session, for a coordinator reached by email.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.partnership_cache import partnership_settings
from bot.services.email.coordinators import commitment_line, footer
from bot.services.email.deliveries import queue
from bot.services.email.links import Mailing
from bot.services.email.messages import Action, Draft, Email, Section, write
from bot.services.gate import stored, trusted
from bot.services.sessions import ANSWERS, STATUSES, CommitmentView, EmailOwner, Summary

ANSWER_FOR = timedelta(days=28)  # a follow-up's links work until the next nudges have come
LINKS = {"done": "Done", "working": "Still working", "help": "Need help"}


def followup_email(
    session: Session,
    mailing: Mailing,
    owner: EmailOwner,
    commitments: Sequence[CommitmentView],
    reminder: bool,
    key: str,
    now: datetime,
) -> bool:
    """The owner's commitments, each with its three links; False when the owner is no longer
    reached by email (removed from the file, or their email taken out)."""
    person = owner.row(session)
    if person is None or not person.email or not commitments:
        return False
    partnership = partnership_settings(session).name
    title = commitments[0].session_title
    expires = now + ANSWER_FOR
    actions = [
        Action(trusted(f"{label} ({c.ref})"), mailing.url(status, c.id, expires))
        for c in commitments
        for status, label in LINKS.items()
    ]
    draft = Draft(
        subject=stored(
            f"Reminder: a commitment from {title}" if reminder else f"Your commitments from {title}"
        ),
        heading=stored(f"Your commitments from {title}"),
        paragraphs=[
            *[commitment_line(c) for c in commitments],
            trusted(
                "How is it going? Each link opens a page where you confirm your answer; "
                "Need help lets you add a short note for the coordinators (no client's details, "
                "please)."
            ),
        ],
        actions=actions,
        footer=[
            trusted(
                f"You get this as one of the {partnership}'s partners in its partnership file "
                "who took on a commitment at a partnership session. A coordinator can change "
                "how you are reached."
            )
        ],
    )
    about = f"a follow-up of {', '.join(c.ref for c in commitments)}"
    return queue(session, key, person.email, write(draft, about=about))


def summary_email(report: Summary, partnership: str) -> Email:
    """The coordinators' picture before the next session, as the Slack summary gives it, for
    a coordinator reached by email."""
    view = report.session
    when = f"{view.next_on:%A %-d %B %Y}" if view.next_on else "soon"
    statuses = ", ".join(
        f"{count} {STATUSES.get(status, status)}"
        for status, count in sorted(report.by_status.items())
    )
    replies = [
        trusted(
            f"{name}: "
            + ", ".join(
                f"{count} {ANSWERS.get(answer, answer)}" for answer, count in counts.items()
            )
        )
        for name, counts in sorted(report.answers.items())
    ]
    draft = Draft(
        subject=trusted(f"Before the next session ({when})"),
        heading=trusted(f"Before the next session: {when}"),
        paragraphs=[stored(f"Commitments from {view.title}: {statuses or 'none recorded'}")],
        sections=[
            Section(trusted("Replies by organisation"), replies or [trusted("nobody yet")]),
            Section(
                trusted("No reply yet from"),
                [trusted(name) for name in report.silent] or [trusted("none")],
            ),
        ],
        footer=footer(partnership),
    )
    return write(draft, about=f"the summary before the session after {view.ref}")
