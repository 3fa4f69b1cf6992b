"""`/session`: record sessions and commitments, answer follow-ups, RSVP, reflect.

Each listener acks first (forms: after checking, so problems show by the field), translates
Slack's input, calls one service method and renders.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.dates import parse_date
from bot.services.directory import OrganisationRef
from bot.services.gate import FieldsLookPersonal, LooksPersonal
from bot.services.outbox import no_notices
from bot.services.refusal import Refusal
from bot.services.sessions import (
    CommitmentInput,
    SessionInput,
    SessionInvalid,
    SessionProblem,
)
from bot.services.updates import check_text
from bot.slack.blocks import sessions as blocks
from bot.slack.blocks import updates as update_blocks
from bot.slack.blocks.common import Answer, Message, message_only, reply
from bot.slack.forms import saving_anyway
from bot.slack.guard import guarded
from bot.slack.home_tab import reply_or_refresh
from bot.slack.parsing import (
    button_id,
    first_word,
    form_metadata,
    input_value,
    reading_button,
    user_id_in,
)
from bot.slack.profiles import profile_loader
from bot.slack.refusals import answer, answer_post, form_errors, refuse_form
from bot.slack.update_posts import update_post, update_posted
from bot.slack.wiring import Services

log = logging.getLogger(__name__)

BY = re.compile(r"(?:^|\s)by\s+(.+)$", re.IGNORECASE)
QUOTED = re.compile(r'^\s*["“]([^"”]{1,150})["”](.*)$', re.DOTALL)
REF = re.compile(r"^[sS]?(\d{1,9})$")
STATUS_ACTIONS = re.compile(f"^{blocks.STATUS_ACTION}(:|$)")
RSVP_ACTIONS = re.compile(f"^{blocks.RSVP_ACTION}(:|$)")
COMMIT_EXAMPLE = "/session commit me share the job description by 12/12"


def parse_commitment(text: str, user_id: str, today: date) -> CommitmentInput:
    """ "me share the JD by 12/12", "<@U123|amina> prototype the service" or, for a key worker
    reached by email, '"Jamal Hussain" send the leaflet' → typed input."""
    quoted = QUOTED.match(text)
    named = ""
    if quoted:
        owner: str | None = ""
        named, rest = " ".join(quoted[1].split()), quoted[2].strip()
    else:
        who, rest = first_word(text)
        owner = user_id if who == "me" else user_id_in(text.split(maxsplit=1)[0] if text else "")
    if owner is None or not rest:
        raise SessionProblem(
            "Say whose commitment it is (`me` or @someone) and what.", COMMIT_EXAMPLE
        )
    due_on = None
    by = BY.search(rest)
    if by:
        due_on = parse_date(by[1], today, COMMIT_EXAMPLE)
        rest = rest[: by.start()].strip()
    return CommitmentInput(owner_id=owner, what=rest, due_on=due_on, owner_name=named)


def _session_id(text: str) -> int:
    match = REF.match(text.strip())
    if match is None:
        raise SessionProblem("Which session? Give its reference.", "/session show S3")
    return int(match[1])


# The command ------------------------------------------------------------------------------------


def _new_form(services: Services, user_id: str, metadata: dict) -> View:
    if user_id not in services.directory.coordinator_ids():
        raise SessionProblem(
            "Only the partnership's coordinators record sessions; anyone can add their own "
            "commitment to the latest one.",
            COMMIT_EXAMPLE,
        )
    organisations = [OrganisationRef(o.code, o.name) for o in services.directory.organisations()]
    by_email = services.sessions.owners_by_email()
    return blocks.session_form(organisations, services.today(), metadata, by_email=by_email)


def session_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    text = (command.get("text") or "").strip()
    word, rest = first_word(text)
    user_id, today, sessions = command["user_id"], services.today(), services.sessions
    if word == "new":
        answered = answer(
            lambda: _new_form(services, user_id, {"response_url": command.get("response_url")}),
            today,
        )
        if isinstance(answered, View):
            client.views_open(trigger_id=command["trigger_id"], view=answered)
        else:
            reply(respond, answered)
        return
    subcommands: dict[str, Callable[[], Answer]] = {
        "commit": lambda: blocks.committed(
            sessions.commit(
                user_id, parse_commitment(rest, user_id, today), today, profile_loader(client)
            ),
            today,
        ),
        "list": lambda: blocks.session_list(sessions.recent(), today),
        "show": lambda: blocks.session_card(sessions.show(_session_id(rest)), today),
        "mine": lambda: blocks.my_commitments(sessions.mine(user_id), today),
    }
    reply(respond, message_only(answer(subcommands.get(word, blocks.help_message), today)))


# Buttons ----------------------------------------------------------------------------------------


def _user(body: dict) -> str:
    return body["user"]["id"]


def status_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    """Done and Still working at once; Need help first asks what would help."""
    ack()
    with reading_button():
        chosen = json.loads(action.get("value") or "{}")
        status, commitment = str(chosen["status"]), chosen["id"]
    commitment_id = button_id(commitment)
    if status == "help":
        metadata = {"response_url": body.get("response_url")}
        client.views_open(
            trigger_id=body["trigger_id"], view=blocks.note_form(commitment_id, metadata)
        )
        return
    today = services.today()

    def change() -> Message:
        result = services.sessions.set_status(
            _user(body), commitment_id, status, notices=no_notices
        )
        return blocks.status_changed(result.commitment, result.changed, today)

    message = message_only(answer(change, today))
    reply_or_refresh(body, respond, client, services, message, replace_original=False)


def rsvp_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    ack()
    with reading_button():
        chosen = json.loads(action.get("value") or "{}")
        reply_given, session = str(chosen["answer"]), chosen["session"]
    session_id, today = button_id(session), services.today()

    def answer_invitation() -> Message:
        view, changed = services.sessions.rsvp(_user(body), session_id, reply_given)
        return blocks.rsvp_noted(view, reply_given, changed, today)

    message = message_only(answer(answer_invitation, today))
    reply_or_refresh(body, respond, client, services, message, replace_original=False)


def reflect_clicked(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
    ack()
    session_id = button_id(action.get("value"))
    client.views_open(trigger_id=body["trigger_id"], view=blocks.reflect_form(session_id))


def share_clicked(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, services: Services
) -> None:
    """Share a reflection as an update: the update's own path, privacy guard included."""
    ack()
    text = action.get("value") or ""
    # The reflection's own message: a second click on it shares nothing more.
    container = body.get("container") or {}
    ts = container.get("message_ts")
    once = f"reflection:{container.get('channel_id')}:{ts}" if ts else None
    message = answer_post(
        lambda: update_posted(
            services.updates.publish(
                _user(body), text, (), False, update_post(services), once=once
            ),
            services,
        ),
        services.today(),
        "update",
        update_blocks.REPOST_ACTION,
    )
    reply(respond, message, replace_original=False)


