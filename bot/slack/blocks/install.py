"""The welcome DM to the person who installed Partnerbot through "Add to Slack"."""

from __future__ import annotations

from bot.services.workspace import Installed
from bot.slack.blocks.common import Message, context, escape, section


def welcome(done: Installed) -> Message:
    """What to do first, in order: a new installation knows nothing of the partnership yet."""
    if done.connected:
        return connected(done)
    if done.first_coordinator:
        opening = (
            f":wave: Partnerbot is installed for *{escape(done.partnership)}*, and you are its "
            "first coordinator: you can run the coordinators' commands and make others "
            "coordinators with `/partners coordinator add @name`."
        )
    else:
        opening = f":wave: Partnerbot is installed for *{escape(done.partnership)}*."
    if done.resumed:
        opening += " Scheduled sending (digests, reminders, follow-ups) has resumed."
    steps = (
        "*First steps*\n"
        "1. *Describe the partnership*: its organisations, topics, schedule and the channels for "
        "updates, opportunities and the digest go in the partnership file. Type "
        "`/partners config` for the current one in your DMs, edit it, and load it back with "
        "`/partners config load` (whoever runs Partnerbot can also load it with `partnerbot "
        "config load`); the README's _The partnership file_ explains every field.\n"
        "2. *Invite Partnerbot to the updates channel* (and the opportunities and digest "
        "channels): type `/invite @Partnerbot` in each.\n"
        "3. *Ask your partners to join* their organisation: `/partners join <organisation>`.\n"
        "4. Type `/partners help` to see every command."
    )
    return Message(
        text=f"Partnerbot is installed for {escape(done.partnership)}: here are the first steps.",
        blocks=[
            section(opening),
            section(steps),
            context("More in Partnerbot's README: _Many workspaces (OAuth)_."),
        ],
    )


def connected(done: Installed) -> Message:
    """To whoever connected their organisation's workspace from a coordinator's link."""
    name = escape(done.partnership)
    return Message(
        text=f"Your Slack workspace is connected to {done.partnership}.",
        blocks=[
            section(
                f":wave: Your Slack workspace is now connected to *{name}*: your people can "
                "use Partnerbot's commands here, and its buttons in the channels you share "
                "with the partnership, as the partnership's members."
            ),
            section(
                "*Next*\n"
                "1. Ask your colleagues to join their organisation: "
                "`/partners join <organisation>` (`/partners orgs` lists them).\n"
                "2. Type `/partners help` to see every command."
            ),
        ],
    )
