"""Changing messages the bot posted earlier, which people may have removed in Slack meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

GONE = {"message_not_found", "channel_not_found", "cant_update_message", "cant_delete_message"}


def tolerate_gone(call: Callable[[], Any]) -> None:
    """A message someone already removed in Slack is no reason to refuse the change."""
    try:
        call()
    except SlackApiError as error:
        if error.response.get("error") not in GONE:
            raise
