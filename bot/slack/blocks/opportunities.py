"""Opportunity surfaces: the channel post with interest, the poster's confirmation, the
"already shared / personal data" check, lists, the form and the closing reminder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.services.dates import format_date
from bot.services.directory import OrganisationRef
from bot.services.opportunities.rules import DESCRIPTION_MAX, TITLE_MAX
from bot.services.opportunities.types import (
    KINDS,
    Caution,
    OpportunityInput,
    OpportunityProblem,
    OpportunityView,
    Page,
)
from bot.services.privacy import explain
from bot.slack.blocks.common import (
    Message,
    clip,
    command_help,
    context,
    escape,
    link,
    refusal,
    section,
    sections,
    user_link,
)

INTEREST_ACTION = "opportunity_interest"
WHO_ACTION = "opportunity_who"
EDIT_ACTION = "opportunity_edit"
CLOSE_ACTION = "opportunity_close"
WITHDRAW_ACTION = "opportunity_withdraw"
POST_ANYWAY_ACTION = "opportunity_post_anyway"
MORE_ACTION = "opportunity_more"
REPOST_ACTION = "opportunity_repost"
FORM_CALLBACK = "opportunity_form"
ANYWAY = "anyway"
EMOJI = {
    "training": ":mortar_board:", "event": ":calendar:", "funding": ":moneybag:",
    "vacancy": ":briefcase:", "volunteering": ":raised_hands:", "other": ":sparkles:",
}  # fmt: skip

HELP = (
    ("/opportunity", "the form: kind, title, description, link, closing date, event date, places"),
    (
        "/opportunity training Trauma-informed practice closes 12/12 https://example.org/t",
        "share in one line: kind, title, `closes <date>` (optional), link (optional)",
    ),
    ("/opportunity list", "open opportunities, closing soonest first (`list funding`)"),
    ("/opportunity list closed", "those that have closed"),
    ("/opportunity mine", "yours, to edit, close early or withdraw, and who is interested"),
)


def help_message() -> Message:
    return command_help(
        "Sharing opportunities",
        "Opportunities: /opportunity help",
        HELP,
        f"Kinds: {', '.join(KINDS)}. Interested members get a reminder three days "
        "before the closing date; the weekly digest lists new and closing-soon ones.",
    )


def _title(view: OpportunityView, linked: bool = True) -> str:
    return link(view.link, view.title) if view.link and linked else escape(view.title)


def message_link(view: OpportunityView) -> str | None:
    """A link to the channel message, where Slack told us the channel's id."""
    if view.channel and view.ts and view.channel[:1] in ("C", "G"):
        return f"https://slack.com/archives/{view.channel}/p{view.ts.replace('.', '')}"
    return None


def _facts(view: OpportunityView, today: date) -> str:
    facts = []
    if view.closes_on:
        facts.append(f"closes {format_date(view.closes_on, today)}")
    if view.event_on:
        facts.append(f"on {format_date(view.event_on, today)}")
    if view.places is not None:
        facts.append(f"{view.places_left} of {view.places} places left")
    return " · ".join(facts)


def opportunity_line(view: OpportunityView, today: date, linked: bool = True) -> str:
    facts = _facts(view, today)
    return (
        f"{EMOJI.get(view.kind, '')} *{_title(view, linked)}* — {view.kind}, "
        f"{escape(view.organisation.name)}" + (f" · {facts}" if facts else "")
    )


def channel_post(view: OpportunityView, today: date) -> Message:
    """What the partnership sees: the post, a count of interest, and the interest button."""
    kind = view.kind.title()
    blocks: list[Block] = [section(f"{EMOJI.get(view.kind, '')} *{kind}* · *{_title(view)}*")]
    if view.description:
        blocks += sections(escape(view.description))
    facts = _facts(view, today)
    interested = f"{view.interested} interested"
    blocks.append(
        context(
            f"Shared by {user_link(view.poster_id)} for *{escape(view.organisation.name)}*"
            + (f" · {facts}" if facts else "")
            + f" · {interested}"
        )
    )
    if view.status == "open":
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="I'm interested", action_id=INTEREST_ACTION, value=str(view.id)
                    ),
                    ButtonElement(
                        text="Who's interested?", action_id=WHO_ACTION, value=str(view.id)
                    ),
                ]
            )
        )
    else:
        blocks.append(context(":lock: *Closed* — no longer taking interest."))
    closed = " (closed)" if view.status != "open" else ""
    return Message(text=escape(f"{kind}: {view.title}{closed}"), blocks=blocks)


