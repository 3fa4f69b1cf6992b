"""Data protection: `/partners my-data`, `forget-me`, `remove`, `audit`, and Slack's events about
users leaving and the app being uninstalled."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.services.audit import entries
from bot.services.outbox import UNSURE, Notice
from bot.services.refusal import Refusal
from bot.services.rights import REMOVAL, Aftermath, Receipt, Rights, resume_sending
from bot.slack.blocks import rights as blocks
from bot.slack.blocks.common import Message, notice, problem
from bot.slack.client import TIMEOUT, UNREACHABLE
from bot.slack.guard import guarded
from bot.slack.parsing import form_metadata, input_value, user_id_in
from bot.slack.refusals import render
from bot.slack.wiring import Services

log = logging.getLogger(__name__)

REDRAW_NOW = 50  # redrawn while the person waits for the receipt; housekeeping does the rest
TRY_AGAIN = {
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    TIMEOUT, UNREACHABLE,
}  # fmt: skip


def my_data(user_id: str, services: Services) -> Message:
    """Everything the bot holds about the member, as a JSON file in their DM."""
    content = json.dumps(services.rights.export(user_id), indent=2, ensure_ascii=False)
    sent = services.sender.upload(
        user_id,
        {
            "content": content,
            "filename": "partnerbot-my-data.json",
            "title": "Everything Partnerbot holds about you",
            "initial_comment": "Here is everything Partnerbot holds about you, as JSON.",
        },
    )
    if sent.status == UNSURE:
        return problem(
            "I couldn't put the file in your DMs for certain: Slack didn't answer in time. "
            "If it isn't there in a minute, please try again."
        )
    if not sent.ok:
        return problem("I couldn't put the file in your DMs just now. Please try again shortly.")
    return notice(":inbox_tray: Sent to your DMs: everything Partnerbot holds about you (JSON).")


def forget_form(user_id: str, subject_text: str, services: Services) -> Message | View:
    """The confirmation first: for oneself, or (coordinators) for someone who has left."""
    if not subject_text:
        return blocks.forget_form(user_id, by_self=True)
    subject = user_id_in(subject_text)
    if subject is None:
        return problem("Name the person with an @mention: `/partners remove @sam`.")
    if user_id not in services.directory.coordinator_ids():
        return problem("Only coordinators can remove someone else's data.")
    return blocks.forget_form(subject, by_self=False)


def resume(user_id: str, services: Services) -> Message:
    if not resume_sending(services.engine, user_id):
        return notice("Scheduled sending wasn't paused; nothing to do.")
    return notice(":arrow_forward: Scheduled sending has resumed: digests, reminders, follow-ups.")


def audit_trail(user_id: str, services: Services) -> Message:
    return blocks.audit_trail(entries(services.engine, user_id), services.zone)


def forget_submitted(
    ack: Ack, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    ack()
    actor = body["user"]["id"]
    subject = form_metadata(view).get("subject") or actor
    delete_content = input_value(view, "content") == blocks.DELETE_CONTENT
    now = services.now()

    def hosts_told(receipt: Receipt) -> list[Notice]:
        return [
            Notice("dm", person, blocks.visit_cancelled(booking, now.date()).rendered())
            for booking in receipt.bookings_cancelled
            for person in booking.host.key_worker_ids
        ]

    try:
        done = services.rights.forget(actor, subject, delete_content, now, notices=hosts_told)
    except Refusal as refused:
        services.sender.tell([actor], render(refused, now.date()))
        return
    # Slack after the commit: what fails here is told, and never undoes the erasure.
    sent = services.sender.notices(done.notices)
    aftermath = redraw_messages(client, services.rights, done.redraws, REDRAW_NOW)
    aftermath.not_deleted += [
        went.error for notice, went in sent if notice.about == REMOVAL and not went.ok
    ]
    by_self = actor == subject
    services.sender.tell([actor], blocks.receipt(done, by_self, aftermath))
    if aftermath.problems:
        services.rights.slack_problems(done.reference, str(aftermath))
        if by_self:  # they can't put Slack right themselves; the coordinators can
            services.sender.tell(
                done.coordinator_ids, blocks.slack_problems(done.reference, aftermath)
            )


def redraw_messages(
    client: WebClient, rights: Rights, only: Sequence[int] | None = None, limit: int = 1000
) -> Aftermath:
    """Redraw in Slack the messages an erasure rewrote (chat.update from the stored copy):
    channel copies first. Gone from Slack counts as done; what Slack may do later (a 5xx, a
    timeout) stays marked for the next housekeeping; anything else is given up, and said."""
    aftermath = Aftermath()
    if only is not None and not only:
        return aftermath
    due = rights.redraws(only)
    aftermath.left = max(len(due) - limit, 0)
    settled = []
    for item in due[:limit]:
        try:
            channel = item.channel or _channel_of(client, item.recipient)
            if channel is None:  # sent to a #name before the bot kept Slack's channel ids
                aftermath.failed.append("channel id not recorded")
                settled.append(item.delivery_id)
                continue
            client.chat_update(channel=channel, ts=item.ts, text=item.text, blocks=item.blocks)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            log.warning("could not redraw delivery %s: %s", item.delivery_id, code)
            if code == "message_not_found":  # deleted in Slack: nothing left to show
                settled.append(item.delivery_id)
            elif code in TRY_AGAIN or error.response.status_code >= 500:
                aftermath.retry.append(code)
            else:
                aftermath.failed.append(code)
                settled.append(item.delivery_id)
            continue
        aftermath.redrawn += 1
        settled.append(item.delivery_id)
    rights.redrawn(settled)
    return aftermath


def _channel_of(client: WebClient, recipient: str) -> str | None:
    """The channel id chat.update needs: a DM's is found by opening it; a #name's is unknown."""
    if recipient[:1] in ("U", "W"):
        return client.conversations_open(users=recipient)["channel"]["id"]
    return recipient if recipient[:1] in ("C", "G", "D") else None


def user_changed(event: dict, client: WebClient, services: Services) -> None:
    """Deactivated in Slack: the coordinators get what needs handing over."""
    user = event.get("user") or {}
    if not user.get("deleted"):
        return
    now = services.now()
    leaving = services.rights.handover(user.get("id", ""), now)
    if leaving is not None:
        services.sender.tell(leaving.coordinator_ids, blocks.handover(leaving, now.date()))


def uninstalled(event: dict, services: Services) -> None:
    """Scheduled sending stops; the data stays until retention removes it."""
    services.rights.pause_sending(event.get("type", "app_uninstalled"))


HANDLED = {
    "user_change": user_changed,
    "app_uninstalled": uninstalled,
    "tokens_revoked": uninstalled,
}


def register(app: App) -> None:
    for event_type, listener in HANDLED.items():
        app.event(event_type)(guarded(listener))
    app.view(blocks.FORGET_FORM)(guarded(forget_submitted))
