"""Pieces every surface uses: the gate out for typed text, the message shape, short notices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.services.channel_posts import NotPosted
from bot.services.gate import Shown, escape, link
from bot.services.outbox import UNSURE, Sent
from bot.slack.blocks.render import render

__all__ = ["Shown", "escape", "link"]  # the gate out, for every builder

SECTION_TEXT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user_link(user_id: str | None) -> str:
    """A mention; someone whose data was erased is "a former member"."""
    return f"<@{user_id}>" if user_id and user_id[:1] in "UW" else "a former member"


def owner_link(user_id: str, key_worker: str) -> str:
    """A commitment's owner: a mention, or a key worker reached by email, by name."""
    return f"{escape(key_worker)} (by email)" if key_worker else user_link(user_id)


@dataclass(frozen=True)
class Message:
    """A reply: `text` is the notification and screen-reader fallback for `blocks`."""

    text: str
    blocks: Sequence[Block] = field(default_factory=list)

    def rendered(self) -> dict[str, Any]:
        """As JSON-ready data: what the outbox stores and Slack is sent."""
        blocks = [render(block) for block in self.blocks]
        return {"text": self.text, "blocks": blocks}


Answer = Message | View  # what a command's work answers with: a message, or a form to open


def message_only(answer: Answer) -> Message:
    """The answer of work that never opens a form."""
    assert isinstance(answer, Message), "only the forms are views"
    return answer


def reply(respond: Callable[..., Any], message: Message, **options: Any) -> None:
    """Send a Message through Bolt's `respond` (an ephemeral reply by default)."""
    respond(text=message.text, blocks=list(message.blocks), **options)


def section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(markdown, SECTION_TEXT_MAX)))


def sections(markdown: str) -> list[SectionBlock]:
    """Long text as consecutive sections, cut at line or word breaks and never inside `&amp;`."""
    chunks, rest = [], markdown
    while len(rest) > SECTION_TEXT_MAX:
        window = rest[:SECTION_TEXT_MAX]
        cut = max(window.rfind("\n"), window.rfind(" "))
        if cut < SECTION_TEXT_MAX // 2:
            cut = SECTION_TEXT_MAX
        amp = window.rfind("&", 0, cut)
        if amp != -1 and ";" not in window[amp:cut]:
            cut = amp
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks if chunk.strip()]


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(markdown, SECTION_TEXT_MAX))])


def notice(text: str, hint: str | None = None) -> Message:
    """A one-paragraph answer, with an optional pointer to what to do next."""
    blocks: list[Block] = [section(text)]
    if hint:
        blocks.append(context(hint))
    return Message(text=text, blocks=blocks)


def problem(text: str) -> Message:
    """A refusal; the text may quote what the person typed, so it is escaped."""
    return notice(f":warning: {escape(text)}", "Type `/partners help` to see every command.")


def not_in_dms(sent: Sent, what: str) -> Message | None:
    """What to tell a person whose file (`what`) did not surely reach their DMs; None if it did."""
    if sent.status == UNSURE:
        return problem(
            f"I couldn't put {what} in your DMs for certain: Slack didn't answer in time. "
            "If it isn't there in a minute, please try again."
        )
    if not sent.ok:
        return problem(f"I couldn't put {what} in your DMs just now. Please try again shortly.")
    return None


def command_help(
    title: str, fallback: str, examples: Sequence[tuple[str, str]], note: str
) -> Message:
    """One command's help: each example with what it does, and a closing note."""
    lines = "\n".join(f"`{example}` — {what}" for example, what in examples)
    return Message(text=fallback, blocks=[HeaderBlock(text=title), section(lines), context(note)])


def refusal(reason: str, example: str, command: str) -> Message:
    """A command's refusal: the reason (escaped), an example that works, or where help is."""
    text = f":warning: {escape(reason)}"
    hint = (
        f"For example: `{escape(example)}`"
        if example
        else f"`{command} help` shows what you can do."
    )
    return Message(text=text, blocks=[section(text), context(hint)])


def not_posted(failure: NotPosted, what: str, action_id: str) -> Message:
    """Saved but not in the channel: say which, and offer to post it again."""
    where = escape(failure.channel or "the channel")
    if failure.unsure:
        text = (
            f"Slack didn't confirm that your {what} reached {where}. It is saved in the "
            f"partnership's history either way. If it isn't in {where} in a minute, post it again."
        )
    else:
        text = (
            f"Slack couldn't post your {what} to {where} just now, but it is saved in the "
            "partnership's history. Post it again when you're ready."
        )
    button = ButtonElement(text="Post it again", action_id=action_id, value=str(failure.row_id))
    return Message(
        text=text, blocks=[section(f":warning: {text}"), ActionsBlock(elements=[button])]
    )
