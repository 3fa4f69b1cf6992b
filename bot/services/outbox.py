"""The outbox: every Slack side effect written in the transaction of the change it reports.

A service writes what Slack should do (post, redraw, delete, DM) beside its change, so the two
commit or roll back together; after the commit the `Send` it was given (bot.slack.sender) makes
each item, outside any transaction, and says how it went. An item moves pending → sending
(claimed atomically, so two processes never send it both) → sent (with Slack's ts) or failed
(with Slack's error). One Slack did not confirm (a timeout), or one a crash left "sending", is
`unsure`: it is reported, and never sent again unless the person asks. Nothing here calls Slack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, and_, bindparam, func, or_, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, one_statement, read_scope, session_scope
from bot.models import Opportunity, OutboxItem, PartnerUpdate, utcnow
from bot.scoping import across_partnerships
from bot.services.inbox import next_send

Rendered = dict[str, Any]  # {"text": ..., "blocks": [...]}: a message as the Slack layer drew it


class PostedRow(Protocol):
    """A row that has a channel post (an update, an opportunity): what is read of it here."""

    id: int
    channel: str | None
    ts: str | None
    inbox_id: int | None


ROWS: dict[str, type[PostedRow]] = {
    "update": PartnerUpdate,
    "opportunity": Opportunity,
}
UNSURE = "unsure"  # failed, and Slack may have done it all the same
PENDING = "pending"  # refused for now (Slack's 429): back in the outbox, to be sent again
INTERRUPTED = "interrupted"  # the error of an item a crash left sending
ABANDONED_AFTER = timedelta(seconds=60)  # pending this long: its process died before sending
STUCK_AFTER = timedelta(seconds=60)  # sending this long: its process died mid-send


@dataclass(frozen=True)
class Sent:
    """How one item went: "sent", "gone" (the message was already removed in Slack), "failed",
    "unsure" (Slack may have done it) or "pending" (Slack said not now: it is sent later)."""

    status: str
    channel: str | None = None
    ts: str | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "gone")


class Send(Protocol):
    """Sends the outbox items `ids` (after their transaction committed), in order."""

    def __call__(self, ids: Sequence[int]) -> list[Sent]: ...


@dataclass(frozen=True)
class Notice:
    """A side effect of a change beyond its reply (a DM, a file, a channel post removed), drawn
    by the Slack layer and handed to the service, which writes it in the change's transaction:
    a crash after the commit leaves it to the sweep, never lost. `about` says what it was for,
    so a failure can be told."""

    kind: str
    target: str
    message: Rendered = field(default_factory=dict)
    about: str = ""
    ts: str | None = None


@dataclass(frozen=True)
class Written:
    """A notice in the outbox: its item, to send after the commit."""

    id: int
    about: str
    target: str


Change = TypeVar("Change")
Notices = Callable[[Change], Sequence[Notice]]  # what a change's result should tell, drawn


def no_notices(_change: object) -> Sequence[Notice]:
    """For a caller that tells nobody (a job, a script)."""
    return ()


def write_notices(session: Session, notices: Iterable[Notice]) -> tuple[Written, ...]:
    """The notices of a change, in its transaction."""
    return tuple(
        Written(write(session, n.kind, n.target, n.message, ts=n.ts), n.about, n.target)
        for n in notices
    )


@dataclass(frozen=True)
class Taken:
    """An item claimed for sending."""

    id: int
    kind: str
    target: str
    ts: str | None
    message: Rendered
    report_to: str | None


# The statements every send runs, built once: their values go with each execution, so
# SQLAlchemy reuses the compiled form instead of working out a cache key from each row's values.
_ITEMS = OutboxItem.__table__
_TAKE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.status == "pending")
    .returning(_ITEMS.c.kind, _ITEMS.c.target, _ITEMS.c.ts, _ITEMS.c.message, _ITEMS.c.report_to)
)
_RECORD = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.status == "sending")
    .values(ts=func.coalesce(bindparam("new_ts"), _ITEMS.c.ts))
    .returning(_ITEMS.c.row_kind, _ITEMS.c.row_id)
)


def write(
    session: Session,
    kind: str,
    target: str,
    message: Rendered | None = None,
    *,
    ts: str | None = None,
    row: tuple[str, int] | None = None,
    report_to: str | None = None,
) -> int:
    """One side effect, in the caller's transaction; its id, to send after the commit. Written
    by a request's work, it is numbered on the request: a second run of the work gets the
    first run's item back (sent already, or sent now if the first never sent it)."""
    inbox_id, seq = next_send(kind)
    row_kind, row_id = row or ("", None)
    now = utcnow()
    values = {
        "kind": kind, "target": target, "ts": ts, "message": json.dumps(message or {}),
        "row_kind": row_kind, "row_id": row_id, "report_to": report_to, "inbox_id": inbox_id,
        "seq": seq, "status": "pending", "error": "", "created_at": now, "updated_at": now,
    }  # fmt: skip
    inserted = insert_ignoring_conflict(session, OutboxItem.__table__, values)
    if inserted:
        return int(inserted[0])
    return session.exec(
        select(OutboxItem.id).where(
            OutboxItem.inbox_id == inbox_id, OutboxItem.kind == kind, OutboxItem.seq == seq
        )
    ).one()


def redraw(
    session: Session, channel: str | None, ts: str | None, message: Rendered, report_to: str | None
) -> list[int]:
    """A posted message brought up to date with a change, in the change's transaction; none
    when it was never posted."""
    if not (channel and ts):
        return []
    return [write(session, "redraw", channel, message, ts=ts, report_to=report_to)]


