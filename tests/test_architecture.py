"""The layering rules of the design, checked on the source so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.db import include_object
from bot.models import metadata

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden or module.startswith(forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_services_import_nothing_from_slack() -> None:
    assert offenders("bot/services", ("slack_bolt", "slack_sdk", "bot.slack")) == []


def test_block_builders_are_pure_and_never_touch_the_database() -> None:
    forbidden = ("sqlalchemy", "sqlmodel", "bot.db", "bot.models", "slack_bolt")
    assert offenders("bot/slack/blocks", forbidden) == []


def test_listeners_hold_no_sql() -> None:
    assert (
        offenders("bot/slack/listeners", ("sqlalchemy", "sqlmodel", "bot.db", "bot.models")) == []
    )


def test_production_code_never_creates_tables_behind_alembic() -> None:
    for folder in ("bot", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "create_all(" not in path.read_text(encoding="utf-8"), path


def test_the_migrations_build_exactly_what_the_models_describe(engine: Engine) -> None:
    """A model changed without a migration (or the reverse) fails here, on both backends."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": include_object},
        )
        assert compare_metadata(context, metadata) == []
