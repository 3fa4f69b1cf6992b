"""Publishing a member's Home tab, and answering clicks made there by refreshing it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.blocks.common import Message, reply
from bot.slack.blocks.home import home_view
from bot.slack.blocks.render import render
from bot.slack.profiles import profile_loader
from bot.slack.wiring import Services


def publish_home(
    client: WebClient, services: Services, user_id: str, notice: Message | None = None
) -> None:
    """The tab, with `notice` (the answer to something just done) at its top. The work is
    done by then, so if Slack fails to redraw the tab the notice goes by DM instead."""
    now = services.now()
    data = services.home.for_member(user_id, now, profile_loader(client))
    published = services.sender.publish_home(user_id, render(home_view(data, now.date(), notice)))
    if not published.ok and notice is not None:
        services.sender.dm(user_id, notice)


def from_home(body: dict) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def reply_or_refresh(
    body: dict,
    respond: Respond,
    client: WebClient,
    services: Services,
    message: Message,
    **options: Any,
) -> None:
    """A click in a message is answered there; a click in the Home tab refreshes the tab, with
    the answer at its top (there is no message to reply to)."""
    if from_home(body):
        publish_home(client, services, body["user"]["id"], notice=message)
    else:
        reply(respond, message, **options)
