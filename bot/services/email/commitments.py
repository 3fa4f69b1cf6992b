"""Commitment follow-ups by email, for an owner not on Slack (a key worker in the partnership
file with an email and no Slack id): the same follow-up and nudges the Slack owners get, with
Done, Still working and Need help links in place of the buttons. Written in the follow-up job's
claiming transaction, so an email is queued once for each reason, as a DM is sent once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.models import Partnership
from bot.services.email.deliveries import queue
from bot.services.email.links import Mailing
from bot.services.email.messages import Action, Draft, write
from bot.services.gate import Cleared, stored, trusted
from bot.services.sessions import STATUSES, CommitmentView, EmailOwner

ANSWER_FOR = timedelta(days=28)  # a follow-up's links work until the next nudges have come
LINKS = {"done": "Done", "working": "Still working", "help": "Need help"}


def _line(commitment: CommitmentView) -> Cleared:
    """A commitment as the Slack follow-up lists it: what, by when, how it stands."""
    due = f", by {commitment.due_on:%A %-d %B}" if commitment.due_on else ""
    note = f" ({commitment.note})" if commitment.note else ""
    status = STATUSES.get(commitment.status, commitment.status)
    return stored(f"{commitment.ref}: {commitment.what}{due} · {status}{note}")


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
    partnership = (session.get(Partnership, 1) or Partnership()).name
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
            *[_line(c) for c in commitments],
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
