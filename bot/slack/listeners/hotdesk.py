"""`/hotdesk`: book, look, cancel, approve, and change an agency's offer.

Each listener acks first (forms: after checking the input, so problems show by the field),
translates Slack's input, calls one service method and renders. Telling the other side (the key
worker, the visitor) and the calendar file are written to the outbox with the booking and sent
after its commit; a Slack failure there is reported to the person, never undoes the booking.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.services.dates import DateError, parse_date, parse_dates
from bot.services.directory import Person
from bot.services.gate import FieldsLookPersonal
from bot.services.hotdesk.types import (
    HotdeskProblem,
    OfferEdit,
    Part,
    parse_part,
    parse_ref,
)
from bot.services.refusal import Refusal
from bot.slack.blocks import hotdesk as blocks
from bot.slack.blocks.common import Message, escape, message_only, reply, section
from bot.slack.booking_notices import Notifier
from bot.slack.forms import saving_anyway
from bot.slack.guard import guarded
from bot.slack.home_tab import reply_or_refresh
from bot.slack.parsing import button_id, first_word, form_metadata, input_value, reading_button
from bot.slack.refusals import answer, refuse_form
from bot.slack.wiring import Services

log = logging.getLogger(__name__)

BOOK_ACTIONS = re.compile(f"^{blocks.BOOK_ACTION}(:|$)")
BOOK_EXAMPLE = "/hotdesk book HRS next tue am"


def with_problems(message: Message, problems: list[str]) -> Message:
    if not problems:
        return message
    notes = [section(f":warning: {escape(problem)}") for problem in problems]
    return Message(text=message.text, blocks=[*message.blocks, *notes])


def parse_booking(text: str, today: date) -> tuple[str, date, Part | None]:
    """ "Harbour Refugee Support next thu am" → ("Harbour Refugee Support", <date>, Part.AM)."""
    words = text.split()
    part = parse_part(words[-1]) if words else None
    if part is not None:
        words = words[:-1]
    for size in (3, 2, 1):
        if len(words) > size:
            try:
                return " ".join(words[:-size]), parse_date(" ".join(words[-size:]), today), part
            except DateError:
                continue
    raise HotdeskProblem("Say which agency and which day, then am, pm or day.", BOOK_EXAMPLE)


# The command ------------------------------------------------------------------------------------


def _book(services: Services, client: WebClient, user_id: str, text: str) -> Message:
    now = services.now()
    host, day, part = parse_booking(text, now.date())
    notifier = Notifier(services)
    result = services.hotdesk.book(user_id, host, day, part, now, notices=notifier.for_booking)
    problems = notifier.after_booking(result)
    return with_problems(blocks.booked(result, now.date()), problems)


def _cancel(services: Services, client: WebClient, user_id: str, ref_text: str) -> Message:
    booking_id = parse_ref(ref_text)
    if booking_id is None:
        raise HotdeskProblem("Which booking? Give its reference.", "/hotdesk cancel D12")
    now = services.now()
    notifier = Notifier(services)
    ended = services.hotdesk.cancel(user_id, booking_id, now, notices=notifier.for_end)
    problems = notifier.after_end(ended)
    return with_problems(blocks.ended_reply(ended, now.date()), problems)


def _free(services: Services, day_text: str) -> Message:
    now = services.now()
    day = parse_date(day_text, now.date(), BOOK_EXAMPLE) if day_text else None
    return blocks.free_grid(services.hotdesk.free(day, now), now.date())


def _form(services: Services, user_id: str, offer_of: str | None, metadata: dict) -> View:
    """The offer form (`offer_of` names the agency, "" for one's own), else the booking form."""
    if offer_of is not None:
        host = services.hotdesk.offer_for_edit(user_id, offer_of)
        return blocks.offer_form(host, {**metadata, "code": host.code})
    day = services.hotdesk.working_days().next_after(services.today())
    return blocks.booking_form(services.hotdesk.hosts(), None, day, metadata)


def hotdesk_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    text = (command.get("text") or "").strip()
    word, rest = first_word(text)
    user_id = command["user_id"]
    today = services.today()
    metadata = {"response_url": command.get("response_url")}
    if not text or word == "offer":
        answered = answer(lambda: _form(services, user_id, rest if text else None, metadata), today)
        if isinstance(answered, View):
            client.views_open(trigger_id=command["trigger_id"], view=answered)
        else:
            reply(respond, answered)
        return
    subcommands: dict[str, Callable[[], Message]] = {
        "help": blocks.help_message,
        "book": lambda: _book(services, client, user_id, rest),
        "free": lambda: _free(services, rest),
        "mine": lambda: blocks.my_bookings(services.hotdesk.mine(user_id, services.now()), today),
        "cancel": lambda: _cancel(services, client, user_id, rest),
    }
    # Anything else is read as a booking ("/hotdesk HRS thu am"), since that is what people try.
    work = subcommands.get(word) or (lambda: _book(services, client, user_id, text))
    reply(respond, message_only(answer(work, today)))


# Buttons ----------------------------------------------------------------------------------------


def _user(body: dict) -> str:
    return body["user"]["id"]


def book_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    with reading_button():
        chosen = json.loads(action.get("value") or "{}")
        host, day, part = (
            str(chosen["host"]),
            date.fromisoformat(chosen["day"]),
            Part(chosen["part"]),
        )

    def book() -> Message:
        now, notifier = services.now(), Notifier(services)
        result = services.hotdesk.book(
            _user(body), host, day, part, now, notices=notifier.for_booking
        )
        problems = notifier.after_booking(result)
        return with_problems(blocks.booked(result, now.date()), problems)

    message = message_only(answer(book, services.today()))
    reply_or_refresh(body, respond, client, services, message, replace_original=False)


def cancel_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    message = answer(
        lambda: _cancel(services, client, _user(body), action.get("value") or ""),
        services.today(),
    )
    reply_or_refresh(body, respond, client, services, message_only(message), replace_original=False)


def _decide(approve: bool) -> Callable[..., None]:
    def decided(
        ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
    ) -> None:
        ack()
        today = services.today()

        def decide() -> Message:
            notifier, booking_id = Notifier(services), button_id(action.get("value"))
            ended = services.hotdesk.decide(
                _user(body), booking_id, approve, notices=notifier.for_end
            )
            problems = notifier.after_end(ended)
            return with_problems(blocks.ended_reply(ended, today), problems)

        message = message_only(answer(decide, today))
        reply_or_refresh(body, respond, client, services, message, replace_original=True)

    return decided


def host_picked(ack: Ack, body: dict, action: dict, client: WebClient, services: Services) -> None:
    """Choosing an agency in the booking form shows its protocol and slots before submitting."""
    ack()
    view = body["view"]
    today = services.today()
    try:
        chosen = services.hotdesk.host((action.get("selected_option") or {}).get("value") or "")
    except Refusal:
        return  # the form keeps its note: choose an agency
    picked_day = input_value(view, "day")
    day = date.fromisoformat(picked_day) if picked_day else today
    metadata = form_metadata(view)
    form = blocks.booking_form(services.hotdesk.hosts(), chosen, day, metadata)
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise  # Slack failing: the guard tells the person
        log.info("booking form not refreshed: the person changed it meanwhile; theirs wins")


# Forms ------------------------------------------------------------------------------------------


def booking_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    now = services.now()
    host, day_text = input_value(view, "host"), input_value(view, "day")
    part = parse_part(input_value(view, "part") or "day")
    if not host or not day_text:
        errors = {"host": "Choose an agency."} if not host else {}
        ack(response_action="errors", errors=errors | ({} if day_text else {"day": "Pick a date."}))
        return
    notifier = Notifier(services)
    try:
        result = services.hotdesk.book(
            _user(body), host, date.fromisoformat(day_text), part, now,
            notices=notifier.for_booking,
        )  # fmt: skip
    except Refusal as refused:  # by the field it concerns, with any free slots nearby
        refuse_form(ack, view, refused, "day")
        return
    ack()
    problems = notifier.after_booking(result)
    metadata = form_metadata(view)
    message = with_problems(blocks.booked(result, now.date()), problems)
    services.sender.answer_form(_user(body), metadata, message)


def offer_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    metadata = form_metadata(view)
    flags = set(input_value(view, "flags") or [])
    try:
        closures = tuple(parse_dates(input_value(view, "closures"), services.today()))
    except Refusal as refused:
        refuse_form(ack, view, refused, "closures")
        return
    edit = OfferEdit(
        desks=_whole_number(input_value(view, "desks")),
        weekdays=tuple(input_value(view, "weekdays") or ()),
        half_days="half_days" in flags,
        needs_approval="needs_approval" in flags,
        closures=closures,
        closed_on_bank_holidays="bank_holidays" in flags,
        max_days_ahead=_whole_number(input_value(view, "max_days_ahead")),
        address=input_value(view, "address"),
        protocol=input_value(view, "protocol"),
        key_worker_ids=tuple(input_value(view, "key_workers") or ()),
    )
    code = metadata.get("code", "")
    try:
        host = services.hotdesk.save_offer(_user(body), code, edit, saving_anyway(view))
    except Refusal as refused:

        def again(held_back: FieldsLookPersonal) -> View:  # the form as typed, held back marked
            typed = replace(
                services.hotdesk.offer_for_edit(_user(body), code),
                desks=edit.desks, weekdays=edit.weekdays, half_days=edit.half_days,
                needs_approval=edit.needs_approval, closures=edit.closures,
                closed_on_bank_holidays=edit.closed_on_bank_holidays,
                max_days_ahead=edit.max_days_ahead, address=edit.address,
                protocol=edit.protocol,
                key_workers=tuple(Person(uid, uid) for uid in edit.key_worker_ids),
            )  # fmt: skip
            closures = input_value(view, "closures")
            return blocks.offer_form(typed, metadata, held_back.held, closures)

        refuse_form(ack, view, refused, "desks", again)
        return
    ack()
    services.sender.answer_form(_user(body), metadata, blocks.offer_saved(host))


def _whole_number(text: str) -> int:
    """Slack's number input sends text; anything unreadable becomes 0, which the rules refuse."""
    try:
        return int(str(text).strip())
    except ValueError:
        return 0


def register(app: App) -> None:
    app.command("/hotdesk")(guarded(hotdesk_command))
    app.action(BOOK_ACTIONS)(guarded(book_clicked))
    app.action(blocks.CANCEL_ACTION)(guarded(cancel_clicked))
    app.action(blocks.APPROVE_ACTION)(guarded(_decide(approve=True)))
    app.action(blocks.DECLINE_ACTION)(guarded(_decide(approve=False)))
    app.action(blocks.HOST_PICKED)(guarded(host_picked))
    app.view(blocks.BOOK_FORM)(guarded(booking_submitted))
    app.view(blocks.OFFER_FORM)(guarded(offer_submitted))
