"""Alembic environment: uses the engine handed over by `bot.db`, or DATABASE_URL otherwise."""

from alembic import context

from bot import models
from bot.config import load_settings
from bot.db import include_object, make_engine
from bot.partnership_cache import MIGRATING
from bot.scoping import across_partnerships

engine = context.config.attributes.get("engine") or make_engine(load_settings().database_url)

# A migration changes every partnership's rows, and bumps no cache version (bot.partnership_cache).
with engine.execution_options(**across_partnerships, **{MIGRATING: True}).connect() as connection:
    # SQLite alters a table by copying it and dropping the old one (batch mode); with foreign
    # keys on, that drop would delete the rows referring to it (ON DELETE CASCADE). The pragma
    # only takes effect outside a transaction, so it is set on the driver's connection first.
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection
    if sqlite and driver is not None:
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=models.metadata,
            render_as_batch=True,  # SQLite can only ALTER tables by copying them
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite and driver is not None:
            connection.rollback()
            driver.execute("PRAGMA foreign_keys=ON")
