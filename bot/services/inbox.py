"""The inbox: what Slack was told is accepted is stored first, so it outlives the process.

A request is inserted before it is acknowledged (one statement), its work runs afterwards and
marks it done. A process that dies leaves its rows in progress; their lease (renewed while the
work runs) runs out, and any running process claims them (atomically: `FOR UPDATE SKIP LOCKED`
on PostgreSQL, the write lock on SQLite) and does the work again. What the work makes is
unique on its inbox row (`current_item`), so doing it again does it once.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot.db import SQLITE_BUSY_TIMEOUT_MS, one_statement, session_scope
from bot.models import InboxItem, utcnow
from bot.partnership_scope import current_partnership
from bot.scoping import across_partnerships

LEASE = timedelta(seconds=15)  # renewed every few seconds while the work runs
log = logging.getLogger("partnerbot")
WRITE_AT_ONCE = 100  # requests the writer stores in one statement, at most
LOCK_WAIT = 15.0  # seconds the writer asks for SQLite's write lock before giving up
MAX_ATTEMPTS = 3  # a request whose work killed the process this often is given up, and said so
WORKING, DONE, FAILED = "working", "done", "failed"

# The inbox row whose work is running in this thread: what the work makes is unique on it.
current_item: ContextVar[int | None] = ContextVar("current_item", default=None)
_send_numbers: ContextVar[dict[str, int] | None] = ContextVar("send_numbers", default=None)


@contextmanager
def working_on(item_id: int) -> Iterator[None]:
    """Run the work of inbox row `item_id`: what it makes is unique on the row, and what it
    sends is numbered from 1 by kind, so a second run's nth reply (post, DM…) is the first
    run's nth, and the outbox sends it once. By kind, since a second run can skip a send the
    first made (a post it takes on rather than writes) and still reply."""
    item, numbers = current_item.set(item_id), _send_numbers.set({})
    try:
        yield
    finally:
        current_item.reset(item)
        _send_numbers.reset(numbers)


def next_send(kind: str) -> tuple[int | None, int | None]:
    """(inbox row, number) for the running work's next send of `kind`; (None, None) outside."""
    item, numbers = current_item.get(), _send_numbers.get()
    if item is None or numbers is None:
        return None, None
    numbers[kind] = numbers.get(kind, 0) + 1
    return item, numbers[kind]


@dataclass(frozen=True)
class Claimed:
    """A request left unfinished by a process that died, now this process's to do."""

    id: int
    kind: str
    body: dict[str, Any]
    attempts: int
    partnership_id: int


