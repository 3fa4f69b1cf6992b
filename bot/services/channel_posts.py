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
from sqlmodel import Session

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