def removal(
    session: Session, channel: str | None, ts: str | None, report_to: str | None
) -> list[int]:
    """A posted message deleted with the row it showed, in the row's transaction."""
    if not (channel and ts):
        return []
    return [write(session, "delete", channel, ts=ts, report_to=report_to)]


def take(engine: Engine, item_id: int) -> Taken | None:
    """Claim a pending item for sending; None when it is not pending (another sent it). One
    statement, committed as it runs: every send pays for it."""
    with one_statement(engine) as connection:
        claimed = connection.execute(
            _TAKE, {"item_id": item_id, "status": "sending", "updated_at": utcnow()}
        ).first()
    if claimed is None:
        return None
    kind, target, ts, message, report_to = claimed
    return Taken(item_id, kind, target, ts, json.loads(message or "{}"), report_to)


def put_back(engine: Engine, item_id: int) -> bool:
    """A sending item Slack refused for now (a 429: it did nothing) pending again, to be taken
    again, by this process or the sweep; False when it was not sending."""
    with one_statement(engine) as connection:
        moved = connection.execute(
            update(OutboxItem)
            .where(col(OutboxItem.id) == item_id, col(OutboxItem.status) == "sending")
            .values(status=PENDING, updated_at=utcnow())
        )
    return bool(moved.rowcount == 1)


def record(engine: Engine, item_id: int, sent: Sent, kind: str) -> None:
    """Settle a sending item; a post for a row records on it where the message went, in the
    same transaction. Anything else settles in one statement, committed as it runs. Settled,
    it names nobody: a DM's person becomes Slack's id for the conversation."""
    settled = {
        "item_id": item_id, "status": "sent" if sent.ok else sent.status,
        "error": sent.error[:200], "updated_at": utcnow(), "message": "",
        "target": sent.channel or "", "report_to": None, "new_ts": sent.ts or None,
    }  # fmt: skip
    if kind != "post" or sent.status != "sent":
        with one_statement(engine) as connection:
            connection.execute(_RECORD, settled)
        return
    with engine.begin() as connection:
        moved = connection.execute(_RECORD, settled).first()
        if moved is None:
            return
        row_kind, row_id = moved
        model = ROWS.get(row_kind)
        if model is not None:
            connection.execute(
                update(model)
                .where(col(model.id) == row_id)
                .values(channel=sent.channel, ts=sent.ts)
            )


def state(engine: Engine, item_id: int) -> Sent:
    """An item's outcome as stored (what another process's send came to, say)."""
    with session_scope(engine) as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.status in ("pending", "sending"):
            return Sent(UNSURE, error=INTERRUPTED)
        return Sent(item.status, item.target, item.ts, item.error)


def latest_post(session: Session, row_kind: str, row_id: int) -> OutboxItem | None:
    return session.exec(
        select(OutboxItem)
        .where(
            OutboxItem.row_kind == row_kind,
            OutboxItem.row_id == row_id,
            OutboxItem.kind == "post",
        )
        .order_by(col(OutboxItem.id).desc())
    ).first()


def claim_retry(session: Session, item: OutboxItem) -> bool:
    """Post it again, once however often clicked: the failed post is marked retried."""
    retried = session.connection().execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item.id, col(OutboxItem.status).in_(("failed", UNSURE)))
        .values(status="retried", updated_at=utcnow())
    )
    return retried.rowcount == 1


def give_up_sending(session: Session, item_id: int) -> bool:
    """An item a dead process was sending: failed as unsure, naming nobody, never resent;
    False when it was not (or no longer) sending."""
    blank = {"message": "", "target": "", "report_to": None, "updated_at": utcnow()}
    moved = session.connection().execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id, col(OutboxItem.status) == "sending")
        .values(status=UNSURE, error=INTERRUPTED, **blank)
    )
    return bool(moved.rowcount == 1)


def partnerships_to_sweep(engine: Engine) -> list[int]:
    """The partnerships with items a dead process left pending or sending, found across them
    all: the sweep then takes each partnership's up in its own."""
    now = utcnow()
    left = or_(
        and_(
            col(OutboxItem.status) == "pending", col(OutboxItem.created_at) < now - ABANDONED_AFTER
        ),
        and_(col(OutboxItem.status) == "sending", col(OutboxItem.updated_at) < now - STUCK_AFTER),
    )
    with read_scope(engine) as session:
        found = session.exec(
            select(OutboxItem.partnership_id).where(left).distinct(),
            execution_options=across_partnerships,
        )
        return sorted(found.all())


def abandoned(engine: Engine) -> list[int]:
    """Items still pending long after they were written: their process died before sending."""
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(OutboxItem.id).where(
                    OutboxItem.status == "pending",
                    col(OutboxItem.created_at) < utcnow() - ABANDONED_AFTER,
                )
            ).all()
        )


@dataclass(frozen=True)
class Interrupted:
    """An item a crash left sending, now failed as unsure: who to tell, and about what."""

    id: int
    kind: str
    target: str
    report_to: str | None
    row_kind: str
    row_id: int | None


def interrupted(engine: Engine) -> list[Interrupted]:
    """Items left sending by a process that died: failed as unsure (never resent), each once."""
    found = []
    with session_scope(engine) as session:
        stuck = session.exec(
            select(OutboxItem).where(
                OutboxItem.status == "sending",
                col(OutboxItem.updated_at) < utcnow() - STUCK_AFTER,
            )
        ).all()
        for item in stuck:
            if not give_up_sending(session, item.id):
                continue
            report_to = item.report_to
            model = ROWS.get(item.row_kind)
            if report_to is None and model is not None:
                row = session.get(model, item.row_id)
                report_to = getattr(row, "author_id", None) or getattr(row, "poster_id", None)
            found.append(
                Interrupted(item.id, item.kind, item.target, report_to, item.row_kind, item.row_id)
            )
    return found
