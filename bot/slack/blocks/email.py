"""What Slack is told about email: an email the mail server refused, for the coordinators."""

from __future__ import annotations

from bot.services.email.deliveries import Undelivered
from bot.slack.blocks.common import Message, escape, section


def undelivered_notice(undelivered: Undelivered) -> Message:
    text = (
        f":email: An email to {undelivered.recipient} about {undelivered.about or 'Partnerbot'} "
        f"could not be delivered: {undelivered.error}. Check the address (in the partnership "
        "file, or with the person) and tell them another way."
    )
    return Message(text=escape(f"An email could not be delivered: {undelivered.error}"),
                   blocks=[section(escape(text))])  # fmt: skip
