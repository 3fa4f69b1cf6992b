"""What the benchmarks share: a fresh, migrated database on either backend."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, make_url, text

from bot.db import make_engine, upgrade


@contextmanager
def database(pool_size: int = 5, migrate: bool = True) -> Iterator[Engine]:
    """A fresh database, migrated unless `migrate` is false: a temporary SQLite file, or a
    private PostgreSQL schema."""
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db", pool_size)
            if migrate:
                upgrade(engine)
            yield engine
            engine.dispose()
        return
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"pb_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False), pool_size)
    if migrate:
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def machine_speed() -> str:
    """A line that lets figures from different days be compared: the same machine's CPU is
    faster on some days than others (a shared host), and every figure here moves with it."""
    best = min(_loop_seconds() for _ in range(3))
    return f"This machine, the same day: ten million additions in a Python loop took {best:.2f} s."


def _loop_seconds() -> float:
    started, total = time.perf_counter(), 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started
