"""The weekly digest as Block Kit, summarised to fit Slack's limits rather than ever failing."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.services.digest import Digest, OrganisationWeek
from bot.slack.blocks.common import Message, clip, context, escape, section, user_link
from bot.slack.blocks.opportunities import opportunity_line

ORGANISATIONS_SHOWN = 30  # well within 50 blocks, with the header, notes and footer
TOTAL_TEXT = 7000  # of Slack's ~12,000 characters a message (JSON included), for organisations
LINE_MAX = 220
NAMES_MAX = 1000
OPPORTUNITIES_SHOWN = 8
OPPORTUNITIES_TEXT = 2500  # of a section's 3000 characters; a link is never cut in half


def _organisation_section(week: OrganisationWeek, budget: int) -> str:
    lines = [f"*{escape(week.organisation.name)}*"]
    used = len(lines[0])
    for shown, update in enumerate(week.updates):
        author = f" — {user_link(update.author_id)}" if update.author_id else ""
        topics = f" _({escape(', '.join(update.topics))})_" if update.topics else ""
        room = max(60, min(LINE_MAX, budget - 90))
        line = f"• {clip(escape(' '.join(update.text.split())), room)}{author}{topics}"
        rest = len(week.updates) - shown
        if used + len(line) > budget - 80 and rest > 0 and shown > 0:
            code = escape(week.organisation.code)
            lines.append(f"…and {rest} more: `/update list {code}`")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _opportunities(digest: Digest, today: date) -> list[Block]:
    """New this week, and closing in the week ahead: a few lines each, the rest by command."""
    blocks: list[Block] = []
    for title, views in (
        ("New opportunities", digest.new_opportunities),
        ("Closing in the next seven days", digest.closing_soon),
    ):
        if not views:
            continue
        shown = views[:OPPORTUNITIES_SHOWN]
        lines = [f"• {opportunity_line(view, today)}" for view in shown]
        if sum(len(line) for line in lines) > OPPORTUNITIES_TEXT:  # long links: titles only
            lines = [f"• {clip(opportunity_line(v, today, linked=False), LINE_MAX)}" for v in shown]
        if len(views) > OPPORTUNITIES_SHOWN:
            lines.append(f"…and {len(views) - OPPORTUNITIES_SHOWN} more: `/opportunity list`")
        blocks += [DividerBlock(), section(f"*{title}*\n" + "\n".join(lines))]
    return blocks


def digest_message(digest: Digest, zone: ZoneInfo, for_coordinators: bool = False) -> Message:
    start = digest.start.astimezone(zone)
    end = digest.end.astimezone(zone)
    count = sum(len(week.updates) for week in digest.organisations)
    shown = digest.organisations[:ORGANISATIONS_SHOWN]
    budget = min(2900, TOTAL_TEXT // max(len(shown), 1))
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"{digest.partnership}: the week", 150)),
        context(
            f"{start:%a %-d %b} to {end:%a %-d %b}: {count} update{'s' if count != 1 else ''} "
            f"from {len(digest.organisations)} organisation"
            f"{'s' if len(digest.organisations) != 1 else ''}"
        ),
        DividerBlock(),
    ]
    blocks += [section(_organisation_section(week, budget)) for week in shown]
    blocks += _opportunities(digest, end.date())
    hidden = digest.organisations[ORGANISATIONS_SHOWN:]
    if hidden:
        names = ", ".join(escape(week.organisation.name) for week in hidden)
        blocks.append(context(clip(f"Also posting this week: {names}", NAMES_MAX)))
    if for_coordinators and digest.quiet:
        names = ", ".join(escape(ref.name) for ref in digest.quiet)
        blocks += [
            DividerBlock(),
            section(
                clip(f"*Quiet for four weeks or more* (coordinators only): {names}", NAMES_MAX)
            ),
        ]
    blocks.append(context("Search every update with `/update search <words>` · `/partners help`"))
    return Message(text=f"{digest.partnership}: {count} updates this week", blocks=blocks)
