"""The layering rules of the design, checked on the source so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

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
