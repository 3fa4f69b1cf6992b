"""The `/partners help` message: every command, each with one example."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.slack.blocks.common import Message, context, section

HELP: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everyone",
        (
            ("/partners help", "this list"),
            ("/partners join Harbour", "join your organisation (name or short code)"),
            ("/partners orgs", "the directory of partner organisations"),
            ("/partners org NRH", "one organisation: what it does, key worker, hot desks, people"),
            ("/partners whoami", "your organisation, role and digest setting"),
            ("/partners digest dm on", "get the weekly digest by DM too (off: `dm off`)"),
            (
                "/partners digest email on",
                "the digest by email too, to your Slack profile's address or one you give "
                "(off: `email off`)",
            ),
            (
                "/partners digest name on",
                "be named as a hot-desk visitor in the digest (off: `name off`)",
            ),
            ("/partners stories off", "stop being asked how your hot-desk visits went (`on`)"),
            ("/partners my-data", "everything the bot holds about you, as a file in your DMs"),
            ("/partners forget-me", "erase your data (it says exactly what happens first)"),
        ),
    ),
    (
        "Updates",
        (
            ("/update We've opened a Saturday drop-in", "post an update for your organisation"),
            ("/update", "the update form: topics, and ask for help or partners"),
            ("/update search family reunion", "search every update ever posted"),
            ("/update list Harbour since 1/11", "updates from one organisation, or since a date"),
            ("/update mine", "your updates, to edit or delete"),
        ),
    ),
    (
        "Hot desks",
        (
            ("/hotdesk", "book a desk at a partner agency (the form shows its visitor protocol)"),
            ("/hotdesk free", "free desks over the next five working days"),
            ("/hotdesk book HRS next tue am", "book directly: agency, date, am / pm / day"),
            ("/hotdesk mine", "your bookings, to cancel; visitors to your agency"),
            ("/hotdesk help", "everything about hot desks, including `offer` for key workers"),
        ),
    ),
    (
        "Opportunities",
        (
            ("/opportunity", "share training, an event, funding, a vacancy or volunteering"),
            (
                "/opportunity funding Winter hardship grants closes 12/12 https://…",
                "share in one line",
            ),
            ("/opportunity list", "open ones, closing soonest first (`list training`, `closed`)"),
            ("/opportunity mine", "yours: edit, close early, withdraw, see who is interested"),
        ),
    ),
    (
        "Sessions and commitments",
        (
            ("/session commit me share the job description by 12/12", "add your commitment"),
            ("/session mine", "your open commitments: done, still working or need help"),
            ("/session list", "recent sessions; `/session show S3` for one"),
        ),
    ),
    (
        "The glossary",
        (
            ("/jargon ISP", "what a term means, who uses it, and its other names"),
            ("/jargon add ISP Individual Support Plan", "add a term for your organisation"),
            ("/jargon same ISP ITP", "record that two terms name the same thing"),
            ("/jargon", "the glossary, newest first (`/jargon search plan` to find one)"),
        ),
    ),
    (
        "Coordinators",
        (
            ("/session new", "record a session: who came, commitments, the next date"),
            ("/partners org add BHA Bridges Health Access", "add an organisation"),
            ("/partners org edit BHA", "edit its description, address, protocol, key workers"),
            ("/partners coordinator add @amina", "make someone a coordinator"),
            ("/partners remove @sam", "erase the data of someone who has left"),
            ("/partners audit", "who changed what, and when"),
            ("/partners report 2026-Q3", "the partnership's activity: charts and figures"),
            (
                "/partners config",
                "the partnership file (settings) in your DMs; `config load` loads it back",
            ),
            ("/partners connect", "a link connecting a partner's own Slack workspace"),
            ("/jargon merge ITP ISP", "glossary: file one term under another (`edit`, `remove`)"),
        ),
    ),
)


def help_message() -> Message:
    blocks: list[Block] = [HeaderBlock(text="Partnerbot: what you can do")]
    for audience, commands in HELP:
        lines = "\n".join(f"`{example}` — {what}" for example, what in commands)
        blocks += [section(f"*{audience}*\n{lines}"), DividerBlock()]
    blocks.append(context("Each command also answers `help`, e.g. `/hotdesk help`."))
    text = "Partnerbot help: /partners, /update, /hotdesk, /opportunity, /session and /jargon"
    return Message(text=text, blocks=blocks)
