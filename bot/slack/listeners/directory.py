"""`/partners`: the directory and membership. Listeners ack, parse, call one service, render."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.directory import OrganisationEdit
from bot.services.gate import FieldsLookPersonal
from bot.services.refusal import Refusal
from bot.slack.blocks import directory as directory_blocks
from bot.slack.blocks.common import Answer, problem, reply
from bot.slack.blocks.help import help_message
from bot.slack.forms import saving_anyway
from bot.slack.guard import guarded
from bot.slack.parsing import first_word, input_value, user_id_in
from bot.slack.partners_command import Invocation, Subcommands
from bot.slack.profiles import profile_loader
from bot.slack.refusals import refuse_form
from bot.slack.wiring import Services


def show_help(call: Invocation) -> Answer:
    return help_message()


def join(call: Invocation) -> Answer:
    if not call.args:
        return problem("Which organisation? For example `/partners join Harbour`.")
    return directory_blocks.joined(
        call.services.directory.join(call.user_id, call.args, call.load_profile)
    )


def list_organisations(call: Invocation) -> Answer:
    directory = call.services.directory
    return directory_blocks.organisation_list(
        directory.organisations(), directory.coordinator_ids(), directory.coordinators_by_email()
    )


def organisation(call: Invocation) -> Answer:
    word, rest = first_word(call.args)
    if word == "add":
        code, name = first_word(rest)
        if not name:
            return problem(
                "Give a short code and a name: `/partners org add BHA Bridges Health Access`."
            )
        return directory_blocks.organisation_added(
            call.services.directory.add_organisation(call.user_id, code, name)
        )
    if word == "edit":
        if not rest:
            return problem("Which organisation? For example `/partners org edit BHA`.")
        return directory_blocks.edit_form(call.services.directory.view_for_edit(call.user_id, rest))
    if not call.args:
        return list_organisations(call)
    card = call.services.directory.organisation(call.args)
    return directory_blocks.organisation_card(card, call.user_id)


def whoami(call: Invocation) -> Answer:
    return directory_blocks.whoami(call.services.directory.whoami(call.user_id, call.load_profile))


def coordinator(call: Invocation) -> Answer:
    word, rest = first_word(call.args)
    user_id = user_id_in(rest)
    if word != "add" or user_id is None:
        return problem("Name the person with an @mention: `/partners coordinator add @amina`.")
    added = call.services.directory.add_coordinator(call.user_id, user_id, call.load_profile)
    return directory_blocks.coordinator_added(user_id, added)


def digest(call: Invocation) -> Answer:
    words = call.args.split()
    if words[:1] == ["email"]:
        return digest_by_email(call, [word for word in words[1:]])
    words = [word.lower() for word in words]
    if len(words) != 2 or words[0] not in ("dm", "name") or words[1] not in ("on", "off"):
        return problem(
            "Say `/partners digest dm on` (or `off`) for the digest by DM, "
            "`/partners digest email on` (or `off`) for it by email, or "
            "`/partners digest name on` (or `off`) to be named as a hot-desk visitor in it."
        )
    wanted = words[1] == "on"
    directory = call.services.directory
    if words[0] == "name":
        directory.set_name_in_digest(call.user_id, wanted, call.load_profile)
        return directory_blocks.digest_name_preference(wanted)
    directory.set_digest_dm(call.user_id, wanted, call.load_profile)
    return directory_blocks.digest_preference(wanted)


def digest_by_email(call: Invocation, words: list[str]) -> Answer:
    """`email on [address]` (the Slack profile's address when none is given) or `email off`."""
    switch = words[0].lower() if words else ""
    if switch == "off" and len(words) == 1:
        return directory_blocks.digest_email_stopped(call.services.digest_email.stop(call.user_id))
    if switch != "on" or len(words) > 2:
        return problem(
            "Say `/partners digest email on` (to your Slack profile's address), "
            "`/partners digest email on you@example.org`, or `/partners digest email off`."
        )
    address = words[1] if len(words) == 2 else None
    sent_to = call.services.digest_email.ask(call.user_id, address, call.load_profile)
    return directory_blocks.digest_email_asked(sent_to)


SUBCOMMANDS: Subcommands = {  # the directory's; data protection lists its own
    "": show_help,
    "help": show_help,
    "join": join,
    "orgs": list_organisations,
    "organisations": list_organisations,
    "org": organisation,
    "organisation": organisation,
    "whoami": whoami,
    "coordinator": coordinator,
    "digest": digest,
}


def join_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    code = str(action.get("value") or "")
    result = services.directory.join(body["user"]["id"], code, profile_loader(client))
    reply(respond, directory_blocks.joined(result), replace_original=True)


def show_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()
    card = services.directory.organisation(str(action.get("value") or ""))
    reply(
        respond,
        directory_blocks.organisation_card(card, body["user"]["id"]),
        replace_original=False,
    )


def organisation_edited(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    user_id, code = body["user"]["id"], view["private_metadata"]
    edit = OrganisationEdit(
        name=input_value(view, "name"),
        description=input_value(view, "description"),
        address=input_value(view, "address"),
        visitor_protocol=input_value(view, "protocol"),
        key_worker_ids=input_value(view, "key_workers"),
    )
    directory = services.directory
    try:
        saved = directory.edit_organisation(user_id, code, edit, saving_anyway(view))
    except Refusal as refused:

        def again(held_back: FieldsLookPersonal) -> View:  # as typed, each field held back marked
            typed = directory.view_for_edit(user_id, code)
            return directory_blocks.edit_form(typed, edit, held_back.held)

        refuse_form(ack, view, refused, "name", again)
        return
    ack()
    message = directory_blocks.organisation_saved(saved)
    services.sender.dm(user_id, message)


def register(app: App) -> None:
    app.action(directory_blocks.JOIN_ACTION)(guarded(join_clicked))
    app.action(directory_blocks.SHOW_ACTION)(guarded(show_clicked))
    app.view(directory_blocks.EDIT_CALLBACK)(guarded(organisation_edited))
