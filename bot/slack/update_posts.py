"""An update as its channel post for the outbox, and the reply once it is posted: shared by
`/update` and by a session's "post as an update"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.services.updates import Published, UpdateView
from bot.slack.blocks import updates as blocks
from bot.slack.blocks.common import Message
from bot.slack.wiring import Services


def update_post(services: Services) -> Callable[[UpdateView], dict[str, Any]]:
    """An update as its channel message, for the outbox."""
    return lambda update: blocks.channel_post(update, services.zone, services.today()).rendered()


def update_posted(result: Published | UpdateView, services: Services) -> Message:
    """The reply once an update is posted, or saved without posting."""
    if isinstance(result, Published):
        return blocks.posted(result, services.zone, services.today())
    return blocks.changed(result)
