"""Fixtures: a database on SQLite and (with TEST_DATABASE_URL) PostgreSQL, the fake Slack, and
the real app served over HTTP so tests talk to it exactly as Slack does."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from alembic import command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from slack_bolt import App
from sqlalchemy import Engine, inspect, make_url, text

from bot.config import Settings, load_settings
from bot.db import alembic_config, make_engine, session_scope, upgrade
from bot.fakeslack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.server import serve_in_background
from bot.models import Partnership
from bot.partnership_scope import serve_many
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from bot.slack.app import create_app, make_client, stop
from bot.slack.client import DependableClient
from bot.slack.sender import Sender
from bot.slack.wiring import real_time
from bot.web import wsgi_app
from jobs.registry import JOBS

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
SLACK_TIMEOUT = 1.0  # seconds: short, so that tests of Slack timing out are quick
LISTENER_THREADS = 5  # the test app's pool
COORDINATOR = "U0000COORD1"  # a coordinator in the sample partnership
MEMBER = "U0MEMBER"
OTHER = "U0OTHER"
AMINA = "U0000AMINA1"  # key worker at Harbour (HRS): 2 desks, tue–thu, half days

BACKENDS = ["sqlite", "postgresql"]


def postgres_base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return load_settings({"DATABASE_URL": url}).database_url if url else None


# The property tests check behaviour, not timings: on a busy machine (CI's four processes) an
# example may take longer than hypothesis's 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile(
    "partnerbot", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("partnerbot")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (cheaper than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def private_postgres_schema(revision: str = "head") -> Iterator[str]:
    """The URL of a private schema in the PostgreSQL test database, migrated to `revision`,
    dropped afterwards."""
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (CI sets it)")
    schema = f"pb_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    engine = make_engine(url_text)
    command.upgrade(alembic_config(engine), revision)
    engine.dispose()
    try:
        yield url_text
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private schema, migrated once, dropped at the end."""
    with private_postgres_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database test runs once per backend, each on an empty, migrated schema."""
    if request.param == "sqlite":
        path = tmp_path / "partnerbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    with session_scope(engine) as session:  # as migrated: the one partnership's row (0019)
        session.add(Partnership())
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded_engine(engine: Engine) -> Engine:
    """The database with the sample partnership loaded."""
    apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    return engine


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> FakeSlack:
    fake_slack_server.reset()
    fake_slack_server.latency = 0.0
    for user_id, name, tz in (
        (COORDINATOR, "Morag Fraser", "Europe/London"),
        (MEMBER, "Sam Member", "Europe/London"),
        (OTHER, "Olu Other", "Europe/Dublin"),
        (AMINA, "Amina Yusuf", "Europe/London"),
    ):
        fake_slack_server.add_user(user_id, name, display_name=name.split()[0].lower(), tz=tz)
    return fake_slack_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class SettableClock:
    """The app's clock in tests: the real time until a test sets it."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or real_time()

    def set(self, moment: datetime) -> None:
        self.fixed = moment


@dataclass
class Bot:
    """The running app and what tests use to talk to it and watch it."""

    slack: SlackDriver
    fake: FakeSlack
    engine: Engine
    url: str
    settings: Settings
    app: App
    clock: SettableClock  # what time the app's listeners see

    def ask(self, text: str, user_id: str = MEMBER, command: str = "/partners") -> dict:
        """Send a slash command and return what the app answered through the response URL."""
        seen = len(self.fake.calls_to("response_url"))
        reply = self.slack.command(command, text, user_id=user_id)
        assert reply.status == 200, reply
        return self.fake.wait_for("response_url", count=seen + 1)[-1].args


@pytest.fixture
def sender(loaded_engine: Engine, fake_slack: FakeSlack) -> Sender:
    """The bot's one path to Slack (the outbox's sender), talking to the fake Slack."""
    client = DependableClient(
        token=BOT_TOKEN, base_url=fake_slack.base_url, timeout=int(SLACK_TIMEOUT)
    )
    return Sender(loaded_engine, client)


@pytest.fixture
def more_settings() -> dict[str, str]:
    """Settings a test module gives the test app besides Slack's (email's, say): override it."""
    return {}


@pytest.fixture
def bot(
    loaded_engine: Engine, fake_slack: FakeSlack, database_url: str, more_settings: dict[str, str]
) -> Iterator[Bot]:
    """The real app on a real HTTP port, its Web API calls going to the fake Slack."""
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url,
        database_url=database_url,
        **more_settings,
    )
    with running(settings, loaded_engine, fake_slack) as running_bot:
        yield running_bot


@contextmanager
def running(settings: Settings, engine: Engine, fake_slack: FakeSlack) -> Iterator[Bot]:
    """The app of `settings` served on a real HTTP port until the block ends."""
    executor = ThreadPoolExecutor(max_workers=LISTENER_THREADS)
    client = make_client(settings, timeout=SLACK_TIMEOUT)
    clock = SettableClock()
    app = create_app(settings, engine, client, executor, clock=clock)
    server = make_server("127.0.0.1", 0, wsgi_app(app, engine), _ThreadingWSGIServer, _QuietHandler)
    serve_in_background(server)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield Bot(
            slack=SlackDriver(f"{url}/slack/events", SIGNING_SECRET, fake_slack),
            fake=fake_slack,
            engine=engine,
            url=url,
            settings=settings,
            app=app,
            clock=clock,
        )
    finally:
        server.shutdown()
        server.server_close()
        executor.shutdown(wait=True)  # no listener may outlive its test's database
        stop(app)
        serve_many(False)  # an OAuth app's: the next test's work has the one partnership


# OAuth mode ("Add to Slack"): the app as a deployment serving many workspaces runs it.
INSTALLER = "U0INSTALL1"
STATE_SECRET = "a-state-secret-long-enough"
PUBLIC_URL = "https://partnerbot.example.org"  # behind which the test's server stands


def oauth_settings(fake: FakeSlack, database_url: str) -> Settings:
    return Settings(
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.base_url,
        database_url=database_url,
        public_url=PUBLIC_URL,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret=STATE_SECRET,
    )


@pytest.fixture
def oauth_bot(engine: Engine, fake_slack: FakeSlack, database_url: str) -> Iterator[Bot]:
    """The app in OAuth mode on an empty database: nothing installed, no partnership file."""
    fake_slack.add_user(INSTALLER, "Ines Installer")
    with running(oauth_settings(fake_slack, database_url), engine, fake_slack) as bot:
        yield bot


@pytest.fixture(autouse=True)
def _one_partnership_again() -> Iterator[None]:
    """A test that served many partnerships (an OAuth app, the command line in OAuth mode)
    leaves the next test the one-workspace default."""
    yield
    serve_many(False)
