"""Posting a saved row to a channel: the row first, then Slack, so a failure loses nothing.

An update or an opportunity is committed before its channel message is sent. If Slack refuses
or times out, the row stays, unposted, in the partnership's history (search, lists, the digest)
and its author can post it again. Were the row written in the same transaction as the post, a
post Slack made but confirmed too late would be a channel message the bot knows nothing of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.db import session_scope
from bot.models import Opportunity, PartnerUpdate

POSTING = "posting"  # a row's ts while its post is in flight: a second attempt is refused
View = TypeVar("View")
Posted = PartnerUpdate | Opportunity


class SendFailed(Exception):
    """Raised by a send function: Slack did not post (`unsure`: it may have, without saying)."""

    def __init__(self, unsure: bool) -> None:
        super().__init__("Slack did not confirm the post" if unsure else "Slack refused the post")
        self.unsure = unsure


class NotPosted(Exception):
    """Saved, but not (or not surely) in the channel; `row_id` can be posted again."""

    def __init__(self, row_id: int, channel: str | None, unsure: bool) -> None:
        super().__init__(f"row {row_id} saved but not posted to {channel}")
        self.row_id, self.channel, self.unsure = row_id, channel, unsure


class AlreadyPosted(Exception):
    """The row is in its channel already, or another attempt is posting it now."""


def shown_ts(ts: str | None) -> str | None:
    """The ts a view shows: none while a post is in flight."""
    return None if ts == POSTING else ts


def post_saved(
    engine: Engine,
    model: type[Posted],
    row_id: int,
    view_of: Callable[[Session, Any], View],
    send: Callable[[View], tuple[str, str]],
) -> View:
    """Claim the unposted row, send it, record where it went; release the claim on failure."""
    key = model.id == row_id  # type: ignore[arg-type]
    with session_scope(engine) as session:
        claim = update(model).where(key, model.ts.is_(None)).values(ts=POSTING)  # type: ignore[union-attr]
        if session.connection().execute(claim).rowcount != 1:
            raise AlreadyPosted()
        view = view_of(session, session.get(model, row_id))
    try:
        channel, ts = send(view)
    except BaseException as error:
        with session_scope(engine) as session:
            session.connection().execute(update(model).where(key).values(ts=None))
        if isinstance(error, SendFailed):
            raise NotPosted(row_id, getattr(view, "channel", None), error.unsure) from error
        raise
    with session_scope(engine) as session:
        session.connection().execute(update(model).where(key).values(channel=channel, ts=ts))
    return replace(view, channel=channel, ts=ts)  # type: ignore[type-var]


def resume_post(
    engine: Engine,
    model: type[Posted],
    inbox_id: int,
    view_of: Callable[[Session, Any], View],
    send: Callable[[View], tuple[str, str]],
) -> View | None:
    """The row an earlier attempt at inbox request `inbox_id` saved (its process died), taken
    on from where it stopped; None when it saved nothing. A post that was in flight may have
    reached Slack: NotPosted(unsure), to offer Post it again, never a second post unasked."""
    with session_scope(engine) as session:
        row = session.exec(select(model).where(model.inbox_id == inbox_id)).first()
        if row is None:
            return None
        row_id, channel, ts = row.id or 0, row.channel, row.ts
        if ts not in (None, POSTING):
            return view_of(session, row)
        if ts == POSTING:
            session.connection().execute(
                update(model).where(model.id == row_id).values(ts=None)  # type: ignore[arg-type]
            )
    if ts == POSTING:
        raise NotPosted(row_id, channel, unsure=True)
    return post_saved(engine, model, row_id, view_of, send)
