"""`/update`: post, search, list and change partner updates.

Each listener acks first, then translates Slack's input, calls one service method and renders.
Slack calls the service needs (post, update, delete the channel message) are passed in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.dates import parse_date
from bot.services.refusal import Refusal
from bot.services.updates import Published, UpdateProblem, UpdateView, check_text
from bot.slack.blocks import updates as blocks
from bot.slack.blocks.common import Message, reply
from bot.slack.guard import guarded
from bot.slack.parsing import button_id, first_word, form_metadata, input_value, reading_button
from bot.slack.refusals import answer, answer_post, refuse_form
from bot.slack.update_posts import update_post, update_posted
from bot.slack.wiring import Services

SINCE = re.compile(r"(?:^|\s)since\s+(.+)$", re.IGNORECASE)


# The command -------------------------------------------------------------------------------------


def update_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    text = command.get("text") or ""
    word, rest = first_word(text)
    user_id = command["user_id"]
    if not text.strip():
        metadata = {"response_url": command.get("response_url")}
        client.views_open(
            trigger_id=command["trigger_id"],
            view=blocks.form(services.updates.topics(), metadata),
        )
        return
    if word == "help":
        message = blocks.help_message()
    elif word in ("search", "list", "mine"):
        query: dict[str, Any] = {"kind": word, "q": rest}
        if word == "list":
            match = SINCE.search(rest)
            query["org"] = (rest[: match.start()] if match else rest).strip()
            query["since"] = match.group(1) if match else ""
        message = answer(lambda: _browse(services, user_id, query), services.today())
    else:
        render = update_post(services)
        message = answer_post(
            lambda: update_posted(
                services.updates.publish(user_id, text, (), False, render), services
            ),
            services.today(),
            "update",
            blocks.REPOST_ACTION,
        )
    reply(respond, message)


def _list(
    services: Services, user_id: str, organisation: str, since_text: str, page: int
) -> Message:
    today = services.today()
    since = parse_date(since_text, today, "/update list since 1/11") if since_text else None
    if since and since > today:
        raise UpdateProblem("“since” can't be in the future.", "/update list since 1/11")
    title = "Updates" + (f" from {organisation}" if organisation else "")
    title += f" since {since:%-d %b %Y}" if since else ""
    more = {"kind": "list", "org": organisation, "since": since.isoformat() if since else ""}
    found = services.updates.browse(user_id, organisation or None, since, page)
    return blocks.page_of_updates(title, found, more, services.zone, today)


# Buttons -----------------------------------------------------------------------------------------


def _user(body: dict) -> str:
    return body["user"]["id"]


def _browse(services: Services, user_id: str, query: dict[str, Any]) -> Message:
    """One page of a search, a list or "mine": the query travels in the More button."""
    page, kind = int(query.get("page", 1)), query.get("kind")
    updates, zone, today = services.updates, services.zone, services.today()
    if kind == "search":
        found = updates.search(user_id, query["q"], page)
        return blocks.page_of_updates(f"Updates matching “{query['q']}”", found, query, zone, today)
    if kind == "list":
        return _list(services, user_id, query.get("org", ""), query.get("since", ""), page)
    mine = updates.mine(user_id, page)
    return blocks.page_of_updates("Your updates", mine, {"kind": "mine"}, zone, today)


def more_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()
    with reading_button():
        query = dict(json.loads(action.get("value") or "{}"))
    query["page"] = button_id(query.get("page", 1))
    message = answer(lambda: _browse(services, _user(body), query), services.today())
    reply(respond, message, replace_original=False)


def _open_form(ack: Ack, body: dict, client: WebClient, make_form: Callable[[str], View]) -> None:
    """Open the update form from a button (a stale button's refusal is told by the guard)."""
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=make_form(_user(body)))


def edit_clicked(ack: Ack, body: dict, action: dict, client: WebClient, services: Services) -> None:
    def form(user_id: str) -> View:
        update = services.updates.for_edit(user_id, button_id(action.get("value")))
        metadata = {"edit": update.id, "response_url": body.get("response_url")}
        topics = services.updates.topics()
        return blocks.form(topics, metadata, update.text, update.topics, update.wants_help, True)

    _open_form(ack, body, client, form)


def delete_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    message = answer(
        lambda: blocks.changed(
            services.updates.delete(_user(body), button_id(action.get("value"))), True
        ),
        services.today(),
    )
    reply(respond, message, replace_original=False)


def draft_edit_clicked(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    def form(user_id: str) -> View:
        draft = services.updates.draft(user_id, button_id(action.get("value")))
        metadata = {"draft": draft.id, "response_url": body.get("response_url")}
        return blocks.draft_form(services.updates.topics(), draft, metadata)

    _open_form(ack, body, client, form)


PostWith = Callable[[Services, str, int], Published | UpdateView]


def _posting_click(post: PostWith) -> Callable[..., None]:
    """A button that posts (a held draft, or an update Slack did not take) in place of the
    message it was in."""

    def clicked(
        ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
    ) -> None:
        ack()
        posted = answer_post(
            lambda: update_posted(
                post(services, _user(body), button_id(action.get("value"))), services
            ),
            services.today(),
            "update",
            blocks.REPOST_ACTION,
        )
        reply(respond, posted, replace_original=True)

    return clicked


post_anyway_clicked = _posting_click(
    lambda services, user_id, draft_id: services.updates.post_draft(
        user_id, draft_id, update_post(services)
    )
)
repost_clicked = _posting_click(
    lambda services, user_id, update_id: services.updates.repost(
        user_id, update_id, update_post(services)
    )
)


# The form ----------------------------------------------------------------------------------------


def form_submitted(ack: Ack, body: dict, view: dict, client: WebClient, services: Services) -> None:
    text = input_value(view, "text")
    try:
        check_text(text)
    except Refusal as refused:
        refuse_form(ack, view, refused, "text")
        return
    ack()
    user_id = _user(body)
    metadata = form_metadata(view)
    topics = input_value(view, "topics") or []
    wants_help = blocks.WANTS_HELP in (input_value(view, "help") or [])
    render = update_post(services)
    replaces = metadata.get("draft")

    def save() -> Message:
        if metadata.get("edit"):
            edited = services.updates.edit(
                user_id, metadata["edit"], text, topics, wants_help, render,
                replaces_draft=replaces,
            )  # fmt: skip
            return blocks.changed(edited)
        published = services.updates.publish(
            user_id, text, topics, wants_help, render, replaces_draft=replaces
        )
        return update_posted(published, services)

    message = answer_post(save, services.today(), "update", blocks.REPOST_ACTION)
    services.sender.answer_form(user_id, metadata, message)


def register(app: App) -> None:
    app.command("/update")(guarded(update_command))
    app.action(blocks.MORE_ACTION)(guarded(more_clicked))
    app.action(blocks.EDIT_ACTION)(guarded(edit_clicked))
    app.action(blocks.DELETE_ACTION)(guarded(delete_clicked))
    app.action(blocks.DRAFT_EDIT_ACTION)(guarded(draft_edit_clicked))
    app.action(blocks.POST_ANYWAY_ACTION)(guarded(post_anyway_clicked))
    app.action(blocks.REPOST_ACTION)(guarded(repost_clicked))
    app.view(blocks.FORM_CALLBACK)(guarded(form_submitted))