def _own_buttons(view: OpportunityView) -> ActionsBlock:
    value = str(view.id)
    return ActionsBlock(
        elements=[
            ButtonElement(text="Edit", action_id=EDIT_ACTION, value=value),
            ButtonElement(text="Who's interested?", action_id=WHO_ACTION, value=value),
            ButtonElement(
                text="Close early",
                action_id=CLOSE_ACTION,
                value=value,
                confirm=ConfirmObject(
                    title="Close it now?",
                    text="It stays in the list of closed opportunities; no more interest.",
                    confirm="Close",
                    deny="Keep open",
                ),
            ),
            ButtonElement(
                text="Withdraw",
                action_id=WITHDRAW_ACTION,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Withdraw it?",
                    text="The channel message is removed.",
                    confirm="Withdraw",
                    deny="Keep it",
                ),
            ),
        ]
    )


def posted(view: OpportunityView, today: date) -> Message:
    where = escape(view.channel or "the opportunities channel")
    return Message(
        text=f"Shared “{escape(view.title)}”.",
        blocks=[
            section(f":white_check_mark: Shared in {where}: {opportunity_line(view, today)}"),
            _own_buttons(view),
        ],
    )


def changed(view: OpportunityView, what: str) -> Message:
    return Message(
        text=f"{what} “{escape(view.title)}”.",
        blocks=[section(f":white_check_mark: {what} *{escape(view.title)}*; the channel follows.")],
    )


def caution(warning: Caution, today: date) -> Message:
    """Nothing was posted: what looks shared already, or like personal data, and what to do."""
    blocks: list[Block] = [section(":raised_hand: *Not shared yet.*")]
    for earlier in warning.duplicates:
        where = message_link(earlier)
        seen = f" (<{where}|see it>)" if where else ""
        blocks.append(
            section(
                f"Already shared by {user_link(earlier.poster_id)} on "
                f"{format_date(earlier.created_at.date(), today)}: "
                f"{opportunity_line(earlier, today)}{seen}"
            )
        )
    if warning.findings:
        found = "\n".join(
            f"• {finding.kind.value}: `{escape(finding.masked)}` — {explain(finding.kind)}"
            for finding in warning.findings[:10]
        )
        blocks.append(section(f"It looks like it holds personal data:\n{found}"))
    if warning.may_post_anyway:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Post anyway",
                        action_id=POST_ANYWAY_ACTION,
                        value=clip(_anyway_value(warning), 2000),
                        style="primary",
                    )
                ]
            )
        )
    else:
        blocks.append(context("The partnership doesn't post what looks like personal data."))
    return Message(text="Not shared yet: please check first.", blocks=blocks)


def _anyway_value(warning: Caution) -> str:
    """The attempt, and a key naming this one button, so that clicking it twice posts once."""
    return json.dumps({"once": uuid.uuid4().hex, **json.loads(warning.attempt.to_json())})


def anyway_value(value: str) -> tuple[OpportunityInput, str | None]:
    """What a Post anyway button carries: the attempt, and its key."""
    values = json.loads(value)
    once = values.pop("once", None)
    return OpportunityInput.from_json(json.dumps(values)), once


def refused(problem: OpportunityProblem) -> Message:
    return refusal(str(problem), problem.example, "/opportunity")


def page(title: str, found: Page, query: dict, today: date) -> Message:
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    if not found.items:
        blocks.append(section("Nothing here. Share one with `/opportunity`."))
    for view in found.items:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=clip(opportunity_line(view, today), 3000)),
                accessory=ButtonElement(
                    text="I'm interested",
                    action_id=f"{INTEREST_ACTION}:{view.id}",
                    value=str(view.id),
                )
                if view.status == "open"
                else None,
            )
        )
        if view.id in found.mine:
            blocks.append(_own_buttons(view))
    if found.has_more:
        more = {**query, "page": found.number + 1}
        blocks.append(
            ActionsBlock(
                elements=[ButtonElement(text="More", action_id=MORE_ACTION, value=json.dumps(more))]
            )
        )
    return Message(text=escape(title), blocks=blocks[:50])


