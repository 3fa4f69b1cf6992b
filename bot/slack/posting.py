"""Answering after a form, and changing messages the bot posted earlier (which people may have
removed in Slack meanwhile)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message, reply

GONE = {"message_not_found", "channel_not_found", "cant_update_message", "cant_delete_message"}


def tolerate_gone(call: Callable[[], Any]) -> None:
    """A message someone already removed in Slack is no reason to refuse the change."""
    try:
        call()
    except SlackApiError as error:
        if error.response.get("error") not in GONE:
            raise


def answer_form(client: WebClient, user_id: str, metadata: dict, message: Message) -> None:
    """After a form: reply where its command was typed (the response URL it carried), else DM."""
    if metadata.get("response_url"):
        reply(Respond(response_url=metadata["response_url"]), message, replace_original=False)
    else:
        client.chat_postMessage(channel=user_id, text=message.text, blocks=list(message.blocks))
