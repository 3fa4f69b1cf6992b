"""The Home tab: each member's week across the partnership, within Block Kit's limits however
much there is (lists are capped and say how many more)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.services.dates import format_date
from bot.services.directory import OrganisationSummary
from bot.services.home import Capped, Glance, HomeData
from bot.services.sessions import ANSWERS, STATUSES
from bot.slack.blocks import hotdesk, opportunities, sessions
from bot.slack.blocks.common import Message, clip, context, escape, section
from bot.slack.blocks.glossary import term_of_the_week

JOIN_ACTION = "home_join"
JOIN_FORM = "home_join_form"
UPDATE_ACTION = "home_post_update"
BOOK_ACTION = "home_book_desk"
SHARE_ACTION = "home_share_opportunity"
DIGEST_ACTION = "home_digest"
DIGEST_NAME_ACTION = "home_digest_name"
STORIES_ACTION = "home_visit_stories"
HOME_BLOCKS_MAX = 100


def _more(capped: Capped, command: str) -> list[Block]:
    return [context(f"…and {capped.more} more: `{command}`")] if capped.more else []


def _common_actions() -> ActionsBlock:
    return ActionsBlock(
        elements=[
            ButtonElement(text="Post an update", action_id=UPDATE_ACTION, style="primary"),
            ButtonElement(text="Book a desk", action_id=BOOK_ACTION),
            ButtonElement(text="Share an opportunity", action_id=SHARE_ACTION),
        ]
    )


def _getting_started(data: HomeData) -> list[Block]:
    if data.member.organisation is None:
        return [
            section(
                "Partnerbot keeps partner organisations connected between meetings: updates, "
                "hot desks at each other's agencies, shared opportunities and the follow-up of "
                "what was agreed at sessions.\n\nFirst, join your organisation."
            ),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Join my organisation", action_id=JOIN_ACTION, style="primary"
                    )
                ]
            ),
            context(
                "`/partners orgs` shows who is here; `/partners join <organisation>` joins too."
            ),
        ]
    return [
        section(
            "*Getting started* — nothing has been shared yet, so be the first:\n"
            "• post what your organisation is working on, so partners can spot common ground;\n"
            "• book a desk at a partner agency for a day;\n"
            "• share a training, event, funding call, vacancy or volunteering role."
        ),
        _common_actions(),
        context("`/partners help` lists every command."),
    ]


def _bookings(data: HomeData, today: date) -> list[Block]:
    blocks: list[Block] = [section("*Your hot-desk bookings*")]
    if not data.visiting.items:
        blocks.append(context("None coming. `/hotdesk free` shows free desks."))
    for booking in data.visiting.items:
        waiting = " · _awaiting approval_" if booking.status == "pending" else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{booking.ref}* {escape(booking.host.name)} — "
                    f"{format_date(booking.day, today)}, {booking.part.label}{waiting}"
                ),
                accessory=hotdesk.cancel_button(booking),
            )
        )
    blocks += _more(data.visiting, "/hotdesk mine")
    if data.hosting.items:
        visitors = "\n".join(
            f"• {format_date(b.day, today)}, {b.part.label}: <@{b.visitor_id}>"
            + (f" ({escape(b.visitor_organisation)})" if b.visitor_organisation else "")
            + (" · _awaiting your approval_" if b.status == "pending" else "")
            for b in data.hosting.items
        )
        blocks.append(section(clip(f"*Visiting your agency this week*\n{visitors}", 3000)))
        blocks += _more(data.hosting, "/hotdesk mine")
    return blocks


def _commitments(data: HomeData, today: date) -> list[Block]:
    if not data.commitments.items:
        return []
    blocks: list[Block] = [section("*Your open commitments*")]
    for commitment in data.commitments.items:
        blocks += [
            section(sessions.commitment_line(commitment, today)),
            sessions.status_buttons(commitment),
        ]
    return blocks + _more(data.commitments, "/session mine")


def _opportunities(data: HomeData, today: date) -> list[Block]:
    blocks: list[Block] = []
    for title, capped in (
        ("Opportunities closing soonest", data.closing),
        ("Opportunities you're interested in", data.interested),
    ):
        if not capped.items:
            continue
        blocks.append(section(f"*{title}*"))
        for view in capped.items:
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(
                        text=clip(opportunities.opportunity_line(view, today), 3000)
                    ),
                    accessory=ButtonElement(
                        text="I'm interested",
                        action_id=f"{opportunities.INTEREST_ACTION}:{view.id}",
                        value=str(view.id),
                    ),
                )
            )
        blocks += _more(capped, "/opportunity list")
    return blocks


def _updates(data: HomeData, today: date) -> list[Block]:
    if not data.updates:
        return []
    lines = "\n".join(
        f"• *{escape(update.organisation.name)}*: "
        f"{clip(escape(' '.join(update.text.split())), 200)}"
        f" _({format_date(update.created_at.date(), today)})_"
        for update in data.updates
    )
    return [
        section(clip(f"*Latest from other organisations*\n{lines}", 3000)),
        context("More with `/update search <words>` or `/update list <organisation>`."),
    ]


def _next_session(data: HomeData, today: date) -> list[Block]:
    view = data.next_session
    if view is None or view.next_on is None:
        return []
    place = f" at {escape(view.next_place)}" if view.next_place else ""
    answer = f"Your reply: *{ANSWERS[data.rsvp]}*." if data.rsvp else "You haven't replied yet."
    return [
        section(f"*Next partnership session:* {format_date(view.next_on, today)}{place}. {answer}"),
        sessions.rsvp_buttons(view),
    ]


def _digest(data: HomeData) -> list[Block]:
    """The member's digest settings, and whether they are asked about visits, each with its
    switch."""
    by_dm, named = data.member.digest_dm, data.member.name_in_digest
    return [
        _switch(
            "Weekly digest by DM: *on*"
            if by_dm
            else "Weekly digest by DM: *off* (it's in the digest channel)",
            DIGEST_ACTION,
            by_dm,
        ),
        _switch(
            "Named in the digest when you visit a hot desk: *on*"
            if named
            else "Named in the digest when you visit a hot desk: *off* (counted with your "
            "organisation's visitors)",
            DIGEST_NAME_ACTION,
            named,
        ),
        _switch(
            "Asked how your hot-desk visits went, the working day after: *on*"
            if data.member.visit_stories
            else "Asked how your hot-desk visits went: *off*",
            STORIES_ACTION,
            data.member.visit_stories,
        ),
    ]


def _switch(text: str, action_id: str, on: bool) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=text),
        accessory=ButtonElement(
            text="Turn off" if on else "Turn on", action_id=action_id, value="off" if on else "on"
        ),
    )


def _glance(glance: Glance) -> list[Block]:
    updates = ", ".join(f"{escape(name)} {count}" for name, count in glance.updates_by_organisation)
    quiet = ", ".join(escape(name) for name in glance.quiet) or "none"
    statuses = (
        ", ".join(
            f"{count} {STATUSES.get(status, status)}"
            for status, count in sorted(glance.commitments_by_status.items())
        )
        or "none yet"
    )
    bookings = (
        ", ".join(f"{escape(name)} {count}" for name, count in glance.bookings_by_agency) or "none"
    )
    return [
        DividerBlock(),
        HeaderBlock(text="The partnership at a glance"),
        section(clip(f"*Updates in the last eight weeks:* {updates or 'none'}", 3000)),
        section(clip(f"*Quiet for four weeks:* {quiet}", 3000)),
        section(f"*Commitments:* {statuses or 'none yet'}"),
        section(clip(f"*Desk bookings (last eight weeks and coming):* {bookings or 'none'}", 3000)),
        section(
            f"*Hot-desk visits in the last eight weeks:* {glance.stories.with_story} with a "
            f"story, {glance.stories.without_story} without"
        ),
    ]


def home_view(data: HomeData, today: date, notice: Message | None = None) -> View:
    member = data.member
    blocks: list[Block] = [HeaderBlock(text="Your partnership this week")]
    if notice is not None:  # the answer to what was just clicked here
        blocks += list(notice.blocks[:1]) or [context(clip(notice.text, 3000))]
    if member.organisation is None or data.partnership_is_new:
        if member.organisation is not None:
            blocks.append(section(f"You're with *{escape(member.organisation.name)}*."))
        blocks += _getting_started(data)
        if member.organisation is not None:
            blocks += _digest(data)
        return View(type="home", blocks=blocks[:HOME_BLOCKS_MAX])
    role = " · coordinator" if member.is_coordinator else ""
    keys = ", ".join(escape(ref.name) for ref in member.key_worker_for)
    role += f" · key worker for {keys}" if keys else ""
    blocks += [
        section(f"You're with *{escape(member.organisation.name)}*{role}."),
        _common_actions(),
    ]
    for part in (
        _bookings(data, today),
        _commitments(data, today),
        _opportunities(data, today),
        _updates(data, today),
        _next_session(data, today),
        term_of_the_week(data.term_of_the_week),
        _digest(data),
    ):
        if part:
            blocks += [DividerBlock(), *part]
    if data.glance is not None:
        blocks += _glance(data.glance)
    return View(type="home", blocks=blocks[:HOME_BLOCKS_MAX])


def join_form(organisations: Sequence[OrganisationSummary]) -> View:
    options = [
        Option(text=clip(f"{org.name} ({org.code})", 75), value=org.code)
        for org in organisations[:100]
    ]
    return View(
        type="modal",
        callback_id=JOIN_FORM,
        title="Join your organisation",
        submit="Join",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id="organisation",
                label="Your organisation",
                element=StaticSelectElement(action_id="value", options=options),
            ),
            context("Your updates and bookings will carry its name. You can change it later."),
        ],
    )