class _Waiting:
    """A request thread's request, waiting to be stored by the writer."""

    __slots__ = ("error", "id", "stored", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values, self.stored = values, threading.Event()
        self.id: int | None = None
        self.error: BaseException | None = None


_STOP = _Waiting({})  # put in the queue to stop the writer


# Every request runs these two; built once, their values going with each execution (the
# compiled form is then reused, not keyed afresh from the values).
_ITEMS = InboxItem.__table__
_STORE = insert(_ITEMS).returning(_ITEMS.c.id, _ITEMS.c.received_at)
_DONE = update(_ITEMS).where(_ITEMS.c.id == bindparam("item_id"))


class Inbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def accept(self, kind: str, body: dict[str, Any], event_id: str | None = None) -> int | None:
        """Store the request, leased to this process; None for an event already accepted
        (Slack's retry of an event whose work is in hand here or in another process).

        This runs before the acknowledgement. Requests are stored by one writer thread, all
        those waiting in one statement (group commit): under load, the requests arriving
        together share one round trip and one commit instead of queueing for a connection
        each; alone, a request is stored as soon as it comes."""
        now = utcnow()
        values = {
            "kind": kind[:80], "body": json.dumps(body), "event_id": event_id,
            "status": WORKING, "lease_until": now + LEASE, "attempts": 1, "received_at": now,
            "partnership_id": current_partnership(),  # here: the writer thread has none
        }  # fmt: skip
        if event_id is not None:
            return self._insert_event(values)
        waiting = _Waiting(values)
        self._start_writer()
        self._waiting.put(waiting)
        waiting.stored.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.id

    def _start_writer(self) -> None:
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write, name="inbox-writer", daemon=True
                    )
                    self._writer.start()

    def close(self) -> None:
        """Stop the writer once what is waiting is stored (a test's app, a stopping process);
        a request accepted after starts it again."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._waiting.put(_STOP)
            writer.join()

    def _write(self) -> None:
        """Store what is waiting, many at a time; hold a connection only while there is.
        Every request taken from the queue is answered: its id, or the error."""
        while True:
            first = self._waiting.get()  # idle: no connection held
            if first is _STOP:
                return
            batch = [first]
            try:
                with self._connection() as connection, self._first_in_line(connection):
                    while batch:
                        self._store(connection, self._fill(batch))
                        batch = self._fill([])
            except BaseException as error:  # the next batch connects afresh
                log.warning("the inbox could not store %s requests: %s", len(batch), error)
                for waiting in batch:
                    if not waiting.stored.is_set():
                        waiting.error = error
                        waiting.stored.set()

    def _fill(self, batch: list[_Waiting]) -> list[_Waiting]:
        while len(batch) < WRITE_AT_ONCE:
            try:
                waiting = self._waiting.get_nowait()
            except queue.Empty:
                break
            if waiting is _STOP:  # for the loop to find once this batch is stored
                self._waiting.put(_STOP)
                break
            batch.append(waiting)
        return batch

    def _store(self, connection: Any, batch: list[_Waiting]) -> None:
        """The batch in one statement (one round trip, one commit). Each request learns its
        own row's id by its `received_at`, made distinct within the batch (by microseconds):
        neither database promises RETURNING's rows in the order of the VALUES."""
        taken: set[datetime] = set()
        for waiting in batch:
            while waiting.values["received_at"] in taken:
                waiting.values["received_at"] += timedelta(microseconds=1)
            taken.add(waiting.values["received_at"])
        rows = self._execute(
            connection, lambda: connection.execute(_STORE, [w.values for w in batch]).all()
        )
        ids = {received: item_id for item_id, received in rows}
        for waiting in batch:
            waiting.id = int(ids[waiting.values["received_at"]])
            waiting.stored.set()

    @contextmanager
    def _first_in_line(self, connection: Any) -> Iterator[None]:
        """On SQLite, the writer asks for the one write lock every millisecond (`_execute`)
        rather than waiting SQLite's own way (which sleeps up to 100 ms between tries), so a
        request is stored as soon as the lock is free, ahead of the work's transactions."""
        if self.engine.dialect.name != "sqlite":
            yield
            return
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA busy_timeout=0")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def _execute(self, connection: Any, statements: Callable[[], list[Any]]) -> list[Any]:
        """Run the statements and commit; on SQLite, ask again while the write lock is taken."""
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                done = statements()
                connection.commit()
                return done
            except OperationalError as error:
                connection.rollback()
                if "database is locked" not in str(error.orig) or time.monotonic() > deadline:
                    raise
                time.sleep(0.001)

    def _connection(self) -> Any:
        """Each statement committed as it runs: on PostgreSQL one round trip, no BEGIN and no
        COMMIT; on SQLite the write lock is held only while SQLite runs the INSERT."""
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _insert_event(self, values: dict[str, Any]) -> int | None:
        """An event, unless Slack's retry of one already stored: one statement of its own."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        table = InboxItem.__table__
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
        with self._connection() as connection:
            row = connection.execute(statement.returning(table.c.id)).first()
            connection.commit()
        return None if row is None else int(row[0])

    def done(self, item_id: int, failed: bool = False) -> None:
        """The work is over (or given up): forget the body, which holds what was typed."""
        with one_statement(self.engine) as connection:  # every request pays for this
            status = FAILED if failed else DONE
            connection.execute(_DONE, {"item_id": item_id, "status": status, "body": ""})

    def renew(self, item_ids: list[int]) -> None:
        """Keep the leases of the work this process is doing."""
        if not item_ids:
            return
        with session_scope(self.engine) as session:  # this process's, of any partnership
            session.connection().execute(
                update(InboxItem)
                .where(col(InboxItem.id).in_(item_ids), col(InboxItem.status) == WORKING)
                .values(lease_until=utcnow() + LEASE),
                execution_options=across_partnerships,
            )

    def claim_abandoned(self, limit: int = 10) -> list[Claimed]:
        """Rows whose lease ran out (their process died), leased now to this one: any
        partnership's, each taken up again for its own."""
        now = utcnow()
        with session_scope(self.engine) as session:
            candidates = (
                select(InboxItem.id)
                .where(InboxItem.status == WORKING, InboxItem.lease_until < now)
                .order_by(col(InboxItem.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.exec(candidates, execution_options=across_partnerships).all())
            if not ids:
                return []
            claimed = session.connection().execute(
                update(InboxItem)
                .where(col(InboxItem.id).in_(ids), col(InboxItem.lease_until) < now)
                .values(lease_until=now + LEASE, attempts=InboxItem.attempts + 1)
                .returning(
                    col(InboxItem.id),
                    col(InboxItem.kind),
                    col(InboxItem.body),
                    col(InboxItem.attempts),
                    col(InboxItem.partnership_id),
                ),
                execution_options=across_partnerships,
            )
            return [
                Claimed(
                    row.id, row.kind, json.loads(row.body or "{}"), row.attempts, row.partnership_id
                )
                for row in claimed
            ]
