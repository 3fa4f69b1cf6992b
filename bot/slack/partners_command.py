"""`/partners`: one command whose subcommands belong to several features (the directory, data
protection). Each listener module lists its own; the listeners' package joins the lists and
registers the one command, so no listener imports another."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.directory import ProfileLoader
from bot.slack.blocks.common import Answer, problem, reply
from bot.slack.parsing import first_word
from bot.slack.profiles import profile_loader
from bot.slack.refusals import answer
from bot.slack.wiring import Services


@dataclass(frozen=True)
class Invocation:
    """One `/partners` request, translated from Slack's payload."""

    user_id: str
    args: str
    services: Services
    load_profile: ProfileLoader
    client: WebClient


Subcommands = Mapping[str, Callable[[Invocation], Answer]]


def partners_command(subcommands: Subcommands) -> Callable[..., None]:
    """The `/partners` listener, answering each subcommand with its handler."""

    def partners(
        ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
    ) -> None:
        ack()
        word, args = first_word(command.get("text", ""))
        handler = subcommands.get(word)
        if handler is None:
            reply(respond, problem(f"`/partners {word}` isn't a command I know."))
            return
        call = Invocation(command["user_id"], args, services, profile_loader(client), client)
        answered = answer(lambda: handler(call), services.today())
        if isinstance(answered, View):
            client.views_open(trigger_id=command["trigger_id"], view=answered)
        else:
            reply(respond, answered)

    return partners
