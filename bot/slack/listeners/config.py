"""`/partners config`: the partnership file for coordinators, sent to their DM, and loaded back
through a form with a file input (read with `files:read`); `/partners connect`: the link that
connects a partner organisation's own Slack workspace to the partnership."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.refusal import Refusal
from bot.slack.blocks import config as blocks
from bot.slack.blocks.common import Answer, not_in_dms, problem
from bot.slack.files import chosen_files, fetch_text
from bot.slack.guard import guarded
from bot.slack.partners_command import Invocation, Subcommands
from bot.slack.refusals import refuse_form
from bot.slack.wiring import Services


def config(call: Invocation) -> Answer:
    """`config`: the current file to the DM; `config load`: the form to load one back."""
    settings = call.services.settings
    if call.args.strip().lower() == "load":
        settings.may_change(call.user_id)
        return blocks.load_form()
    if call.args:
        return problem(
            "Say `/partners config` for the partnership file, or `/partners config load` "
            "to load the one you edited."
        )
    exported = settings.export(call.user_id, call.services.now())
    sent = call.services.sender.upload(
        call.user_id,
        {
            "content": exported.content,
            "filename": exported.filename,
            "title": "The partnership file",
            "initial_comment": blocks.FILE_COMMENT,
        },
    )
    return not_in_dms(sent, "the partnership file") or blocks.file_sent()


def connect(call: Invocation) -> Answer:
    """`connect`: the link for a partner's workspace (coordinators, installed through OAuth)."""
    return blocks.connect_link(call.services.workspace.invite(call.user_id, call.services.now()))


SUBCOMMANDS: Subcommands = {"config": config, "connect": connect}


def file_submitted(ack: Ack, body: dict, view: dict, client: WebClient, services: Services) -> None:
    """The file is read and checked before the form closes: a mistake shows next to it."""
    user_id = body["user"]["id"]
    files = chosen_files(view, blocks.FILE_BLOCK)
    try:
        services.settings.may_change(user_id)  # before reading anyone else's file
        if not files:
            raise Refusal("Choose the partnership file (.toml) to load.")
        fetched = fetch_text(client, str(files[0]["id"]), user_id)
        report = services.settings.load(user_id, fetched.text, fetched.name, fetched.file_id)
    except Refusal as refused:
        refuse_form(ack, view, refused, blocks.FILE_BLOCK)
        return
    ack()
    services.sender.dm(user_id, blocks.file_loaded(fetched.name, report))


def register(app: App) -> None:
    app.view(blocks.LOAD_FORM)(guarded(file_submitted))
