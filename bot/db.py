"""Engine, session scope and migrations: SQLite by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from bot.logs import keep_logs_private
from bot.partnership_cache import watch
from bot.scoping import refuse_unscoped

# Package data, so a wheel finds its migrations as a checkout does (alembic.ini: bot:migrations).
MIGRATIONS_DIR = str(resources.files("bot.migrations"))
SQLITE_BUSY_TIMEOUT_MS = 15000  # how long a transaction waits for SQLite's write lock


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine that behaves alike on both backends: foreign keys on, waits on SQLite locks.
    Its errors and logs never show a statement's values (`hide_parameters`, and `bot.logs`);
    its changes to what processes keep between requests are seen (`bot.partnership_cache`)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=10, hide_parameters=True)
        event.listen(engine.pool, "checkin", _note_checkin)
        event.listen(engine.pool, "checkout", _ping_if_idle)
    refuse_unscoped(engine)
    watch(engine)
    keep_logs_private()  # every process makes an engine before its Bolt app, if it has one
    return engine


# A pooled PostgreSQL connection idle this long is pinged before use: the database may have
# restarted meanwhile. One in steady use is not (a ping is a round trip, and every request
# checks out a connection several times); if the database goes while it is in use, the error
# invalidates the whole pool (SQLAlchemy's disconnect handling) and the next use reconnects.
PING_AFTER = 5.0  # seconds


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < PING_AFTER:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as error:  # any failure: the pool discards it and connects afresh
        raise DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _begin_immediate
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs at checkpoints rather than every commit: a commit survives the
    # process dying (it is in the OS's hands); only a power cut can lose the last few.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


# The execution option `read_scope` sets: the transaction only reads.
READ_ONLY = "partnerbot_read_only"


def _begin_sqlite(connection: Any) -> None:
    """Take SQLite's write lock at the start, so a read-then-write transaction never fails
    half-way when another commits first; concurrent ones queue (busy_timeout) instead. A read
    scope takes no lock (in WAL mode a reader never waits for a writer nor holds one up), and
    `query_only` makes SQLite refuse a write in it, as PostgreSQL does."""
    options = connection.get_execution_options()
    read_only = bool(options.get(READ_ONLY))
    if connection.info.get(READ_ONLY, False) != read_only:  # kept by the pooled connection
        connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        connection.info[READ_ONLY] = read_only
    if options.get("isolation_level") != "AUTOCOMMIT":  # see `one_statement`
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def one_statement(engine: Engine) -> AbstractContextManager[Connection]:
    """A connection for one statement that needs no transaction around it (a claim, a mark),
    committed as it runs. On SQLite the write lock is then held only while SQLite runs the
    statement, never while Python runs between statements: a listener thread (at a lower CPU
    priority) descheduled mid-transaction cannot hold up the inbox's writer."""
    return _autocommitting(engine).begin()


def statements_alone(engine: Engine) -> Session:
    """A session whose statements commit each as it runs, with no transaction around them: for
    a write that stands on its own (one row, found again if it is there already)."""
    return Session(_autocommitting(engine), expire_on_commit=False)


def read_scope(engine: Engine) -> AbstractContextManager[Session]:
    """A unit of work that only reads. On SQLite it leaves the one write lock to the writers
    (the inbox's among them: a request waits for it before it is acknowledged)."""
    return session_scope(_reading(engine))


# An engine's variants, made once and kept on it: `execution_options` builds a new engine
# object each call, which every request's bookkeeping would otherwise pay for.
def _autocommitting(engine: Engine) -> Engine:
    return _variant(engine, "_partnerbot_autocommit", isolation_level="AUTOCOMMIT")


def _reading(engine: Engine) -> Engine:
    """On PostgreSQL a READ ONLY transaction (psycopg begins it so, in the same round trip): a
    write in it fails, so it cannot go unnoticed. SQLite's is made so by `_begin_sqlite`."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return _variant(engine, "_partnerbot_reading", **options)


def _variant(engine: Engine, name: str, **options: Any) -> Engine:
    variant = engine.__dict__.get(name)
    if variant is None:
        variant = engine.execution_options(**options)
        setattr(engine, name, variant)
    return variant


def insert_ignoring_conflict(session: Session, table: Table, values: dict[str, Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the inserted row's key (a truthy row) when this call
    inserted it (it claimed it), else None."""
    statement = _insert_ignoring(session.get_bind().dialect.name, table)
    return session.connection().execute(statement, values).first()


@cache
def _insert_ignoring(dialect_name: str, table: Table) -> Any:
    """Built once: the values go with each execution, so SQLAlchemy's compiled form is
    reused rather than keyed afresh from every row's values."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


# Full-text search objects are made by hand in migration 0002; autogenerate must not drop them.
HAND_MADE = ("search", "partner_update_fts", "ix_partner_update_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Which schema objects Alembic compares with the models: all but the hand-made ones."""
    return not (reflected and name and name.startswith(HAND_MADE))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    command.upgrade(alembic_config(engine), "head")


def head_revision() -> str | None:
    """The newest migration this code knows; the schema should be at it."""
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def schema_version(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_migrations(engine: Engine) -> list[str]:
    """The migrations `upgrade` would run: none at the head, nor at a revision this code does not
    know (a newer release's schema, left for that release)."""
    scripts = ScriptDirectory(MIGRATIONS_DIR)
    current = schema_version(engine)
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        return []
    return [s.revision for s in scripts.iterate_revisions("head", current or "base")]
