"""What changes rarely in a partnership (its settings, its organisations, the agencies that
lend hot desks with their offers and key workers), kept by each process between requests and
loaded again only when the partnership's `cache_version` has moved.

Every INSERT, UPDATE and DELETE the engine runs on a watched table, the ORM's flushes and Core
statements alike, bumps the version of the running work's partnership in the same transaction
(`watch`, which `bot.db.make_engine` puts on every engine): no writer can forget to, and no
reader sees the new version without the change. A transaction reads the version once (one
statement) and then uses its process's values for it. One that has changed a watched table
itself loads afresh and keeps nothing: its change may yet roll back. A loader reads through a
session of its own, after the caller's has flushed, so nothing the caller's session holds (a
change not yet flushed, a row read before another process changed it) can slip into what is
kept; and what it returns is never handed out to be changed, for every thread shares it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, event, select, update
from sqlalchemy.pool import Pool
from sqlmodel import Session

from bot.models import HotdeskOffer, KeyWorker, Organisation, Partnership
from bot.partnership_scope import current_partnership

# The tables whose rows the kept values are made from; a loader reading any other table would
# keep what no change here invalidates (tests/test_partnership_cache.py checks every loader).
WATCHED = frozenset(
    model.__table__.name for model in (Partnership, Organisation, HotdeskOffer, KeyWorker)
)
# The execution option that Alembic's connection carries: a migration's writes bump nothing
# (the version's column may not exist yet), and every process starts afresh after one.
MIGRATING = "partnerbot_migrating"

_table = Partnership.__table__
_VERSION = select(_table.c.cache_version).where(_table.c.id == bindparam("partnership"))
_BUMP = (
    update(_table)
    .where(_table.c.id == bindparam("partnership"))
    .values(cache_version=_table.c.cache_version + 1)
)
# In `Connection.info` (the pooled connection's, cleared as each transaction begins):
_CHANGED = "partnerbot_changed_watched"  # this transaction wrote a watched table
_SEEN = "partnerbot_kept_seen"  # the values for the version this transaction read

T = TypeVar("T")
Loader = Callable[[Session], T]
LOADERS: list[Loader[Any]] = []  # every loader `kept` has made: what the tests check


def watch(engine: Engine) -> None:
    """Bump the partnership's version with every change to a watched table on `engine`."""
    event.listen(engine, "begin", _forget_transaction)
    event.listen(engine, "after_execute", _bump_on_change)


def _forget_transaction(connection: Connection) -> None:
    connection.info.pop(_CHANGED, None)
    connection.info.pop(_SEEN, None)


def _bump_on_change(connection: Connection, statement: Any, *_: Any) -> None:
    if not getattr(statement, "is_dml", False):
        return
    if getattr(statement.table, "name", None) not in WATCHED:
        return
    options = connection.get_execution_options()
    if options.get(MIGRATING):
        return
    # Once a transaction is enough: it commits with the change. A statement that commits as it
    # runs (`bot.db.one_statement`) is followed by its own bump, after it, every time.
    if connection.info.get(_CHANGED) and options.get("isolation_level") != "AUTOCOMMIT":
        return
    connection.info[_CHANGED] = True  # before the bump, which is itself a watched change
    connection.execute(_BUMP, {"partnership": current_partnership()})


@dataclass
class _Kept:
    """The values loaded so far for one version of one partnership."""

    version: int | None
    values: dict[Loader[Any], Any] = field(default_factory=dict)


# Per database (an engine and its variants share their pool), per partnership.
_kept: WeakKeyDictionary[Pool, dict[int, _Kept]] = WeakKeyDictionary()


def kept(load: Loader[T]) -> Callable[[Session], T]:
    """`load`'s value, loaded once for each version of the running work's partnership and
    shared by the process's requests. `load` gets a session of its own on the caller's
    transaction, reads only watched tables and returns what no caller will change."""
    LOADERS.append(load)

    def read(session: Session) -> T:
        session.flush()  # so that the caller's own changes count as made (see `_CHANGED`)
        connection = session.connection()
        if connection.info.get(_CHANGED):
            return _load(connection, load)
        seen = connection.info.get(_SEEN)
        if seen is None:
            seen = connection.info[_SEEN] = _current(connection)
        if load not in seen.values:
            seen.values[load] = _load(connection, load)
        return cast(T, seen.values[load])

    read.__doc__ = load.__doc__
    return read


def _current(connection: Connection) -> _Kept:
    """The process's values for the partnership's version as this transaction reads it."""
    partnership = current_partnership()
    version = connection.execute(_VERSION, {"partnership": partnership}).scalar()
    partnerships = _kept.setdefault(connection.engine.pool, {})
    found = partnerships.get(partnership)
    if found is not None and version is not None and found.version == version:
        return found
    found = _Kept(version)
    if version is not None:  # no partnership row yet: nothing to bump, so nothing kept
        partnerships[partnership] = found
    return found


def _load(connection: Connection, load: Loader[T]) -> T:
    with Session(bind=connection, autoflush=False) as own:
        return load(own)


def partnership_settings(session: Session) -> Partnership:
    """The partnership's settings: a copy of its row, the caller's to read (a change is made to
    the row itself, in a session), or the defaults when it has none."""
    return Partnership(**_settings(session).model_dump())


def partnership_zone(session: Session, default: ZoneInfo) -> ZoneInfo:
    """The partnership's time zone (its file's `timezone`), else `default`: the deployment's."""
    name = _settings(session).timezone
    return ZoneInfo(name) if name else default


@kept
def _settings(session: Session) -> Partnership:
    return session.get(Partnership, current_partnership()) or Partnership()
