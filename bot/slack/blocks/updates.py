"""Update surfaces: the channel post, the author's confirmation, the privacy hold, lists, form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.services.dates import format_date
from bot.services.privacy import WHY_IT_MATTERS, explain
from bot.services.updates import (
    TEXT_MAX,
    DraftView,
    Held,
    Page,
    Published,
    UpdateProblem,
    UpdateView,
)
from bot.slack.blocks.common import (
    Message,
    clip,
    context,
    escape,
    section,
    sections,
    user_link,
)

EDIT_ACTION = "update_edit"
DELETE_ACTION = "update_delete"
DRAFT_EDIT_ACTION = "update_draft_edit"
POST_ANYWAY_ACTION = "update_post_anyway"
MORE_ACTION = "update_more"
REPOST_ACTION = "update_repost"
FORM_CALLBACK = "update_form"
WANTS_HELP = "wants_help"
TOPIC_OPTIONS_MAX = 100


def _attribution(update: UpdateView, zone: ZoneInfo, today: date) -> str:
    author = f" · {user_link(update.author_id)}" if update.author_id else ""
    when = format_date(update.created_at.astimezone(zone).date(), today)
    return f"*{escape(update.organisation.name)}*{author} · {when}"


def _details(update: UpdateView) -> str | None:
    parts = []
    if update.topics:
        parts.append("Topics: " + ", ".join(escape(topic) for topic in update.topics))
    if update.wants_help:
        parts.append(":raised_hand: would welcome help or partners on this")
    if update.edited:
        parts.append("_edited_")
    return " · ".join(parts) or None


def channel_post(update: UpdateView, zone: ZoneInfo, today: date) -> Message:
    """What the partnership sees in the updates channel."""
    blocks: list[Block] = [
        context(_attribution(update, zone, today)),
        *sections(escape(update.text)),
    ]
    details = _details(update)
    if details:
        blocks.append(context(details))
    fallback = escape(f"Update from {update.organisation.name}: {clip(update.text, 200)}")
    return Message(text=fallback, blocks=blocks)


def _own_buttons(update: UpdateView, edit: bool = True) -> ActionsBlock:
    value = str(update.id)
    edit_button = [ButtonElement(text="Edit", action_id=EDIT_ACTION, value=value)] if edit else []
    return ActionsBlock(
        elements=[
            *edit_button,
            ButtonElement(
                text="Delete",
                action_id=DELETE_ACTION,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Delete this update?",
                    text="It will be removed from the channel and from the partnership's history.",
                    confirm="Delete",
                    deny="Keep it",
                ),
            ),
        ]
    )


def posted(result: Published, zone: ZoneInfo, today: date) -> Message:
    """The author's private confirmation, with edit/delete and related work."""
    where = result.update.channel or "the updates channel"
    organisation = escape(result.update.organisation.name)
    blocks: list[Block] = [
        section(f":white_check_mark: Posted to {escape(where)} for *{organisation}*."),
        _own_buttons(result.update),
    ]
    if result.related:
        blocks += [
            DividerBlock(),
            section("*Related work from other organisations* — worth a chat:"),
        ]
        for other in result.related:
            blocks += [
                section(clip(escape(other.text), 600)),
                context(_attribution(other, zone, today)),
            ]
    return Message(text=f"Posted your update to {where}.", blocks=blocks)


def held(hold: Held) -> Message:
    """Nothing was posted: say what was found (masked), why it matters, and what to do."""
    found = "\n".join(
        f"• {finding.kind.value}: `{escape(finding.masked)}` — {explain(finding.kind)}"
        for finding in hold.findings[:10]
    )
    buttons = [
        ButtonElement(
            text="Edit my update",
            action_id=DRAFT_EDIT_ACTION,
            value=str(hold.draft_id),
            style="primary",
        )
    ]
    if hold.may_post_anyway:
        buttons.append(
            ButtonElement(
                text="Post anyway",
                action_id=POST_ANYWAY_ACTION,
                value=str(hold.draft_id),
                confirm=ConfirmObject(
                    title="Post anyway?",
                    text="Only if you are sure this is not a client's personal data.",
                    confirm="Post it",
                    deny="Go back",
                ),
            )
        )
    policy = (
        "If it isn't a client's data (an office number, say), you can post it anyway."
        if hold.may_post_anyway
        else "This partnership's policy is to never post text like this; please edit it."
    )
    return Message(
        text="Not posted: your update looks like it contains personal data.",
        blocks=[
            section(
                ":lock: *Not posted yet.* Your update looks like it contains personal data:\n"
                + found
            ),
            context(f"{WHY_IT_MATTERS} {policy}"),
            ActionsBlock(elements=buttons),
        ],
    )


