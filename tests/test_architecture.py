"""The layering rules of the design, checked on the source so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.db import include_object
from bot.models import metadata
from tests.helpers import imported_modules

ROOT = Path(__file__).resolve().parent.parent


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden or module.startswith(forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_services_import_nothing_from_slack() -> None:
    assert offenders("bot/services", ("slack_bolt", "slack_sdk", "bot.slack")) == []


def test_services_import_nothing_from_jobs() -> None:
    """The partnership file is given the job names (jobs.registry) rather than importing them."""
    assert offenders("bot/services", ("jobs",)) == []


def test_block_builders_are_pure_and_never_touch_the_database() -> None:
    forbidden = ("sqlalchemy", "sqlmodel", "bot.db", "bot.models", "slack_bolt")
    assert offenders("bot/slack/blocks", forbidden) == []


def test_listeners_hold_no_sql() -> None:
    assert (
        offenders("bot/slack/listeners", ("sqlalchemy", "sqlmodel", "bot.db", "bot.models")) == []
    )


# What the playground may take from bot.db: a database to run on, started as the commands do.
PLAYGROUND_FROM_DB = {"make_engine", "upgrade"}


def test_the_playground_uses_only_public_interfaces() -> None:
    """The playground runs the real app, its services and jobs as any caller would: nothing
    private of another module, no tables or SQL of its own, nothing inside the listeners."""
    found = []
    for path in sorted((ROOT / "bot/playground").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                imported = [(alias.name, "") for alias in node.names]
            else:
                continue
            for module, name in imported:
                private = any(map(_is_private, [*module.split("."), name]))
                reaching_in = module.startswith(("bot.models", "bot.slack.listeners", "sqlmodel"))
                if module == "bot.db" and name not in PLAYGROUND_FROM_DB:
                    reaching_in = True
                if private or reaching_in:
                    found.append(f"{path.relative_to(ROOT)} imports {name or module} from {module}")
    assert found == []


def _is_private(name: str) -> bool:
    """`_name`, not a dunder such as `__future__`."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_listener_imports_another() -> None:
    """What two listeners share lives in bot.slack (forms, update_posts, partners_command, …);
    only the listeners' package itself puts them together."""
    found = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "bot/slack/listeners").glob("*.py"))
        if path.name != "__init__.py"
        for module in imported_modules(path)
        if module == "bot.slack.listeners" or module.startswith("bot.slack.listeners.")
    ]
    assert found == []


def test_listeners_never_reach_the_engine() -> None:
    """A listener calls a service method; the database (bot.db, the engine) is the services'."""
    assert offenders("bot/slack/listeners", ("bot.db",)) == []
    found = []
    for path in sorted((ROOT / "bot/slack/listeners").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "engine":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []


def test_jobs_never_import_a_listener_or_bolt() -> None:
    """A job is no Slack request: it calls services, draws with the block builders and sends
    through the sender, as listeners do, but never through a listener or Bolt."""
    assert offenders("jobs", ("slack_bolt", "bot.slack.listeners")) == []


# The services split into packages, one module a job: each module imports only those before it
# (types, rules, store, service); the pure ones never touch the database; only the service
# (and the partnership file's apply) opens a transaction.
LAYERS = ("types", "rules", "store", "service")
DATABASE = ("sqlalchemy", "sqlmodel", "bot.db", "bot.models")
PURE = [
    "bot/services/hotdesk/types.py",
    "bot/services/hotdesk/rules.py",
    "bot/services/opportunities/types.py",
    "bot/services/opportunities/rules.py",
    "bot/services/partnership_file/read.py",
]


def test_pure_service_modules_never_touch_the_database() -> None:
    found = [
        f"{path} imports {module}"
        for path in PURE
        for module in imported_modules(ROOT / path)
        if module.startswith(DATABASE)
    ]
    assert found == []


def test_each_layer_of_a_split_service_imports_only_the_layers_before_it() -> None:
    found = []
    for package in ("hotdesk", "opportunities"):
        for rank, layer in enumerate(LAYERS):
            path = ROOT / "bot/services" / package / f"{layer}.py"
            later = tuple(f"bot.services.{package}.{name}" for name in LAYERS[rank + 1 :])
            found += [f"{layer} imports {m}" for m in imported_modules(path) if m in later]
            if layer != "service" and "session_scope(" in path.read_text(encoding="utf-8"):
                found.append(f"{package}/{layer}.py opens a transaction")
    assert found == []


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
    ("bot/slack/listeners/report.py", "report"): "the report's files: nothing changes",
    ("bot/slack/listeners/config.py", "config"): "the partnership file: nothing changes",
    ("bot/slack/listeners/config.py", "file_submitted"): "the form's answer (and audit entry)",
    ("bot/slack/listeners/rights.py", "forget_submitted"): "the receipt, after Slack's results",
    ("bot/slack/redraws.py", "redraw_messages"): "redraws kept on Delivery, resumed",
    ("bot/slack/guard.py", "tell"): "a failure told: the database may be what failed",
    ("jobs/delivery.py", "_send"): "scheduled deliveries, claimed per recipient",
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
    skip = ("bot/slack/sender.py", "bot/fakeslack/")  # the one sender; the fake Slack
    found: set[tuple[str, str]] = set()
    for folder in ("bot", "jobs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not str(path.relative_to(ROOT)).startswith(skip):
                found |= _sends(path)
    assert found == set(SENT_DIRECTLY)
