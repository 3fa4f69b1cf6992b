"""`/jargon`: the partnership's glossary. Each subcommand reads its words, calls one service
method and renders; the add form is opened from the suggestion under a post, too."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.glossary.rules import split_term
from bot.services.refusal import Refusal
from bot.slack.blocks import glossary as blocks
from bot.slack.blocks.common import Answer, problem, reply
from bot.slack.forms import saving_anyway
from bot.slack.guard import guarded
from bot.slack.parsing import first_word, form_metadata, input_value, reading_button
from bot.slack.partners_command import Invocation, Subcommands
from bot.slack.profiles import profile_loader
from bot.slack.refusals import answer, refuse_form
from bot.slack.wiring import Services


def show_help(call: Invocation) -> Answer:
    return blocks.help_message()


def browse(call: Invocation) -> Answer:
    return blocks.page(call.services.glossary.browse())


def search(call: Invocation) -> Answer:
    return blocks.page(call.services.glossary.browse(1, call.args or " "))


def add(call: Invocation) -> Answer:
    if not call.args:
        return blocks.form()  # opened by the command, with its response URL
    term, meaning = split_term(call.args)
    return blocks.added(call.services.glossary.add(call.user_id, term, meaning))


def same(call: Invocation) -> Answer:
    first, rest = split_term(call.args)
    second, extra = split_term(rest)
    if extra:
        return problem("Name just two terms, e.g. `/jargon same ISP ITP`.")
    return blocks.same(call.services.glossary.same(call.user_id, first, second))


def edit(call: Invocation) -> Answer:
    term, rest = split_term(call.args)
    organisation, meaning = _organisation_first(call, term, rest)
    return blocks.edited(call.services.glossary.edit(call.user_id, term, organisation, meaning))


def merge(call: Invocation) -> Answer:
    merged, rest = split_term(call.args)
    into, _ = split_term(rest)
    return blocks.merged(call.services.glossary.merge(call.user_id, merged, into))


def remove(call: Invocation) -> Answer:
    term, organisation = split_term(call.args)
    if not term:
        return problem("Which term? For example `/jargon remove ISP`.")
    return blocks.removed(term, call.services.glossary.remove(call.user_id, term, organisation))


def _organisation_first(call: Invocation, term: str, rest: str) -> tuple[str, str]:
    """ "HRS Individual Support Plan" → ("HRS", …) when the term has a meaning from HRS."""
    word, after = first_word(rest)
    codes = {
        (entry.organisation_code or "").casefold()
        for entry in call.services.glossary.lookup(term).entries
    }
    return (word, after) if word and word in codes else ("", rest)


SUBCOMMANDS: Subcommands = {
    "": browse,
    "help": show_help,
    "add": add,
    "same": same,
    "search": search,
    "edit": edit,
    "merge": merge,
    "remove": remove,
}


def jargon_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    text = command.get("text") or ""
    word, args = first_word(text)
    handler = SUBCOMMANDS.get(word)
    call = Invocation(
        command["user_id"], args if handler else text, services, profile_loader(client), client
    )

    def work() -> Answer:
        if handler is None:
            return blocks.card(services.glossary.lookup(text))
        return handler(call)

    answered = answer(work, services.today())
    if isinstance(answered, View):
        metadata = {"response_url": command.get("response_url")}
        client.views_open(trigger_id=command["trigger_id"], view=blocks.form(metadata=metadata))
    else:
        reply(respond, answered)


def more_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()
    with reading_button():
        query = json.loads(action.get("value") or "{}")
        number, words = int(query["page"]), str(query.get("q") or "")
    found = answer(lambda: blocks.page(services.glossary.browse(number, words)), services.today())
    reply(respond, found, replace_original=False)


def suggest_clicked(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
    """The suggestion under a post: the add form, with the acronym filled in."""
    ack()
    term = str(action.get("value") or "")
    metadata = {"response_url": body.get("response_url")}
    client.views_open(trigger_id=body["trigger_id"], view=blocks.form(term, metadata))


def form_submitted(ack: Ack, body: dict, view: dict, services: Services) -> None:
    user_id = body["user"]["id"]
    try:
        metadata = form_metadata(view)
        added = services.glossary.add_entry(
            user_id,
            input_value(view, "term"),
            input_value(view, "meaning"),
            input_value(view, "description"),
            saving_anyway(view),
        )
    except Refusal as refused:
        refuse_form(ack, view, refused, "term")
        return
    ack()
    services.sender.answer_form(user_id, metadata, blocks.added(added))


def register(app: App) -> None:
    app.command("/jargon")(guarded(jargon_command))
    app.action(blocks.MORE_ACTION)(guarded(more_clicked))
    app.action(blocks.SUGGEST_ACTION)(guarded(suggest_clicked))
    app.view(blocks.FORM_CALLBACK)(guarded(form_submitted))
