"""Data-protection surfaces: the erasure confirmation, receipts, notices and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, HeaderBlock, InputBlock, Option, RadioButtonsElement
from slack_sdk.models.views import View

from bot.services.audit import AuditView
from bot.services.dates import format_date
from bot.services.hotdesk.types import Booking
from bot.services.rights import Aftermath, Handover, Receipt
from bot.slack.blocks.common import Message, clip, context, escape, section, user_link

FORGET_FORM = "rights_forget_form"
DELETE_CONTENT = "delete"
KEEP_CONTENT = "keep"


def forget_form(subject_id: str, by_self: bool) -> View:
    """Says exactly what will happen before anything does."""
    whose = "your" if by_self else f"{user_link(subject_id)}'s"
    whose_ = "Your" if by_self else whose  # at the start of a line
    they = "you" if by_self else "they"
    steps = "\n".join(
        (
            f"• {whose_} coming hot-desk bookings are cancelled, and the hosts told.",
            f"• {whose_} interest in opportunities and replies to invitations are removed.",
            f'• Commitments {they} own pass to the coordinators, marked "owner left".',
            f"• {whose_} profile, membership, preferences and held drafts are deleted, "
            "and the Slack id is removed from anything that still mentions it.",
            "• If the updates and opportunities are deleted, the weekly digests that quoted them "
            "are redrawn without them.",
            "• A reload of the partnership file won't bring this person back.",
            "• The audit trail records that an erasure happened: not who, not what was erased.",
        )
    )
    choices = [
        Option(text="Delete the updates and opportunities too", value=DELETE_CONTENT),
        Option(text="Keep them, attributed to the organisation only", value=KEEP_CONTENT),
    ]
    blocks: list[Block] = [
        section(f"*This erases {whose} data in Partnerbot. It can't be undone.*\n{steps}"),
        InputBlock(
            block_id="content",
            label="Updates and opportunities already shared",
            element=RadioButtonsElement(
                action_id="value", options=choices, initial_option=choices[1]
            ),
        ),
        context("Slack's own copies of messages are Slack's: deleted ones are removed there too."),
    ]
    return View(
        type="modal",
        callback_id=FORGET_FORM,
        title="Erase data" if by_self else "Remove a member",
        submit="Erase",
        close="Cancel",
        private_metadata=json.dumps({"subject": subject_id}),
        blocks=blocks,
    )


def receipt(done: Receipt, by_self: bool, aftermath: Aftermath | None = None) -> Message:
    content = "deleted" if done.content_deleted else "kept, attributed to the organisation only"
    lines = [
        f"• hot-desk bookings cancelled (hosts told): {len(done.bookings_cancelled)}",
        f"• interest removed: {done.interest_removed}; replies removed: {done.rsvps_removed}",
        f"• commitments passed to the coordinators: {done.commitments_reassigned}",
        f"• updates: {done.updates}, opportunities: {done.opportunities} — {content}",
        "• profile, membership, preferences and drafts: deleted",
    ]
    if done.key_worker_entries:
        lines.append(
            f"• named as key worker for {done.key_worker_entries} organisation"
            f"{'s' if done.key_worker_entries != 1 else ''}: removed"
        )
    if done.stored_messages_rewritten:
        redrawn = f"; redrawn in Slack: {aftermath.redrawn}" if aftermath else ""
        lines.append(
            "• digests and reminders that quoted them, as the bot keeps them: "
            f"{done.stored_messages_rewritten} rewritten{redrawn}"
        )
    lines.append(
        f"• the partnership file: a reload skips {'you' if by_self else 'them'} (all the bot "
        "keeps is a keyed hash of the Slack id, to recognise it)"
    )
    who = "Your data has" if by_self else "Their data has"
    blocks = [
        section(f":white_check_mark: *{who} been erased.* Receipt `{done.reference}`."),
        section("\n".join(lines)),
    ]
    if aftermath and (aftermath.problems or aftermath.left):
        blocks.append(section(_slack_lines(aftermath)))
    return Message(text=f"{who} been erased (receipt {done.reference}).", blocks=blocks)


def slack_problems(reference: str, aftermath: Aftermath) -> Message:
    """For the coordinators, when a member's own erasure left Slack showing what it removed."""
    return Message(
        text=f"After erasure {reference}, Slack still shows some of what was removed",
        blocks=[
            section(
                f":warning: After a member's erasure (receipt `{reference}`), Slack still shows "
                "some of what was removed.\n" + _slack_lines(aftermath)
            )
        ],
    )


def _slack_lines(aftermath: Aftermath) -> str:
    def errors(codes: list[str]) -> str:
        return escape(", ".join(sorted(set(codes))))

    lines = []
    if aftermath.left:
        lines.append(
            f"• {aftermath.left} more copies in members' DMs: redrawn by the nightly housekeeping"
        )
    if aftermath.retry:
        lines.append(
            f":warning: Slack would not redraw {len(aftermath.retry)} just now "
            f"({errors(aftermath.retry)}): Partnerbot tries again at its nightly housekeeping."
        )
    if aftermath.failed:
        lines.append(
            f":warning: Slack would not redraw {len(aftermath.failed)} "
            f"({errors(aftermath.failed)}): a coordinator can delete them in Slack."
        )
    if aftermath.not_deleted:
        lines.append(
            f":warning: Slack would not delete {len(aftermath.not_deleted)} of their channel "
            f"posts ({errors(aftermath.not_deleted)}): a coordinator can delete them in Slack."
        )
    return "\n".join(lines)


def visit_cancelled(booking: Booking, today: date) -> Message:
    return Message(
        text=f"Visit {booking.ref} cancelled",
        blocks=[
            section(
                f":wastebasket: The visit to *{escape(booking.host.name)}* on "
                f"{format_date(booking.day, today)} ({booking.ref}) is cancelled: the visitor has "
                "left the partnership. The desk is free again."
            )
        ],
    )


def handover(leaving: Handover, today: date) -> Message:
    name = escape(leaving.member_name)
    where = f" ({escape(leaving.organisation)})" if leaving.organisation else ""
    commitments = "\n".join(f"• {escape(what)}" for what in leaving.commitments[:20]) or "• none"
    bookings = (
        "\n".join(
            f"• {b.ref} {escape(b.host.name)}, {format_date(b.day, today)}"
            for b in leaving.bookings[:20]
        )
        or "• none"
    )
    return Message(
        text=f"{leaving.member_name} has left Slack",
        blocks=[
            section(f":wave: *{name}*{where} has been deactivated in Slack. To hand over:"),
            section(clip(f"*Open commitments*\n{commitments}", 3000)),
            section(clip(f"*Coming hot-desk bookings*\n{bookings}", 3000)),
            context(
                "To erase their data too: `/partners remove @them` (updates can be kept for "
                "their organisation)."
            ),
        ],
    )


def audit_trail(entries: Sequence[AuditView], zone: ZoneInfo) -> Message:
    lines = "\n".join(
        f"• {entry.at.astimezone(zone):%-d %b %Y %H:%M} — "
        f"{user_link(entry.actor) if entry.actor[:1] in 'UW' else escape(entry.actor)}: "
        f"*{escape(entry.action)}* {escape(entry.detail)}"
        for entry in entries
    )
    return Message(
        text="Audit trail",
        blocks=[
            HeaderBlock(text="Audit trail (latest first)"),
            section(clip(lines or "Nothing recorded yet.", 3000)),
            context("Coordinator actions and erasures: who, what, when — never erased content."),
        ],
    )