def not_in_organisation(problem: UpdateProblem, text: str) -> Message:
    """Tell them how to join, and hand their text back so nothing is lost."""
    blocks: list[Block] = [
        section(f":wave: {escape(str(problem))} Join yours with `{problem.example}`.")
    ]
    if text:
        blocks += [
            context("Here is your update, so you can post it once you've joined:"),
            *sections(f"```{escape(text)}```"),
        ]
    return Message(text=escape(str(problem)), blocks=blocks)


def refused(problem: UpdateProblem) -> Message:
    example = f"\nFor example: `{problem.example}`" if problem.example else ""
    return Message(
        text=escape(str(problem)),
        blocks=[section(f":warning: {escape(str(problem))}{example}"), context(USAGE)],
    )


USAGE = (
    "`/update <text>` posts · `/update` opens a form · `/update search housing` · "
    "`/update list [organisation] [since 1/11]` · `/update mine`"
)


def help_message() -> Message:
    return Message(
        text="How to use /update",
        blocks=[
            section(
                "*Updates* tell the partnership what your organisation is doing.\n"
                "`/update We've opened a Saturday drop-in for young people` — post one\n"
                "`/update` — open the form (topics, and ask for help or partners)\n"
                "`/update search family reunion` — search every update ever posted\n"
                "`/update list Harbour since 1/11` — one organisation's updates\n"
                "`/update mine` — yours, to edit or delete"
            ),
            context(
                "Never include a client's details: the bot checks for personal data before posting."
            ),
        ],
    )


def page_of_updates(
    title: str, page: Page, more: dict[str, str], zone: ZoneInfo, today: date
) -> Message:
    """Ten updates, newest first, with a "More" button carrying the query for the next page."""
    if not page.items:
        empty = "Nothing found." if page.number == 1 else "No more updates."
        return Message(text=empty, blocks=[section(f"{escape(title)}: {empty}"), context(USAGE)])
    blocks: list[Block] = [HeaderBlock(text=clip(title, 150))]
    for update in page.items:
        blocks += [
            section(clip(escape(update.text), 800)),
            context(_attribution(update, zone, today)),
        ]
        if update.id in page.removable:
            blocks.append(_own_buttons(update, edit=update.id in page.editable))
    if page.has_more:
        value = json.dumps({**more, "page": page.number + 1})[:2000]
        blocks.append(
            ActionsBlock(elements=[ButtonElement(text="More", action_id=MORE_ACTION, value=value)])
        )
    return Message(text=escape(title), blocks=blocks)


def form(
    topics: Sequence[str],
    metadata: dict[str, object],
    text: str = "",
    chosen: Sequence[str] = (),
    wants_help: bool = False,
    editing: bool = False,
) -> View:
    """The update form; the 3000-character limit is enforced by the input itself."""
    help_option = Option(value=WANTS_HELP, text="We'd welcome help or partners on this")
    blocks: list[Block] = [
        InputBlock(
            block_id="text",
            label="What is your organisation doing?",
            hint=f"Up to {TEXT_MAX} characters. Never include a client's details.",
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=text[:TEXT_MAX] or None,
            ),
        )
    ]
    options = [Option(value=t[:75], text=clip(t, 75)) for t in topics[:TOPIC_OPTIONS_MAX]]
    if options:
        initial = [o for o in options if o.value in set(chosen)]
        blocks.append(
            InputBlock(
                block_id="topics",
                label="Topics",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="value",
                    placeholder="Choose topics",
                    options=options,
                    initial_options=initial or None,
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id="help",
            label="Help",
            optional=True,
            element=CheckboxesElement(
                action_id="value",
                options=[help_option],
                initial_options=[help_option] if wants_help else None,
            ),
        )
    )
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        private_metadata=json.dumps(metadata)[:3000],
        title="Edit update" if editing else "Post an update",
        submit="Save" if editing else "Post",
        close="Cancel",
        blocks=blocks,
    )


def draft_form(topics: Sequence[str], draft: DraftView, metadata: dict[str, object]) -> View:
    if draft.update_id is not None:
        metadata = {**metadata, "edit": draft.update_id}
    return form(
        topics, metadata, draft.text, draft.topics, draft.wants_help, draft.update_id is not None
    )


def changed(update: UpdateView, deleted: bool = False) -> Message:
    verb = "Deleted" if deleted else "Saved"
    return Message(
        text=f"{verb} the update.",
        blocks=[
            section(
                f":white_check_mark: {verb} the update from *{escape(update.organisation.name)}*."
            )
        ],
    )
