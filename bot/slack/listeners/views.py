"""Form submissions: checked and saved before ack() so errors show in the form itself."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.directory import DirectoryError, OrganisationEdit
from bot.slack.blocks import directory as directory_blocks
from bot.slack.parsing import input_value
from bot.slack.wiring import Services


def organisation_edited(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    user_id = body["user"]["id"]
    edit = OrganisationEdit(
        name=input_value(view, "name"),
        description=input_value(view, "description"),
        address=input_value(view, "address"),
        visitor_protocol=input_value(view, "protocol"),
        key_worker_ids=input_value(view, "key_workers"),
    )
    try:
        saved = services.directory.edit_organisation(user_id, view["private_metadata"], edit)
    except DirectoryError as error:
        ack(response_action="errors", errors={"name": str(error)[:150]})
        return
    ack()
    message = directory_blocks.organisation_saved(saved)
    client.chat_postMessage(channel=user_id, text=message.text, blocks=list(message.blocks))


def register(app: App) -> None:
    app.view(directory_blocks.EDIT_CALLBACK)(organisation_edited)