def interested_people(view: OpportunityView, people: Sequence[str]) -> Message:
    names = ", ".join(user_link(person) for person in people) or "nobody yet"
    return Message(
        text=f"{len(people)} interested",
        blocks=[section(f"Interested in *{escape(view.title)}*: {names}")],
    )


def interest_noted(interested: bool, view: OpportunityView) -> Message:
    if interested:
        text = f":star: Noted your interest in *{escape(view.title)}*."
        if view.closes_on:
            text += " You'll get a reminder three days before it closes."
    else:
        text = f"You're no longer listed as interested in *{escape(view.title)}*."
    return Message(
        text="Interest noted" if interested else "Interest removed", blocks=[section(text)]
    )


def closing_reminder(view: OpportunityView, today: date) -> Message:
    return Message(
        text=escape(f"Closing soon: {view.title}"),
        blocks=[
            section(
                f":alarm_clock: Closing {format_date(view.closes_on or today, today)}: "
                f"{opportunity_line(view, today)}"
            ),
            context("You said you were interested. `/opportunity list` shows what else is open."),
        ],
    )


# The form ---------------------------------------------------------------------------------------


def _option(text: str, value: str) -> Option:
    return Option(text=clip(text, 75), value=value)


def form(
    metadata: dict,
    today: date,
    start: OpportunityInput | None = None,
    organisations: Sequence[OrganisationRef] = (),
    warning: Caution | None = None,
    editing: bool = False,
) -> View:
    """The sharing form; with `warning`, the same form again with what to check and a box to
    post anyway. Coordinators get an organisation choice (`organisations`)."""
    start = start or OpportunityInput(kind="training", title="")
    kinds = [_option(kind.title(), kind) for kind in KINDS]
    blocks: list[Block] = []
    if warning is not None:
        blocks += caution(warning, today).blocks[:-1]  # all but its Post anyway button
        blocks.append(DividerBlock())
    blocks += [
        InputBlock(
            block_id="kind",
            label="Kind",
            element=StaticSelectElement(
                action_id="value",
                options=kinds,
                initial_option=next((o for o in kinds if o.value == start.kind), kinds[0]),
            ),
        ),
        InputBlock(
            block_id="title",
            label="Title",
            element=PlainTextInputElement(
                action_id="value", max_length=TITLE_MAX, initial_value=start.title or None
            ),
        ),
        InputBlock(
            block_id="description",
            label="Description",
            optional=True,
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=DESCRIPTION_MAX,
                initial_value=start.description or None,
            ),
        ),
        InputBlock(
            block_id="link",
            label="Link",
            optional=True,
            hint="http:// or https:// only",
            element=PlainTextInputElement(action_id="value", initial_value=start.link or None),
        ),
        InputBlock(
            block_id="closes_on",
            label="Closing date",
            optional=True,
            element=DatePickerElement(
                action_id="value",
                initial_date=start.closes_on.isoformat() if start.closes_on else None,
            ),
        ),
        InputBlock(
            block_id="event_on",
            label="Date of the training or event",
            optional=True,
            element=DatePickerElement(
                action_id="value",
                initial_date=start.event_on.isoformat() if start.event_on else None,
            ),
        ),
        InputBlock(
            block_id="places",
            label="Places (training and events)",
            optional=True,
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=False,
                initial_value=str(start.places) if start.places else None,
            ),
        ),
    ]
    if organisations and not editing:
        options = [_option(f"{org.name} ({org.code})", org.code) for org in organisations[:100]]
        blocks.append(
            InputBlock(
                block_id="organisation",
                label="On behalf of (coordinators)",
                optional=True,
                element=StaticSelectElement(
                    action_id="value",
                    options=options,
                    initial_option=next(
                        (o for o in options if o.value == start.organisation), None
                    ),
                ),
            )
        )
    if warning is not None and warning.may_post_anyway:
        blocks.append(
            InputBlock(
                block_id=ANYWAY,
                label="Post anyway?",
                optional=True,
                element=CheckboxesElement(
                    action_id="value",
                    options=[_option("I've checked: post it anyway", ANYWAY)],
                ),
            )
        )
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title="Edit opportunity" if editing else "Share an opportunity",
        submit="Save" if editing else "Share",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )
