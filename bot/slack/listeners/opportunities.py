"""`/opportunity`: share, list, show interest, and change or close what you shared.

Each listener acks first (the form: after its checks, so problems show by the field or as the
form again with what to check), translates Slack's input, calls one service method, renders.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.dates import parse_date
from bot.services.opportunities.types import (
    KINDS,
    Caution,
    OpportunityInput,
    OpportunityProblem,
    OpportunityView,
    parse_kind,
)
from bot.services.refusal import Refusal
from bot.slack.blocks import opportunities as blocks
from bot.slack.blocks.common import Answer, Message, message_only, reply
from bot.slack.forms import sharing_form
from bot.slack.guard import guarded
from bot.slack.home_tab import reply_or_refresh
from bot.slack.jargon_notes import opportunity_post, opportunity_words, with_suggestion
from bot.slack.parsing import button_id, first_word, form_metadata, input_value, reading_button
from bot.slack.refusals import answer, answer_post, refuse_form
from bot.slack.wiring import Services

log = logging.getLogger(__name__)
CLOSES = re.compile(r"(?:^|\s)closes\s+(.+)$", re.IGNORECASE)
INTEREST_ACTIONS = re.compile(f"^{blocks.INTEREST_ACTION}(:|$)")
EXAMPLE = "/opportunity training Trauma-informed practice closes 12/12 https://example.org"


def channel_post(services: Services) -> Callable[[OpportunityView], dict[str, Any]]:
    """An opportunity as its channel message, for the outbox, with its glossary line."""
    return opportunity_post(services.glossary.snapshot(), services.today())


def posted(services: Services, view: OpportunityView, today: date) -> Message:
    """The poster's reply, with a suggestion to explain an unknown acronym."""
    known = services.glossary.snapshot()
    return with_suggestion(known, blocks.posted(view, today), opportunity_words(view))


def parse_one_line(text: str, today: date) -> OpportunityInput:
    """ "training Trauma-informed practice closes 12/12 <https://…>" → typed input."""
    word, rest = first_word(text)
    kind = parse_kind(word)
    if kind is None:
        raise OpportunityProblem(
            f"Start with the kind of opportunity ({', '.join(KINDS)}), then its title.", EXAMPLE
        )
    tokens = rest.split()
    link = None
    if tokens and ("://" in tokens[-1] or tokens[-1].startswith("www.")):
        link = tokens.pop()
    title = " ".join(tokens)
    closes_on = None
    closes = CLOSES.search(title)
    if closes:
        closes_on = parse_date(closes[1], today, EXAMPLE)
        title = title[: closes.start()].strip()
    return OpportunityInput(kind=kind, title=title, link=link, closes_on=closes_on)


# The command ------------------------------------------------------------------------------------


def _browse(services: Services, user_id: str, query: dict[str, Any]) -> Message:
    """A page of the open list, the closed list, a kind, or "mine"; the query rides in More."""
    page, today = int(query.get("page", 1)), services.today()
    if query.get("kind") == "mine":
        found = services.opportunities.mine(user_id, page)
        return blocks.page("Opportunities you shared", found, query, today)
    kind, closed = query.get("only"), bool(query.get("closed"))
    found = services.opportunities.browse(user_id, kind, closed, today, page)
    title = ("Closed" if closed else "Open") + f" {kind or 'opportunities'}"
    return blocks.page(title + ("" if closed else ", closing soonest first"), found, query, today)


def _list_query(rest: str) -> dict[str, Any]:
    word = rest.strip().lower()
    if word == "closed":
        return {"kind": "list", "closed": True}
    if word and parse_kind(word) is None:
        raise OpportunityProblem(
            f"“{rest}” isn't a kind; try one of {', '.join(KINDS)}, or `closed`.",
            "/opportunity list training",
        )
    return {"kind": "list", "only": parse_kind(word) if word else None}


def opportunity_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    text = (command.get("text") or "").strip()
    word, rest = first_word(text)
    user_id, today = command["user_id"], services.today()
    if not text:
        metadata = {"response_url": command.get("response_url")}
        answered = answer(lambda: sharing_form(services, user_id, metadata), today)
        if isinstance(answered, View):
            client.views_open(trigger_id=command["trigger_id"], view=answered)
        else:
            reply(respond, answered)
        return
    render = channel_post(services)
    subcommands: dict[str, Callable[[], Answer]] = {
        "help": blocks.help_message,
        "list": lambda: _browse(services, user_id, _list_query(rest)),
        "mine": lambda: _browse(services, user_id, {"kind": "mine"}),
    }
    work = subcommands.get(word) or (
        lambda: posted(
            services,
            services.opportunities.publish(user_id, parse_one_line(text, today), today, render),
            today,
        )
    )
    reply(respond, message_only(answer_post(work, today, "opportunity", blocks.REPOST_ACTION)))


# Buttons ----------------------------------------------------------------------------------------


def _user(body: dict) -> str:
    return body["user"]["id"]


def _id(action: dict) -> int:
    return button_id(action.get("value"))


def interest_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    render = channel_post(services)

    def toggle() -> Message:
        result = services.opportunities.toggle_interest(_user(body), _id(action), render)
        return blocks.interest_noted(result.interested, result.opportunity)

    message = message_only(answer(toggle, services.today()))
    reply_or_refresh(body, respond, client, services, message, replace_original=False)


def who_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()

    def who() -> Message:
        view, people = services.opportunities.interested_people(_user(body), _id(action))
        return blocks.interested_people(view, people)

    reply(respond, message_only(answer(who, services.today())), replace_original=False)


def _ending(change: str) -> Callable[..., None]:
    """Close early or withdraw, by the poster or a coordinator; the channel message follows."""

    def ended(
        ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
    ) -> None:
        ack()
        render = channel_post(services)
        opportunities = services.opportunities

        def end() -> Message:
            if change == "close":
                view = opportunities.close(_user(body), _id(action), render)
                return blocks.changed(view, "Closed")
            view = opportunities.withdraw(_user(body), _id(action))
            return blocks.changed(view, "Withdrew")

        reply(respond, message_only(answer(end, services.today())), replace_original=False)

    return ended


def edit_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()

    def open_form() -> View:
        view = services.opportunities.for_edit(_user(body), _id(action))
        start = OpportunityInput(
            kind=view.kind, title=view.title, description=view.description, link=view.link,
            closes_on=view.closes_on, event_on=view.event_on, places=view.places,
        )  # fmt: skip
        metadata = {"edit": view.id, "response_url": body.get("response_url")}
        return blocks.form(metadata, services.today(), start, editing=True)

    answered = answer(open_form, services.today())
    if isinstance(answered, View):
        client.views_open(trigger_id=body["trigger_id"], view=answered)
    else:
        reply(respond, answered, replace_original=False)


def post_anyway_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    today, render = services.today(), channel_post(services)
    with reading_button():
        attempt, once = blocks.anyway_value(action.get("value") or "{}")

    def post() -> Message:
        shared = services.opportunities.publish(
            _user(body), attempt, today, render, anyway=True, once=once
        )
        return posted(services, shared, today)

    message = answer_post(post, today, "opportunity", blocks.REPOST_ACTION)
    reply(respond, message, replace_original=True)


def repost_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    today, render = services.today(), channel_post(services)

    def post() -> Message:
        return posted(
            services, services.opportunities.repost(_user(body), _id(action), render), today
        )

    message = answer_post(post, today, "opportunity", blocks.REPOST_ACTION)
    reply(respond, message, replace_original=True)


def more_clicked(ack: Ack, body: dict, action: dict, respond: Respond, services: Services) -> None:
    ack()
    with reading_button():
        query = dict(json.loads(action.get("value") or "{}"))
    query["page"] = button_id(query.get("page", 1))
    answered = answer(lambda: _browse(services, _user(body), query), services.today())
    reply(respond, message_only(answered), replace_original=False)


# The form ---------------------------------------------------------------------------------------


def _from_form(view: dict) -> OpportunityInput:
    closes, event = input_value(view, "closes_on"), input_value(view, "event_on")
    places = str(input_value(view, "places")).strip()
    return OpportunityInput(
        kind=input_value(view, "kind") or "other",
        title=input_value(view, "title"),
        description=input_value(view, "description"),
        link=input_value(view, "link") or None,
        closes_on=date.fromisoformat(closes) if closes else None,
        event_on=date.fromisoformat(event) if event else None,
        places=int(places) if places.lstrip("-").isdigit() else (-1 if places else None),
        organisation=input_value(view, "organisation") or None,
    )


def form_submitted(ack: Ack, body: dict, view: dict, client: WebClient, services: Services) -> None:
    user_id, today = _user(body), services.today()
    metadata = form_metadata(view)
    attempt = _from_form(view)
    anyway = blocks.ANYWAY in (input_value(view, blocks.ANYWAY) or [])
    opportunities, render = services.opportunities, channel_post(services)
    try:
        if metadata.get("edit"):
            opportunities.review_edit(user_id, metadata["edit"], attempt, today, anyway)
        else:
            opportunities.review(user_id, attempt, today, anyway)
    except Refusal as refused:  # a Caution: the form again, what to check and a box to post anyway

        def again(warning: Caution) -> View:
            return sharing_form(services, user_id, metadata, warning.attempt, warning)

        refuse_form(ack, view, refused, "title", again)
        return
    ack()

    def save() -> Message:
        if metadata.get("edit"):
            edited = opportunities.edit(user_id, metadata["edit"], attempt, today, render, anyway)
            return blocks.changed(edited, "Changed")
        shared = opportunities.publish(user_id, attempt, today, render, anyway=anyway)
        return posted(services, shared, today)

    message = answer_post(save, today, "opportunity", blocks.REPOST_ACTION)
    services.sender.answer_form(user_id, metadata, message)


def register(app: App) -> None:
    app.command("/opportunity")(guarded(opportunity_command))
    app.action(INTEREST_ACTIONS)(guarded(interest_clicked))
    app.action(blocks.WHO_ACTION)(guarded(who_clicked))
    app.action(blocks.EDIT_ACTION)(guarded(edit_clicked))
    app.action(blocks.CLOSE_ACTION)(guarded(_ending("close")))
    app.action(blocks.WITHDRAW_ACTION)(guarded(_ending("withdraw")))
    app.action(blocks.POST_ANYWAY_ACTION)(guarded(post_anyway_clicked))
    app.action(blocks.REPOST_ACTION)(guarded(repost_clicked))
    app.action(blocks.MORE_ACTION)(guarded(more_clicked))
    app.view(blocks.FORM_CALLBACK)(guarded(form_submitted))
