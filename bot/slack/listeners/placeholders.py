"""Commands declared in the manifest but not built yet: a clear answer, never a timeout."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from bot.slack.blocks.common import reply
from bot.slack.blocks.help import not_yet_available

NOT_YET = ("/session",)


def coming_soon(ack: Ack, command: dict, respond: Respond) -> None:
    ack()
    reply(respond, not_yet_available(command["command"]))


def register(app: App) -> None:
    for name in NOT_YET:
        app.command(name)(coming_soon)
