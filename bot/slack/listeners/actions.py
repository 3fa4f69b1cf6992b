"""Button clicks, each idempotent: a double click changes nothing twice."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services.directory import DirectoryError, UnknownOrganisation
from bot.slack.blocks import directory as directory_blocks
from bot.slack.blocks.common import problem, reply
from bot.slack.profiles import profile_loader
from bot.slack.wiring import Services


def join_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    try:
        result = services.directory.join(
            body["user"]["id"], action["value"], profile_loader(client)
        )
    except DirectoryError as error:
        reply(respond, problem(str(error)), replace_original=False)
        return
    reply(respond, directory_blocks.joined(result), replace_original=True)


def show_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()
    try:
        card = services.directory.organisation(action["value"])
    except UnknownOrganisation as error:
        reply(respond, directory_blocks.unknown_organisation(error, directory_blocks.SHOW_ACTION))
        return
    reply(
        respond,
        directory_blocks.organisation_card(card, body["user"]["id"]),
        replace_original=False,
    )


def register(app: App) -> None:
    app.action(directory_blocks.JOIN_ACTION)(join_clicked)
    app.action(directory_blocks.SHOW_ACTION)(show_clicked)
