"""The coordinators' notices as emails, for a coordinator reached by email alone: the same facts
the Slack DMs give (bot.slack.blocks), no more. Routed by bot.services.coordinators. Typed text
comes from guarded columns (`gate.stored`); the HTML is escaped by the gate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.email.deliveries import Undelivered
from bot.services.email.messages import Draft, Email, Section, write
from bot.services.gate import Cleared, stored, trusted

if TYPE_CHECKING:  # sessions and rights import this module: their types only, for their views
    from bot.services.rights import Handover
    from bot.services.sessions import CommitmentView

REPORT_KEY = "undelivered:"  # an undelivered email's report: its own failure goes by Slack only


def footer(partnership: str) -> list[Cleared]:
    return [
        trusted(
            f"You get this as a coordinator of the {partnership}, reached by email as its "
            "partnership file says. The file changes how you are reached."
        )
    ]


def commitment_line(commitment: CommitmentView) -> Cleared:
    """A commitment as the Slack messages list it: what, by when, how it stands."""
    due = f", by {commitment.due_on:%A %-d %B}" if commitment.due_on else ""
    note = f" ({commitment.note})" if commitment.note else ""
    return stored(f"{commitment.ref}: {commitment.what}{due} · {commitment.status_label}{note}")


def help_needed(commitment: CommitmentView, owner: str, partnership: str) -> Email:
    """Someone needs help with a commitment: who, which, from which session, and their note."""
    title = stored(commitment.session_title)
    who = trusted(owner)  # a Slack profile's name, or the partnership file's
    draft = Draft(
        subject=stored(f"Help needed: {commitment.ref} from {title}"),
        heading=stored(f"{who} needs help with a commitment"),
        paragraphs=[
            stored(f"{who} needs help with a commitment from {title}:"),
            commitment_line(commitment),
        ],
        footer=footer(partnership),
    )
    return write(draft, about=f"help needed with {commitment.ref}")


def undelivered(report: Undelivered, partnership: str) -> Email:
    """An email the mail server refused: to whom, about what, and the server's answer."""
    what = trusted(report.about or "Partnerbot")  # the bot's own words
    draft = Draft(
        subject=trusted(f"An email could not be delivered: {what}"),
        heading=trusted("An email could not be delivered"),
        paragraphs=[
            trusted(
                f"An email to {report.recipient} about {what} could not be delivered: "
                f"{report.error}."
            ),
            trusted(
                "Check the address (in the partnership file, or with the person) and tell "
                "them another way."
            ),
        ],
        footer=footer(partnership),
    )
    return write(draft, about="a report of an undelivered email")


def handover(leaving: Handover, partnership: str) -> Email:
    """Someone deactivated in Slack: their open commitments and coming visits, to hand over."""
    where = f" ({leaving.organisation})" if leaving.organisation else ""
    who = trusted(f"{leaving.member_name}{where}")  # a Slack profile's name, an organisation's
    commitments = [stored(what) for what in leaving.commitments[:20]] or [trusted("none")]
    bookings = [
        trusted(f"{b.ref} {b.host.name}, {b.day:%a %-d %b %Y}") for b in leaving.bookings[:20]
    ] or [trusted("none")]
    draft = Draft(
        subject=trusted(f"{leaving.member_name} has left Slack"),
        heading=trusted(f"{leaving.member_name} has left Slack"),
        paragraphs=[trusted(f"{who} has been deactivated in Slack. To hand over:")],
        sections=[
            Section(trusted("Open commitments"), commitments),
            Section(trusted("Coming hot-desk bookings"), bookings),
        ],
        footer=footer(partnership),
    )
    return write(draft, about="a handover of someone who left Slack")
