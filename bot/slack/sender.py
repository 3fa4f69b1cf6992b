"""The one path by which the bot changes Slack: sending outbox items (bot.services.outbox).

Posts, redraws, deletes, DMs, replies through a response URL (`OutboxRespond`, Bolt's `respond`
for every listener), Home tabs and file uploads. Services write what Slack should do in the
transaction of their change; this sends it after the commit, records how it went, and tells the
person when Slack did not do it: a change whose channel message could not be redrawn or
removed, a post a crash interrupted. Slack's failures all arrive as SlackApiError
(bot.slack.client); a timeout is `unsure`, never retried.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.error import HTTPError

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot.db import statements_alone
from bot.partnership_scope import in_partnership
from bot.services import outbox
from bot.services.channel_posts import NotPosted
from bot.services.outbox import PENDING, UNSURE, Interrupted, Sent, Taken, Written
from bot.slack import transport
from bot.slack.blocks import opportunities as opportunity_blocks
from bot.slack.blocks import updates as update_blocks
from bot.slack.blocks.common import Message, not_posted
from bot.slack.blocks.render import render
from bot.slack.client import TRANSPORT_ERRORS, UNCERTAIN, regarding
from bot.slack.pacing import SENDERS, Pacer, answering_429s, in_rounds
from bot.slack.posting import GONE
from bot.slack.work_slots import waiting_for_slack

log = logging.getLogger("partnerbot")

NOT_CHANGED = {
    "redraw": "Your change is saved, but Slack didn't {how} the channel message showing it. "
    "It will be brought up to date with the next change; check the channel meanwhile.",
    "delete": "It is removed from the partnership's records, but Slack didn't {how} its "
    "channel message. Check the channel, and delete the message there if it is still showing.",
}
JSON = {"Content-Type": "application/json;charset=utf-8"}
BASE64 = "_base64"  # an upload's key holding bytes, base64-encoded
REPOST = {
    "update": ("update", update_blocks.REPOST_ACTION),
    "opportunity": ("opportunity", opportunity_blocks.REPOST_ACTION),
}


class Sender:
    """Sends outbox items, each claimed so no two processes send it both: one at a time, or
    for a job's many notices, several at a time within Slack's limits (`paced`)."""

    def __init__(self, engine: Engine, client: WebClient) -> None:
        self.engine, self.client = engine, client

    def __call__(self, ids: Sequence[int]) -> list[Sent]:
        return [self._send(item_id) for item_id in ids]

    def notices(self, written: Sequence[Written]) -> list[tuple[Written, Sent]]:
        """Send the notices a change wrote in its transaction; each with how it went."""
        return list(zip(written, self([notice.id for notice in written]), strict=True))

    def paced(
        self, written: Sequence[Written], pacer: Pacer | None = None, senders: int = SENDERS
    ) -> list[tuple[Written, Sent]]:
        """The notices a job wrote, as `notices` sends them but `senders` in flight (Slack is
        a round trip away), each waiting on the pacer for its target before it is taken. One
        Slack refused with a 429 (it posted nothing) goes back to pending and again after the
        slowdown; still refused after a few passes, it is left to the sweep."""
        pacer = pacer or Pacer()
        client = answering_429s(self.client)

        def send(notice: Written) -> Sent:
            pacer.wait(notice.target)  # before the take: a crash here leaves it plainly pending
            return self._send(notice.id, client, pacer)

        sent = in_rounds(written, send, lambda outcome: outcome.status == PENDING, senders)
        return list(zip(written, sent, strict=True))

    def dm(self, user_id: str, message: Message) -> Sent:
        """A direct message to a person, through the outbox like every other."""
        with statements_alone(self.engine) as session:
            item_id = outbox.write(session, "dm", user_id, message.rendered())
        return self._send(item_id)

    def respond(self, url: str, body: dict[str, Any]) -> Sent:
        """A reply through a response URL (Slack's, valid 30 minutes, five uses). One that
        cannot be written to the outbox (the database away) is sent unrecorded: a person is
        always answered, the answer being, then, that the database is away."""
        try:
            with statements_alone(self.engine) as session:
                item_id = outbox.write(session, "respond", "", {"url": url, "body": body})
        except DBAPIError:
            unrecorded = Taken(0, "respond", "", None, {"url": url, "body": body}, None)
            return self._make(unrecorded, self.client)
        return self._send(item_id)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> Sent:
        """A member's Home tab, drawn afresh."""
        with statements_alone(self.engine) as session:
            item_id = outbox.write(session, "home", user_id, {"view": view})
        return self._send(item_id)

    def upload(self, user_id: str, file: dict[str, str | bytes]) -> Sent:
        """A file into a member's DM: `content` (text, or bytes: an image, a spreadsheet),
        `filename`, `title`, `initial_comment`. Bytes are stored as base64, the outbox's
        message being text."""
        stored = {
            f"{key}{BASE64}" if isinstance(value, bytes) else key: (
                base64.b64encode(value).decode() if isinstance(value, bytes) else value
            )
            for key, value in file.items()
        }
        with statements_alone(self.engine) as session:
            item_id = outbox.write(session, "upload", user_id, stored)
        return self._send(item_id)

    def answer_form(self, user_id: str, metadata: dict[str, Any], message: Message) -> Sent:
        """After a form: reply where its command was typed (the response URL it carried, in
        the form's metadata), else by DM."""
        url = metadata.get("response_url")
        if not url:
            return self.dm(user_id, message)
        return OutboxRespond(url, self)(
            text=message.text, blocks=list(message.blocks), replace_original=False
        )

    def tell(self, people: Sequence[str], message: Message) -> list[Sent]:
        """The same direct message to each of `people`; a failure is logged and returned."""
        return [self.dm(person, message) for person in people]

    def sweep(self) -> None:
        """Send what a dead process wrote and never sent; report what it was sending: each
        partnership's in its own, so one's failure leaves the others' swept."""
        for partnership in outbox.partnerships_to_sweep(self.engine):
            try:
                with in_partnership(partnership):
                    self._sweep_one()
            except Exception:  # the next sweep tries again
                log.exception("outbox sweep failed for partnership %s", partnership)

    def _sweep_one(self) -> None:
        self(outbox.abandoned(self.engine))
        for item in outbox.interrupted(self.engine):
            log.warning("outbox item %s (%s) interrupted mid-send", item.id, item.kind)
            self._report_interrupted(item)

    def _send(
        self, item_id: int, client: WebClient | None = None, pacer: Pacer | None = None
    ) -> Sent:
        """Take the item and make it, through `client` (else the sender's own); with a pacer,
        a 429 puts it back to pending (Slack did nothing) and slows the pacer."""
        taken = outbox.take(self.engine, item_id)
        if taken is None:  # sent, or being sent, by another process
            return outbox.state(self.engine, item_id)
        try:
            sent = self._make(taken, client or self.client)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            if pacer is not None and pacer.refused(error) and outbox.put_back(self.engine, item_id):
                return Sent(PENDING, error=code)
            if taken.kind in ("redraw", "delete") and code in GONE:
                sent = Sent("gone", taken.target, taken.ts)
            else:
                sent = Sent(UNSURE if code in UNCERTAIN else "failed", error=code)
                log.warning("outbox item %s (%s) failed: %s", item_id, taken.kind, code)
        if pacer is not None and sent.ok:
            pacer.confirmed()
        outbox.record(self.engine, item_id, sent, taken.kind)
        if not sent.ok and taken.kind in NOT_CHANGED:
            self._report_unchanged(taken.kind, taken.report_to, sent.status == UNSURE)
        return sent

    def _make(self, taken: Taken, client: WebClient) -> Sent:
        text, blocks = taken.message.get("text", ""), taken.message.get("blocks")
        if taken.kind == "respond":
            return self._reply(taken.message["url"], taken.message["body"])
        if taken.kind == "home":
            client.views_publish(user_id=taken.target, view=taken.message["view"])
            return Sent("sent")
        if taken.kind == "upload":
            with regarding(taken.target):  # the upload's calls name only the DM's channel
                channel = client.conversations_open(users=taken.target)["channel"]["id"]
                client.files_upload_v2(channel=channel, **_decoded(taken.message))
            return Sent("sent", channel)
        if taken.kind in ("post", "dm"):
            answer = client.chat_postMessage(channel=taken.target, text=text, blocks=blocks)
            return Sent("sent", answer["channel"], answer["ts"])
        if taken.kind == "redraw":
            client.chat_update(channel=taken.target, ts=taken.ts or "", text=text, blocks=blocks)
        elif taken.kind == "delete":
            client.chat_delete(channel=taken.target, ts=taken.ts or "")
        else:
            raise ValueError(f"unknown outbox kind {taken.kind}")
        return Sent("sent", taken.target, taken.ts)

    def _reply(self, url: str, body: dict[str, Any]) -> Sent:
        """Through the response URL: Slack answers 200 "ok", or an error such as `used_url`."""
        try:
            with waiting_for_slack():
                transport.post(url, json.dumps(body).encode(), JSON, self.client.timeout)
        except HTTPError as refused:
            answer = refused.read().decode(errors="replace")
            return Sent("failed", error=f"http_{refused.code} {answer}"[:200])
        except TRANSPORT_ERRORS as error:
            maybe_done = isinstance(error, TimeoutError | transport.AnswerLost) or isinstance(
                getattr(error, "reason", None), TimeoutError
            )
            return Sent(UNSURE if maybe_done else "failed", error=type(error).__name__)
        return Sent("sent")

    def _report_unchanged(self, kind: str, report_to: str | None, unsure: bool) -> None:
        if report_to:
            verb = {"redraw": "change", "delete": "delete"}[kind]
            how = f"confirm it could {verb}" if unsure else verb
            self.dm(report_to, Message(text=NOT_CHANGED[kind].format(how=how)))

    def _report_interrupted(self, item: Interrupted) -> None:
        if not item.report_to:
            return
        if item.kind == "post" and item.row_kind in REPOST:
            what, action = REPOST[item.row_kind]
            failure = NotPosted(item.row_id or 0, item.target, unsure=True)
            self.dm(item.report_to, not_posted(failure, what, action))
        elif item.kind in NOT_CHANGED:
            self._report_unchanged(item.kind, item.report_to, unsure=True)


class OutboxRespond(Respond):
    """Bolt's `respond`, through the outbox: recorded, sent once (a second run of the same
    request's work does not reply twice), its failure reported."""

    def __init__(self, response_url: str, sender: Sender) -> None:
        super().__init__(response_url=response_url)
        self.sender = sender

    def __call__(  # type: ignore[override]  # Bolt's arguments, answered with how it went
        self,
        text: str = "",
        blocks: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        **rest: Any,
    ) -> Sent:
        body = {
            "text": text,
            "blocks": None if blocks is None else render(blocks),
            "response_type": response_type,
            "replace_original": replace_original,
            "delete_original": delete_original,
            **rest,
        }
        return self.sender.respond(
            self.response_url or "", {k: v for k, v in body.items() if v is not None}
        )


class DirectRespond(Respond):
    """Bolt's `respond` where a click has no message to reply to (a button in a form, or a
    forged request): the reply goes by DM instead, so the person is still answered."""

    def __init__(self, user_id: str, sender: Sender) -> None:
        super().__init__(response_url=None)
        self.user_id, self.sender = user_id, sender

    def __call__(  # type: ignore[override]  # Bolt's arguments; there is no original to change
        self, text: str = "", blocks: Sequence[Any] | None = None, **options: Any
    ) -> Sent:
        rendered = render(list(blocks or ()))
        return self.sender.dm(self.user_id, Message(text, rendered))


def _decoded(file: dict[str, Any]) -> dict[str, Any]:
    """An upload's arguments as stored, with its bytes decoded from base64."""
    return {
        key.removesuffix(BASE64): base64.b64decode(value) if key.endswith(BASE64) else value
        for key, value in file.items()
    }
