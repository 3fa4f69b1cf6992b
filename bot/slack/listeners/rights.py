"""Data protection: `/partners my-data`, `forget-me`, `remove`, `audit`, and Slack's events about
users leaving and the app being uninstalled."""

from __future__ import annotations

import json
from collections.abc import Callable

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services.outbox import Notice
from bot.services.refusal import Refusal
from bot.services.rights import REMOVAL, Handover, Receipt
from bot.slack.blocks import rights as blocks
from bot.slack.blocks.common import Answer, Message, not_in_dms, notice, problem
from bot.slack.guard import guarded
from bot.slack.parsing import form_metadata, input_value, user_id_in
from bot.slack.partners_command import Invocation, Subcommands
from bot.slack.redraws import redraw_messages
from bot.slack.refusals import render
from bot.slack.wiring import Services

REDRAW_NOW = 50  # redrawn while the person waits for the receipt; housekeeping does the rest


def my_data(call: Invocation) -> Message:
    """Everything the bot holds about the member, as a JSON file in their DM."""
    user_id, services = call.user_id, call.services
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
    failed = not_in_dms(sent, "the file")
    if failed is not None:
        return failed
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


def forget_me(call: Invocation) -> Answer:
    return forget_form(call.user_id, "", call.services)


def remove(call: Invocation) -> Answer:
    if not call.args:
        return problem("Name the person with an @mention: `/partners remove @sam`.")
    return forget_form(call.user_id, call.args, call.services)


def resume(call: Invocation) -> Message:
    if not call.services.rights.resume_sending(call.user_id):
        return notice("Scheduled sending wasn't paused; nothing to do.")
    return notice(":arrow_forward: Scheduled sending has resumed: digests, reminders, follow-ups.")


def audit(call: Invocation) -> Message:
    services = call.services
    return blocks.audit_trail(services.rights.audit_trail(call.user_id), services.zone)


SUBCOMMANDS: Subcommands = {
    "my-data": my_data,
    "forget-me": forget_me,
    "remove": remove,
    "audit": audit,
    "resume": resume,
}


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


def user_changed(event: dict, client: WebClient, services: Services) -> None:
    """Deactivated in Slack: the coordinators get what needs handing over."""
    user = event.get("user") or {}
    if not user.get("deleted"):
        return
    now = services.now()

    def coordinators_told(leaving: Handover) -> list[Notice]:
        message = blocks.handover(leaving, now.date()).rendered()
        return [Notice("dm", person, message) for person in leaving.coordinator_ids]

    leaving = services.rights.handover(user.get("id", ""), now, notices=coordinators_told)
    if leaving is not None:
        services.sender.notices(leaving.notices)


def uninstalled(event: dict, body: dict, services: Services) -> None:
    """Scheduled sending stops and (OAuth mode) the workspace's installation goes; the data
    stays until retention removes it."""
    services.workspace.uninstalled(body.get("team_id"), event.get("type", "app_uninstalled"))


HANDLED: dict[str, Callable[..., None]] = {
    "user_change": user_changed,
    "app_uninstalled": uninstalled,
    "tokens_revoked": uninstalled,
}


def register(app: App) -> None:
    for event_type, listener in HANDLED.items():
        app.event(event_type)(guarded(listener))
    app.view(blocks.FORGET_FORM)(guarded(forget_submitted))
