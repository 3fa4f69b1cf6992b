"""Posting a saved row (an update, an opportunity) to its channel, through the outbox.

The row and its post are written in one transaction and the post is sent after the commit
(bot.services.outbox). If Slack refuses, or does not confirm, the row stays, unposted, in the
partnership's history (search, lists, the digest) and its author is offered Post it again, which
posts once however often it is clicked. A post Slack may have made is never repeated unasked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.services import outbox
from bot.services.outbox import ROWS, UNSURE, Rendered, Send

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

View = TypeVar("View", bound="DataclassInstance")  # a row's view: a dataclass
Render = Callable[[Any], Rendered]  # a row's view as its channel message


class NotPosted(Exception):
    """Saved, but not (or not surely) in the channel; `row_id` can be posted again."""

    def __init__(self, row_id: int, channel: str | None, unsure: bool) -> None:
        super().__init__(f"row {row_id} saved but not posted to {channel}")
        self.row_id, self.channel, self.unsure = row_id, channel, unsure


class AlreadyPosted(Exception):
    """The row is in its channel already, or another attempt is posting it now."""


def write_post(
    session: Session, row_kind: str, row_id: int, channel: str | None, message: Rendered
) -> int:
    """The row's channel post, in the row's own transaction."""
    return outbox.write(session, "post", channel or "", message, row=(row_kind, row_id))


def send_post(send: Send, item_id: int, view: View) -> View:
    """Send a written post; the view as posted, or NotPosted saying whether Slack may have."""
    [sent] = send([item_id])
    if sent.status != "sent":
        row_id, channel = getattr(view, "id", 0), getattr(view, "channel", None)
        raise NotPosted(row_id, channel, unsure=sent.status == UNSURE)
    return replace(view, channel=sent.channel, ts=sent.ts)


def repost(
    engine: Engine,
    send: Send,
    row_kind: str,
    row_id: int,
    view_of: Callable[[Session, Any], View],
    render: Render,
) -> View:
    """Post it again: a row Slack did not take (or did not confirm), once however often asked."""
    with session_scope(engine) as session:
        row = session.get(ROWS[row_kind], row_id)
        if row is None or row.ts:
            raise AlreadyPosted()
        latest = outbox.latest_post(session, row_kind, row_id)
        if latest is not None and not outbox.claim_retry(session, latest):
            raise AlreadyPosted()
        view = view_of(session, row)
        item_id = write_post(session, row_kind, row_id, row.channel, render(view))
    return send_post(send, item_id, view)


def resume_post(
    engine: Engine,
    send: Send,
    row_kind: str,
    inbox_id: int,
    view_of: Callable[[Session, Any], View],
) -> View | None:
    """The row an earlier attempt at inbox request `inbox_id` saved (its process died), taken
    on from where it stopped; None when it saved nothing. A post that was being sent may have
    reached Slack: NotPosted(unsure), to offer Post it again, never a second post unasked."""
    model = ROWS[row_kind]
    with session_scope(engine) as session:
        row = session.exec(select(model).where(model.inbox_id == inbox_id)).first()
        if row is None:
            return None
        view = view_of(session, row)
        latest = outbox.latest_post(session, row_kind, row.id)
        if row.ts or latest is None:
            return view
        if latest.status == "sending":  # the dead process was sending it
            outbox.give_up_sending(session, latest.id)
        status, item_id, row_id, channel = latest.status, latest.id, row.id, row.channel
    if status == "pending":
        return send_post(send, item_id, view)
    raise NotPosted(row_id, channel, unsure=status in ("sending", UNSURE))
