"""The weekly digest as an email: the same sections as the Slack digest's member copy (updates
by organisation, new and closing-soon opportunities, the week's hot-desk visits, the next
session and how the last one's commitments stand), people named as the Slack copy names them.
Typed text comes from guarded columns (`gate.stored`) and is escaped for HTML by the gate."""

from __future__ import annotations

from collections.abc import Mapping

from bot.services.digest import STANDINGS, Digest
from bot.services.email.coordinators import footer as coordinator_footer
from bot.services.email.messages import Draft, Section
from bot.services.gate import MENTION, Cleared, stored, trusted
from bot.services.hotdesk.types import Part
from bot.services.sessions import ANSWERS
from bot.services.wording import counted

UPDATE_MAX = 600  # characters of an update in the email; the rest is in Slack


def _readable(text: str, names: Mapping[str, str]) -> Cleared:
    """A stored update: mentions as "@name" (an email can't show Slack's), one line, cut."""
    named = MENTION.sub(lambda m: "@" + names.get(m[0][2:-1], "someone"), text)
    flat = " ".join(named.split())
    return stored(flat if len(flat) <= UPDATE_MAX else flat[: UPDATE_MAX - 1] + "…")


def digest_draft(digest: Digest, names: Mapping[str, str], for_coordinators: bool = False) -> Draft:
    """The member copy of `digest`, as an email's parts; or the coordinators' copy, which
    also names the owners of overdue commitments and the organisations quiet for weeks."""
    week = f"{digest.start:%-d %b} to {digest.end:%-d %b %Y}"
    sections = []
    for org_week in digest.organisations:
        items = [
            stored(
                f"{_readable(u.text, names)}"
                + (f" — {names.get(u.author_id, 'a member')}" if u.author_id else "")
            )
            for u in org_week.updates
        ]
        sections.append(Section(trusted(f"Updates from {org_week.organisation.name}"), items))
    for title, views in (
        ("New opportunities", digest.new_opportunities),
        ("Closing in the next seven days", digest.closing_soon),
    ):
        if views:
            sections.append(
                Section(
                    trusted(title),
                    [
                        stored(
                            f"{v.title} ({v.kind}, {v.organisation.name})"
                            + (f", closes {v.closes_on:%a %-d %b}" if v.closes_on else "")
                            + (f": {v.link}" if v.link else "")
                        )
                        for v in views
                    ],
                )
            )
    if digest.visits:
        items = []
        for host in digest.visits:
            for visitor in host.named:
                days = ", ".join(f"{d:%a %-d %b} ({Part(p).label})" for d, p in visitor.days)
                who = names.get(visitor.user_id or "", "a member")
                items.append(
                    trusted(
                        f"{host.host.name}: {who} from "
                        f"{visitor.organisation or 'no organisation yet'}, {days}"
                    )
                )
            for origin, number in host.counted.items():
                items.append(
                    trusted(
                        f"{host.host.name}: {counted(number, 'visitor')} from "
                        f"{origin or 'no organisation yet'}"
                    )
                )
            if host.awaiting:
                items.append(
                    trusted(
                        f"{host.host.name}: {counted(host.awaiting, 'visit')} awaiting approval"
                    )
                )
        sections.append(Section(trusted("Hot-desk visits this week"), items))
    news = digest.session
    if news is not None:
        items = []
        if news.next_on:
            place = f" at {news.next_place}" if news.next_place else ""
            answers = ", ".join(
                f"{news.replies[a]} {label}" for a, label in ANSWERS.items() if news.replies.get(a)
            )
            items.append(
                stored(
                    f"The next session: {news.next_on:%a %-d %b %Y}{place}"
                    + (f" ({answers})" if answers else "")
                )
            )
        for key, organisations in news.standings.items():
            orgs = ", ".join(sorted(set(o or "no organisation" for o in organisations)))
            items.append(
                stored(
                    f"Commitments from {news.title}: {STANDINGS[key]}, "
                    f"{len(organisations)} ({orgs})"
                )
            )
        if for_coordinators and news.overdue:
            items.append(trusted("Overdue, by owner (coordinators only):"))
            items += [
                stored(
                    f"{_owner(item.owner_id, item.owner_name, names)} "
                    f"({item.organisation or 'no organisation'}): {item.what}, "
                    f"due {item.due_on:%-d %b} ({item.ref})"
                )
                for item in news.overdue
            ]
        if items:
            sections.append(Section(trusted("Sessions"), items))
    if for_coordinators and digest.quiet:
        sections.append(
            Section(
                trusted("Quiet for four weeks or more (coordinators only)"),
                [trusted(ref.name) for ref in digest.quiet],
            )
        )
    footer = (
        coordinator_footer(digest.partnership)
        if for_coordinators
        else [
            trusted(
                "You get this because you asked for the digest by email in Slack "
                "(`/partners digest email off` stops it, as does the link below)."
            ),
        ]
    )
    return Draft(
        subject=trusted(f"{digest.partnership}: the week's digest, {week}"),
        heading=trusted(f"{digest.partnership}: the week of {week}"),
        paragraphs=[trusted("What partners shared and planned this week.")],
        sections=sections,
        footer=footer,
    )


def _owner(user_id: str, by_email: str, names: Mapping[str, str]) -> str:
    """A commitment's owner as the Slack digest names them."""
    return f"{by_email} (by email)" if by_email else names.get(user_id, "a member")