# Forms ------------------------------------------------------------------------------------------


def _from_form(view: dict) -> tuple[SessionInput, list[int]]:
    """The form's entry, and the form row each of its commitments came from (empty rows are
    left out, so the service's `what_2` may be the form's `what_3`)."""

    def day(block: str) -> date | None:
        value = input_value(view, block)
        return date.fromisoformat(value) if value else None

    commitments, rows = [], []
    for row in range(1, blocks.COMMITMENT_ROWS + 1):
        owner, what = input_value(view, f"owner_{row}"), input_value(view, f"what_{row}")
        by_email = input_value(view, f"by_email_{row}")  # someone not on Slack, by name
        if owner or by_email or what:
            owner_name = "" if owner else by_email
            commitments.append(CommitmentInput(owner or "", what, day(f"due_{row}"), owner_name))
            rows.append(row)
    entry = SessionInput(
        title=input_value(view, "title"),
        kind=input_value(view, "kind"),
        held_on=day("held_on") or date.min,
        organisations=tuple(c for c in input_value(view, "organisations") or () if c != "-"),
        next_on=day("next_on"),
        next_place=input_value(view, "next_place"),
        commitments=tuple(commitments),
    )
    return entry, rows


def _block_id(field: str, rows: list[int]) -> str:
    """The service's `what_N` (the Nth commitment) as the block id of its row in the form."""
    name, _, number = field.rpartition("_")
    if name in ("what", "owner", "due") and number.isdigit():
        return f"{name}_{rows[int(number) - 1]}"
    return field


