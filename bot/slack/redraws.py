"""Redrawing in Slack the messages an erasure rewrote: right after it, for the person waiting
for the receipt, and by the housekeeping job for the rest."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.rights import Aftermath, Rights
from bot.slack.client import NO_ANSWER, TIMEOUT, UNREACHABLE

log = logging.getLogger(__name__)

TRY_AGAIN = {
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    TIMEOUT, NO_ANSWER, UNREACHABLE,
}  # fmt: skip


def redraw_messages(
    client: WebClient, rights: Rights, only: Sequence[int] | None = None, limit: int = 1000
) -> Aftermath:
    """Redraw in Slack the messages an erasure rewrote (chat.update from the stored copy):
    channel copies first. Gone from Slack counts as done; what Slack may do later (a 5xx, a
    timeout) stays marked for the next housekeeping; anything else is given up, and said."""
    aftermath = Aftermath()
    if only is not None and not only:
        return aftermath
    due = rights.redraws(only)
    aftermath.left = max(len(due) - limit, 0)
    settled = []
    for item in due[:limit]:
        try:
            channel = item.channel or _channel_of(client, item.recipient)
            if channel is None:  # sent to a #name before the bot kept Slack's channel ids
                aftermath.failed.append("channel id not recorded")
                settled.append(item.delivery_id)
                continue
            client.chat_update(channel=channel, ts=item.ts, text=item.text, blocks=item.blocks)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            log.warning("could not redraw delivery %s: %s", item.delivery_id, code)
            if code == "message_not_found":  # deleted in Slack: nothing left to show
                settled.append(item.delivery_id)
            elif code in TRY_AGAIN or error.response.status_code >= 500:
                aftermath.retry.append(code)
            else:
                aftermath.failed.append(code)
                settled.append(item.delivery_id)
            continue
        aftermath.redrawn += 1
        settled.append(item.delivery_id)
    rights.redrawn(settled)
    return aftermath


def _channel_of(client: WebClient, recipient: str) -> str | None:
    """The channel id chat.update needs: a DM's is found by opening it; a #name's is unknown."""
    if recipient[:1] in ("U", "W"):
        return client.conversations_open(users=recipient)["channel"]["id"]
    return recipient if recipient[:1] in ("C", "G", "D") else None
