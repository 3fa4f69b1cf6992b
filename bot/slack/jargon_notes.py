"""Jargon under posts, shared by `/update`, `/opportunity` and the job that closes opportunities:
the quiet line of glossary terms a post uses, and the one private suggestion to its author."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from bot.services.glossary.rules import Snapshot
from bot.services.opportunities.types import OpportunityView
from bot.slack.blocks.common import Message
from bot.slack.blocks.glossary import jargon_line, suggestion
from bot.slack.blocks.opportunities import channel_post

View = TypeVar("View")


def explained(
    known: Snapshot, draw: Callable[[View], Message], text_of: Callable[[View], str]
) -> Callable[[View], dict[str, Any]]:
    """A post's renderer (for the outbox) with the glossary line under the post. The glossary
    is read before (`known`): the post is drawn inside its row's transaction."""

    def render(view: View) -> dict[str, Any]:
        post = draw(view)
        line = jargon_line(known.explained(text_of(view)))
        return Message(post.text, [*post.blocks, *line]).rendered()

    return render


def opportunity_post(known: Snapshot, today: date) -> Callable[[OpportunityView], dict[str, Any]]:
    """An opportunity as its channel message, with the glossary line: for `/opportunity`, its
    buttons and the job that closes it."""
    return explained(known, lambda view: channel_post(view, today), opportunity_words)


def opportunity_words(view: OpportunityView) -> str:
    """What of an opportunity is read for jargon: its title and description."""
    return f"{view.title}\n{view.description}"


def with_suggestion(known: Snapshot, reply: Message, text: str) -> Message:
    """The author's private reply, with a suggestion to add the post's first unknown acronym
    (never more than one; the post is already made, whatever the author does with it)."""
    return Message(reply.text, [*reply.blocks, *suggestion(known.unknown_acronym(text))])
