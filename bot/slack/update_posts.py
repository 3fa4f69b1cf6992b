"""An update as its channel post for the outbox, and the reply once it is posted: shared by
`/update` and by a session's "post as an update"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.services.updates import Published, UpdateView
from bot.slack.blocks import updates as blocks
from bot.slack.blocks.common import Message
from bot.slack.jargon_notes import explained, with_suggestion
from bot.slack.wiring import Services


def update_post(services: Services) -> Callable[[UpdateView], dict[str, Any]]:
    """An update as its channel message, for the outbox, with its glossary line."""
    zone, today = services.zone, services.today()
    return explained(
        services.glossary.snapshot(),
        lambda update: blocks.channel_post(update, zone, today),
        lambda update: update.text,
    )


def update_posted(result: Published | UpdateView, services: Services) -> Message:
    """The reply once an update is posted, or saved without posting."""
    if isinstance(result, Published):
        posted = blocks.posted(result, services.zone, services.today())
        return with_suggestion(services.glossary.snapshot(), posted, result.update.text)
    return blocks.changed(result)
