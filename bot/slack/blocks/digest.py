"""The weekly digest as Block Kit, summarised to fit Slack's limits rather than ever failing."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.services.digest import STANDINGS, Digest, HostWeek, OrganisationWeek, SessionNews
from bot.services.hotdesk.types import Part
from bot.services.sessions import ANSWERS
from bot.services.wording import counted
from bot.slack.blocks.common import (
    Message,
    Shown,
    clip,
    context,
    escape,
    owner_link,
    section,
    user_link,
)
from bot.slack.blocks.opportunities import opportunity_line

ORGANISATIONS_SHOWN = 30  # well within 50 blocks, with the header, notes and footer
TOTAL_TEXT = 7000  # of Slack's ~12,000 characters a message (JSON included), for organisations
LINE_MAX = 220
NAMES_MAX = 1000
OPPORTUNITIES_SHOWN = 8
OPPORTUNITIES_TEXT = 2500  # of a section's 3000 characters; a link is never cut in half
VISITS_TEXT = 2500  # likewise: whole host agencies, never a mention cut in half
STORIES_SHOWN = 3  # under the visits, each at most LINE_MAX and a little
OVERDUE_SHOWN = 8  # each at most LINE_MAX and a little: the section stays within 3000


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


def _visit_days(days: list[tuple[date, str]]) -> str:
    return ", ".join(f"{day:%a %-d %b} ({Part(part).label})" for day, part in days)


def _organisation_or_none(name: str) -> Shown:
    return escape(name) if name else escape("no organisation yet")


def _host_lines(week: HostWeek) -> list[str]:
    """Named visitors with their days; the others counted by their organisation."""
    lines = [f"*{escape(week.host.name)}*"]
    for visitor in week.named:
        origin = _organisation_or_none(visitor.organisation)
        lines.append(f"• {user_link(visitor.user_id)} from {origin}: {_visit_days(visitor.days)}")
    for name, number in week.counted.items():
        lines.append(f"• {counted(number, 'visitor')} from {_organisation_or_none(name)}")
    if week.awaiting:
        lines.append(f"• {counted(week.awaiting, 'visit')} awaiting approval")
    return lines


def _stories(digest: Digest) -> list[str]:
    """Stories shared from visits this week, quoted with the agencies (their authors are named
    on the updates they shared)."""
    lines = []
    for story in digest.stories[:STORIES_SHOWN]:
        visitor = _organisation_or_none(story.visitor_organisation)
        quote = clip(escape(" ".join(story.answer.split())), LINE_MAX)
        lines.append(f"> “{quote}” — a visitor from {visitor} at {escape(story.host)}")
    return (["*Stories from visits*", *lines]) if lines else []


def _visits(digest: Digest) -> list[Block]:
    """Who visits which host agency this week: by name only those who agreed to be named; and
    the stories shared from visits."""
    stories = _stories(digest)
    if not (digest.visits or stories):
        return []
    lines = ["*Hot-desk visits this week*"] if digest.visits else []
    for shown, week in enumerate(digest.visits):
        host = _host_lines(week)
        if shown and len("\n".join(lines + host)) > VISITS_TEXT:  # whole lines, whole mentions
            rest = len(digest.visits) - shown
            lines.append(f"…and {counted(rest, 'more host agency', 'more host agencies')}")
            break
        lines += host
    quoted = [section("\n".join(stories))] if stories else []
    return [DividerBlock(), *([section("\n".join(lines))] if lines else []), *quoted]


def _glossary(digest: Digest) -> list[Block]:
    """Terms members added to the glossary this week, each with its meaning."""
    if not digest.glossary:
        return []
    terms = "; ".join(
        f"*{escape(entry.term)}*: {escape(entry.meaning)}"
        + (f" ({escape(entry.organisation)})" if entry.organisation else "")
        for entry in digest.glossary
    )
    return [DividerBlock(), section(clip(f"*New in the glossary* (`/jargon`): {terms}", NAMES_MAX))]


def _standings(news: SessionNews) -> list[str]:
    """Each standing with its count and the owners' organisations, never the owners."""
    lines = []
    for key, organisations in news.standings.items():
        names = ", ".join(_organisation_or_none(name) for name in sorted(set(organisations)))
        lines.append(f"• {STANDINGS[key]}: {len(organisations)} ({names})")
    return lines


def _session(news: SessionNews | None, for_coordinators: bool) -> list[Block]:
    """The next session, the replies so far, and how the last session's commitments stand;
    the coordinators' copy also names who owns each overdue commitment."""
    if news is None:
        return []
    if news.next_on:
        place = f" at {escape(news.next_place)}" if news.next_place else ""
        lines = [f"*The next session*: {news.next_on:%a %-d %b %Y}{place}"]
        replied = sum(news.replies.values())
        answers = ", ".join(
            f"{news.replies[answer]} {label}"
            for answer, label in ANSWERS.items()
            if news.replies.get(answer)
        )
        lines.append(
            f"{counted(replied, 'reply', 'replies')} so far" + (f": {answers}" if answers else "")
        )
    else:
        lines = ["*The next session*: no date set yet"]
    held = f"{news.held_on:%-d %b}"
    if news.standings:
        total = sum(len(names) for names in news.standings.values())
        lines.append(
            f"*Commitments from {escape(news.title)}* ({held}): {counted(total, 'commitment')}"
        )
        lines += _standings(news)
    if for_coordinators and news.overdue:
        lines.append("*Overdue, by owner* (coordinators only)")
        lines += [
            f"• {owner_link(item.owner_id, item.owner_name)} "
            f"({_organisation_or_none(item.organisation)}): "
            f"{clip(escape(item.what), LINE_MAX)}, due {item.due_on:%-d %b} ({item.ref})"
            for item in news.overdue[:OVERDUE_SHOWN]
        ]
        if len(news.overdue) > OVERDUE_SHOWN:
            rest = len(news.overdue) - OVERDUE_SHOWN
            lines.append(f"…and {rest} more: `/session show {news.ref}`")
    return [DividerBlock(), section("\n".join(lines))]


def digest_message(digest: Digest, zone: ZoneInfo, for_coordinators: bool = False) -> Message:
    start = digest.start.astimezone(zone)
    end = digest.end.astimezone(zone)
    count = sum(len(week.updates) for week in digest.organisations)
    shown = digest.organisations[:ORGANISATIONS_SHOWN]
    budget = min(2900, TOTAL_TEXT // max(len(shown), 1))
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"{digest.partnership}: the week", 150)),
        context(
            f"{start:%a %-d %b} to {end:%a %-d %b}: {counted(count, 'update')} "
            f"from {counted(len(digest.organisations), 'organisation')}"
        ),
        DividerBlock(),
    ]
    blocks += [section(_organisation_section(week, budget)) for week in shown]
    blocks += _opportunities(digest, end.date())
    blocks += _visits(digest)
    blocks += _glossary(digest)
    blocks += _session(digest.session, for_coordinators)
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
    return Message(
        text=f"{digest.partnership}: {counted(count, 'update')} this week", blocks=blocks
    )