def _on_form_rows(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    return {_block_id(field, rows): error for field, error in errors.items()}


def _held_on_form_rows(found: FieldsLookPersonal, rows: list[int]) -> FieldsLookPersonal:
    return FieldsLookPersonal(
        [
            LooksPersonal(_block_id(field, rows), looks.findings, looks.may_share_anyway)
            for field, looks in found.held.items()
        ]
    )


def session_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    (entry, rows), today = _from_form(view), services.today()
    anyway = saving_anyway(view)
    metadata = form_metadata(view)
    missing = {
        f"owner_{row}": "Who made this commitment?"
        for row, commitment in zip(rows, entry.commitments, strict=True)
        if not (commitment.owner_id or commitment.owner_name)
    }
    missing |= {
        f"by_email_{row}": "Choose someone on Slack or someone by email, not both."
        for row in rows
        if input_value(view, f"owner_{row}") and input_value(view, f"by_email_{row}")
    }
    try:
        services.sessions.review(entry, today, anyway)
    except SessionInvalid as invalid:
        missing |= _on_form_rows(form_errors(invalid), rows)
    except FieldsLookPersonal as found:
        if not missing:
            refuse_form(
                ack,
                view,
                _held_on_form_rows(found, rows),
                again=lambda held: _new_form_again(services, metadata, entry, rows, held.held),
            )
            return
    if missing:
        ack(response_action="errors", errors=missing)
        return
    ack()
    message = message_only(
        answer(
            lambda: blocks.recorded(
                services.sessions.record(_user(body), entry, today, profile_loader(client), anyway),
                today,
            ),
            today,
        )
    )
    services.sender.answer_form(_user(body), metadata, message)


def _new_form_again(
    services: Services,
    metadata: dict,
    entry: SessionInput,
    rows: list[int],
    held: dict[str, LooksPersonal],
) -> View:
    """The recording form again, as typed, each field the privacy guard held back marked."""
    organisations = [OrganisationRef(o.code, o.name) for o in services.directory.organisations()]
    by_email = services.sessions.owners_by_email()
    return blocks.session_form(
        organisations, services.today(), metadata, entry, rows, held, by_email
    )


def help_note_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    metadata = form_metadata(view)
    note, anyway = input_value(view, "note"), saving_anyway(view)
    try:
        services.sessions.review_note(note, anyway)
    except Refusal as refused:

        def again(held: FieldsLookPersonal) -> View:
            return blocks.note_form(int(metadata["commitment"]), metadata, note, held.held)

        refuse_form(ack, view, refused, "note", again)
        return
    ack()
    today = services.today()

    def ask_for_help() -> Message:
        result = services.sessions.set_status(
            _user(body), int(metadata["commitment"]), "help", note, anyway,
            notices=blocks.coordinators_told(today),
        )  # fmt: skip
        services.sender.notices(result.notices)
        return blocks.status_changed(result.commitment, result.changed, today)

    services.sender.answer_form(_user(body), metadata, message_only(answer(ask_for_help, today)))


def reflection_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    text = input_value(view, "answer")
    try:
        check_text(text)
    except Refusal as refused:  # the update's own rules: the answer may become one
        refuse_form(ack, view, refused, "answer")
        return
    ack()
    message = blocks.reflection(text.strip())
    services.sender.dm(_user(body), message)


def register(app: App) -> None:
    app.command("/session")(guarded(session_command))
    app.action(STATUS_ACTIONS)(guarded(status_clicked))
    app.action(RSVP_ACTIONS)(guarded(rsvp_clicked))
    app.action(blocks.REFLECT_ACTION)(guarded(reflect_clicked))
    app.action(blocks.SHARE_ACTION)(guarded(share_clicked))
    app.view(blocks.SESSION_FORM)(guarded(session_submitted))
    app.view(blocks.HELP_FORM)(guarded(help_note_submitted))
    app.view(blocks.REFLECT_FORM)(guarded(reflection_submitted))
