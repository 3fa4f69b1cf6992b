"""The glossary as people see it: a term's card, pages of entries, the add form, the quiet line
under a post, the private suggestion to its author, and the term of the week."""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.services.glossary.rules import DESCRIPTION_MAX, MEANING_MAX, TERM_MAX
from bot.services.glossary.types import Added, Card, Entry, Page
from bot.slack.blocks.common import (
    Message,
    command_help,
    context,
    escape,
    notice,
    section,
)

MORE_ACTION = "jargon_more"
SUGGEST_ACTION = "jargon_suggest"
FORM_CALLBACK = "jargon_form"
FORM_TITLE = "Add to the glossary"


def help_message() -> Message:
    return command_help(
        "The partnership's glossary",
        "/jargon help",
        (
            ("/jargon ISP", "what a term means, who uses it, and its other names"),
            (
                "/jargon add ISP Individual Support Plan — the plan written with the person",
                "add a term for your organisation (another organisation's meaning is kept too)",
            ),
            ("/jargon same ISP ITP", "record that two terms name the same thing"),
            ("/jargon", "the glossary, newest first"),
            ("/jargon search plan", "find terms by any word"),
            ("/jargon edit ISP HRS Individual Support Plan", "(coordinators) change a meaning"),
            ("/jargon merge ITP ISP", "(coordinators) file one term under another"),
            ("/jargon remove ISP", "(coordinators) remove a term, or `remove ISP HRS` one meaning"),
        ),
        "Not knowing a word is normal: ask, and add it when you find out.",
    )


def _who(entry: Entry) -> str:
    return escape(entry.organisation) if entry.organisation else "the partnership"


def _entry_line(entry: Entry, with_term: bool = False) -> str:
    line = f"*{escape(entry.term)}*: " if with_term else ""
    line += escape(entry.meaning)
    if entry.description:
        line += f" — {escape(entry.description)}"
    return f"{line} _({_who(entry)})_"


def card(found: Card) -> Message:
    """`/jargon ISP`: each meaning with its organisation, and the other names."""
    term = escape(found.entries[0].term)
    lines = "\n".join(f"• {_entry_line(entry)}" for entry in found.entries)
    blocks: list[Block] = [section(f"*{term}*\n{lines}")]
    if found.also_called:
        blocks.append(context("Also called: " + ", ".join(escape(t) for t in found.also_called)))
    fallback = escape(f"{found.entries[0].term}: {found.entries[0].meaning}")
    return Message(text=fallback, blocks=blocks)


def page(found: Page) -> Message:
    """Ten entries, newest first, and More while there are more."""
    title = f"Glossary entries matching “{escape(found.query)}”" if found.query else "The glossary"
    if not found.entries:
        empty = (
            "Nothing in the glossary matches that."
            if found.query
            else "The glossary is empty. Add the first term: "
            "`/jargon add ISP Individual Support Plan`."
        )
        return notice(empty)
    blocks: list[Block] = [section(f"*{title}* (page {found.number})")]
    blocks += [section(_entry_line(entry, with_term=True)) for entry in found.entries]
    if found.has_more:
        value = json.dumps({"page": found.number + 1, "q": found.query})
        blocks.append(
            ActionsBlock(elements=[ButtonElement(text="More", action_id=MORE_ACTION, value=value)])
        )
    return Message(text=f"{title}, page {found.number}", blocks=blocks)


def added(result: Added) -> Message:
    entry = result.entry
    text = f":books: Added *{escape(entry.term)}* to the glossary for *{_who(entry)}*."
    if result.second_meaning:
        text += " Other organisations use it too: their meanings are kept beside yours."
    return Message(text=escape(f"Added {entry.term} to the glossary."), blocks=[section(text)])


def same(names: tuple[str, str]) -> Message:
    first, second = (escape(name) for name in names)
    return notice(f":link: Noted: *{first}* and *{second}* name the same thing.")


def edited(entry: Entry) -> Message:
    return notice(f":pencil2: Changed: {_entry_line(entry, with_term=True)}")


def merged(found: Card) -> Message:
    term = escape(found.asked)
    others = ", ".join(escape(t) for t in found.also_called)
    return notice(
        f":twisted_rightwards_arrows: Filed {others} under *{term}*; "
        f"{others} is now another name for it."
    )


def removed(term: str, count: int) -> Message:
    meanings = "meaning" if count == 1 else "meanings"
    return notice(
        f":wastebasket: Removed {count} {meanings} of *{escape(term)}* from the glossary."
    )


# Posts -------------------------------------------------------------------------------------------


def jargon_line(explained: Sequence[tuple[str, str]]) -> list[Block]:
    """The one quiet line under a channel post ("ISP: Individual Support Plan"), or nothing."""
    if not explained:
        return []
    return [
        context(" · ".join(f"*{escape(term)}*: {escape(meaning)}" for term, meaning in explained))
    ]


def suggestion(acronym: str | None) -> list[Block]:
    """The private suggestion to a post's author about one unknown acronym, or nothing."""
    if acronym is None:
        return []
    button = ButtonElement(text=f"Add {acronym}", action_id=SUGGEST_ACTION, value=acronym)
    return [
        DividerBlock(),
        section(f":books: *{escape(acronym)}* isn't in the glossary yet — add what it means?"),
        ActionsBlock(elements=[button]),
    ]


def form(term: str = "", metadata: dict[str, object] | None = None) -> View:
    """The add form, pre-filled with a term."""
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=FORM_TITLE,
        submit="Add",
        close="Cancel",
        private_metadata=json.dumps(metadata or {}),
        blocks=[
            InputBlock(
                block_id="term",
                label="Term",
                element=PlainTextInputElement(
                    action_id="value", max_length=TERM_MAX, initial_value=term[:TERM_MAX] or None
                ),
            ),
            InputBlock(
                block_id="meaning",
                label="What it stands for, or means",
                element=PlainTextInputElement(action_id="value", max_length=MEANING_MAX),
            ),
            InputBlock(
                block_id="description",
                label="A line of explanation",
                optional=True,
                hint="What it is in practice, for someone from another organisation.",
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=DESCRIPTION_MAX
                ),
            ),
        ],
    )


def term_of_the_week(entry: Entry | None) -> list[Block]:
    """The Home tab's term of the week, or nothing while the glossary is empty."""
    if entry is None:
        return []
    return [section(f":books: *Term of the week* — {_entry_line(entry, with_term=True)}")]
