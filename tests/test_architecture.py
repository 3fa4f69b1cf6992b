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


def test_test_modules_share_through_helpers_and_conftest_never_each_other() -> None:
    """A helper in a test module drags that module's tests (and fixtures) into every importer,
    and moves with them: shared helpers live in tests/helpers.py and tests/conftest.py."""
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            found += [f"{path.name} imports {m}" for m in modules if m.startswith("tests.test_")]
    assert found == []


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


SLACK_CHANGES = {"chat_postMessage", "chat_postEphemeral", "chat_update", "chat_delete"}
SLACK_CHANGES |= {"views_publish", "files_upload_v2", "files_upload"}
SENDER_DIRECT = {"dm", "tell", "upload", "publish_home"}  # the sender's sends made on the spot
# What changes Slack other than a change's notices (written in its transaction, bot.services
# .outbox) and replies, each with why it need not be written with a change. A new send
# fails the test below: draw it as a Notice for the service to write, or say here why not.
SENT_DIRECTLY = {
    ("bot/slack/sweeper.py", "_give_up"): "tells a person their request was given up",
    ("bot/slack/home_tab.py", "publish_home"): "a Home tab drawn afresh: no change to report",
    ("bot/slack/listeners/sessions.py", "reflection_submitted"): "the answer, saving nothing",
    ("bot/slack/listeners/directory.py", "organisation_edited"): "the form's answer",
    ("bot/slack/listeners/rights.py", "my_data"): "the export itself: nothing changes",
    ("bot/slack/listeners/rights.py", "forget_submitted"): "the receipt, after Slack's results",
    ("bot/slack/listeners/rights.py", "redraw_messages"): "redraws kept on Delivery, resumed",
    ("bot/slack/listeners/rights.py", "user_changed"): "a handover: reads, changes nothing",
    ("bot/slack/guard.py", "tell"): "a failure told: the database may be what failed",
    ("jobs/delivery.py", "deliver"): "scheduled deliveries, claimed per recipient",
}


def _sends(path: Path) -> set[tuple[str, str]]:
    """(module, enclosing function) of each call here that changes Slack directly."""
    found = set()
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name, receiver = node.func.attr, ast.unparse(node.func.value)
            if name in SLACK_CHANGES or (name in SENDER_DIRECT and receiver.endswith("sender")):
                found.add((str(path.relative_to(ROOT)), function.name))
    return found


def test_slack_is_changed_only_through_the_outbox_or_where_it_says_why() -> None:
    skip = ("bot/slack/sender.py", "bot/testing/")  # the one sender; the fake Slack
    found: set[tuple[str, str]] = set()
    for folder in ("bot", "jobs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not str(path.relative_to(ROOT)).startswith(skip):
                found |= _sends(path)
    assert found == set(SENT_DIRECTLY)
