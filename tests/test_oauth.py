"""Installing through Slack's OAuth flow ("Add to Slack"), a partnership per workspace: driven
as a browser and Slack drive it (the install page, Slack's redirect back with a code, signed
requests to /slack/events), the code exchanged with the fake Slack's oauth.v2.access."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, Table, func, inspect, select
from sqlmodel import Session

from bot.config import SettingsError, load_settings
from bot.db import alembic_config, make_engine
from bot.fakeslack import CLIENT_ID, CLIENT_SECRET, TEAM_ID, FakeSlack
from bot.fakeslack.driver import SlackDriver
from bot.models import (
    Member,
    Partnership,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.partnership_scope import in_partnership
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from bot.services.rights import sending_paused
from bot.slack.oauth import SCOPES
from jobs.clock import job_client, run_job
from jobs.context import JobContext
from jobs.registry import JOBS
from tests.conftest import (
    BACKENDS,
    INSTALLER,
    PUBLIC_URL,
    SIGNING_SECRET,
    STATE_SECRET,
    Bot,
    private_postgres_schema,
)
from tests.helpers import add_to_slack_link, browse, install, shown

SECOND_TEAM = "T0SECOND"


def rows(engine: Engine, table: Table, team_id: str = TEAM_ID) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).select_from(table).where(table.c.team_id == team_id)
        return connection.execute(statement).scalar_one()


def issued_token(bot: Bot) -> str:
    return bot.fake.calls_to("oauth.v2.access")[-1].response["access_token"]


def welcomes(fake: FakeSlack, user_id: str = INSTALLER) -> list[str]:
    return [
        shown(c.args) for c in fake.calls_to("chat.postMessage") if c.args["channel"] == user_id
    ]


def test_the_install_page_links_to_slack_with_a_signed_state(oauth_bot: Bot) -> None:
    page = browse(oauth_bot, "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    link = urllib.parse.urlsplit(add_to_slack_link(page))
    asked = urllib.parse.parse_qs(link.query)
    assert link.netloc == "slack.com" and link.path == "/oauth/v2/authorize"
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["scope"] == [",".join(SCOPES)]
    assert asked["redirect_uri"] == [f"{PUBLIC_URL}/slack/oauth_redirect"]
    state = asked["state"][0]
    assert page.cookie == f"slack-app-oauth-state={state}"
    value, _, signature = state.rpartition(".")
    assert value and len(signature) == 64


def test_installing_stores_it_makes_the_installer_coordinator_and_welcomes_them(
    oauth_bot: Bot,
) -> None:
    page = install(oauth_bot)
    assert page.status == 200 and "Partnerbot is installed" in page.body
    assert "direct message" in page.body
    engine = oauth_bot.engine
    assert rows(engine, slack_installations) == 1 and rows(engine, slack_bots) == 1
    with in_partnership(1), Session(engine) as session:
        member = session.exec(select(Member).where(Member.slack_user_id == INSTALLER)).scalar_one()
        assert member.is_coordinator
        assert session.get(Partnership, 1).slack_team_id == TEAM_ID  # type: ignore[union-attr]
    (welcome,) = welcomes(oauth_bot.fake)
    assert "first coordinator" in welcome and "/partners help" in welcome
    assert "/invite @Partnerbot" in welcome and "partnership file" in welcome
    sent = oauth_bot.fake.calls_to("chat.postMessage")[-1]
    assert sent.token == issued_token(oauth_bot)  # through the outbox, with the stored token
    assert "slack_installations" not in page.body  # nothing of the machinery shown


def test_a_forged_or_reused_state_is_refused_and_installs_nothing(oauth_bot: Bot) -> None:
    page = browse(oauth_bot, "/slack/install")
    link = add_to_slack_link(page)
    forged = link.replace("state=", "state=0", 1)
    forged_cookie = page.cookie.replace("=", "=0", 1)
    back = oauth_bot.fake.mint_code(forged, TEAM_ID, INSTALLER)
    refused = browse(oauth_bot, back, forged_cookie)
    assert refused.status == 401 and "nothing was installed" in refused.body
    assert "Start again" in refused.body
    assert rows(oauth_bot.engine, slack_installations) == 0
    assert oauth_bot.fake.calls_to("oauth.v2.access") == []

    back = oauth_bot.fake.mint_code(link, TEAM_ID, INSTALLER)
    assert browse(oauth_bot, back, page.cookie).status == 200
    again = oauth_bot.fake.mint_code(link, TEAM_ID, INSTALLER)  # the same link, used again
    reused = browse(oauth_bot, again, page.cookie)
    assert reused.status == 401 and "already used" in reused.body
    assert rows(oauth_bot.engine, slack_installations) == 1
    assert len(welcomes(oauth_bot.fake)) == 1


def test_a_second_workspace_gets_a_partnership_of_its_own_and_nothing_of_the_first(
    oauth_bot: Bot,
) -> None:
    assert install(oauth_bot).status == 200
    oauth_bot.fake.add_user("U0SECOND1", "Sam Second", team_id=SECOND_TEAM)
    page = install(oauth_bot, SECOND_TEAM, "U0SECOND1")
    assert page.status == 200 and "Partnerbot is installed" in page.body
    assert rows(oauth_bot.engine, slack_bots, SECOND_TEAM) == 1
    assert oauth_bot.fake.calls_to("apps.uninstall") == []
    table = Partnership.__table__
    with oauth_bot.engine.connect() as connection:
        second = connection.execute(
            select(table.c.id, table.c.name).where(table.c.slack_team_id == SECOND_TEAM)
        ).one()
    assert second.id != 1 and second.name == f"Team {SECOND_TEAM}"
    for partnership, coordinator in ((1, INSTALLER), (second.id, "U0SECOND1")):
        with in_partnership(partnership), Session(oauth_bot.engine) as session:
            chosen = session.exec(select(Member.slack_user_id).where(Member.is_coordinator))
            assert chosen.scalars().all() == [coordinator]
    (welcome,) = welcomes(oauth_bot.fake, "U0SECOND1")
    assert "first coordinator" in welcome
    assert oauth_bot.fake.calls_to("chat.postMessage")[-1].token == issued_token(oauth_bot)
    # Slack says the second workspace uninstalled: its partnership pauses, the first does not.
    second_workspace = SlackDriver(
        oauth_bot.slack.app_url, SIGNING_SECRET, oauth_bot.fake, SECOND_TEAM
    )
    assert second_workspace.event({"type": "app_uninstalled"}).status == 200
    wait_until_paused(oauth_bot.engine, second.id)
    with in_partnership(1):
        assert not sending_paused(oauth_bot.engine)
    assert rows(oauth_bot.engine, slack_installations) == 1
    assert rows(oauth_bot.engine, slack_installations, SECOND_TEAM) == 0


def wait_until_paused(engine: Engine, partnership: int = 1) -> None:
    """The uninstall event is handled after Slack's acknowledgement."""
    deadline = time.monotonic() + 5
    with in_partnership(partnership):
        while not sending_paused(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sending_paused(engine)


def test_a_command_from_the_installed_workspace_is_answered_with_the_stored_token(
    oauth_bot: Bot,
) -> None:
    assert oauth_bot.slack.command("/partners", "help", user_id=INSTALLER).status == 200
    refusal = oauth_bot.fake.wait_for("response_url")[0]  # Bolt: this workspace has no install
    assert "isn't installed in this Slack workspace" in refusal.args["text"]
    assert "/slack/install" in refusal.args["text"]
    install(oauth_bot)
    answer = oauth_bot.ask("help", user_id=INSTALLER)
    assert "/partners" in shown(answer)
    tokens = {call.token for call in oauth_bot.fake.calls if call.method not in {"response_url"}}
    assert tokens - {""} == {issued_token(oauth_bot)}


def test_requests_are_authorised_from_the_stored_install_without_asking_slack(
    oauth_bot: Bot,
) -> None:
    """Bolt's own authorisation asked Slack's `auth.test` before every acknowledgement, a Web
    API round trip in each; what it learnt is what the install stored. An uninstalled
    workspace is refused all the same, its install being gone."""
    install(oauth_bot)
    asked = len(oauth_bot.fake.calls_to("auth.test"))
    for _ in range(3):
        assert "/partners" in shown(oauth_bot.ask("help", user_id=INSTALLER))
    assert len(oauth_bot.fake.calls_to("auth.test")) == asked
    assert oauth_bot.slack.event({"type": "app_uninstalled"}).status == 200
    wait_until_paused(oauth_bot.engine)
    seen = len(oauth_bot.fake.calls_to("response_url"))
    assert oauth_bot.slack.command("/partners", "help", user_id=INSTALLER).status == 200
    refusal = oauth_bot.fake.wait_for("response_url", count=seen + 1)[-1]
    assert "isn't installed in this Slack workspace" in refusal.args["text"]


def test_uninstalling_removes_the_installation_and_pauses_sending_keeping_the_data(
    oauth_bot: Bot,
) -> None:
    install(oauth_bot)
    assert oauth_bot.slack.event({"type": "app_uninstalled"}).status == 200
    wait_until_paused(oauth_bot.engine)
    assert rows(oauth_bot.engine, slack_installations) == 0
    assert rows(oauth_bot.engine, slack_bots) == 0
    with in_partnership(1), Session(oauth_bot.engine) as session:  # the data stays
        assert session.exec(select(Member).where(Member.slack_user_id == INSTALLER)).first()


def test_the_same_workspace_reinstalling_resumes_with_its_data(oauth_bot: Bot) -> None:
    install(oauth_bot)
    oauth_bot.slack.event({"type": "tokens_revoked", "tokens": {"bot": ["UPARTNERBOT"]}})
    wait_until_paused(oauth_bot.engine)
    page = install(oauth_bot, user_id="U0OTHERADMIN")
    assert page.status == 200
    with in_partnership(1):
        assert not sending_paused(oauth_bot.engine)
    assert rows(oauth_bot.engine, slack_bots) == 1
    with in_partnership(1), Session(oauth_bot.engine) as session:
        coordinators = session.exec(select(Member.slack_user_id).where(Member.is_coordinator))
        assert coordinators.scalars().all() == [INSTALLER]  # the first one stays the only one


def test_the_clock_uses_the_installed_token_and_says_when_there_is_none(
    oauth_bot: Bot, fake_slack: FakeSlack
) -> None:
    engine = oauth_bot.engine
    with in_partnership(1):
        apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
        client = job_client(oauth_bot.settings, engine)
        jobs = JobContext(engine=engine, zone=oauth_bot.settings.zone, client=client)
        summary = run_job("digest", jobs)
        assert "not installed yet" in summary and "/slack/install" in summary
    install(oauth_bot)
    with in_partnership(1):
        assert client.bot_token(None) == issued_token(oauth_bot)  # type: ignore[attr-defined]
        assert "not installed" not in run_job("digest", jobs)


def test_the_store_tables_are_slack_sdks_column_for_column() -> None:
    theirs = MetaData()
    built = [
        SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states"),
    ]
    for mine, slack_sdks in zip(
        (slack_installations, slack_bots, slack_oauth_states), built, strict=True
    ):
        assert _shape(mine) == _shape(slack_sdks)


def _shape(table: Table) -> tuple[object, ...]:
    columns = [
        (c.name, repr(c.type), c.nullable, c.primary_key, c.autoincrement) for c in table.columns
    ]
    indexes = sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)
    return table.name, columns, indexes


@pytest.fixture(params=BACKENDS)
def before_oauth(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to 0016, the last migration before the OAuth stores."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
        command.upgrade(alembic_config(engine), "0016")
        yield engine
        engine.dispose()
        return
    with private_postgres_schema("0016") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_the_migrations_make_the_store_tables_and_downgrading_drops_them(
    before_oauth: Engine,
) -> None:
    stores = {"slack_installations", "slack_bots", "slack_oauth_states"}
    config = alembic_config(before_oauth)
    command.upgrade(config, "head")
    assert stores <= set(inspect(before_oauth).get_table_names())
    command.downgrade(config, "0016")
    assert not stores & set(inspect(before_oauth).get_table_names())


# Settings ----------------------------------------------------------------------------------------

OAUTH_ENV = {
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "SLACK_STATE_SECRET": STATE_SECRET,
}


def test_the_three_oauth_settings_make_oauth_mode() -> None:
    settings = load_settings(OAUTH_ENV)
    assert settings.oauth and settings.slack_bot_token is None
    assert not load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).oauth
    assert replace(settings, slack_client_secret=None).oauth is False


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SLACK_CLIENT_ID": CLIENT_ID}, "SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are not"),
        (OAUTH_ENV | {"SLACK_STATE_SECRET": ""}, "SLACK_STATE_SECRET is not"),
        (OAUTH_ENV | {"SLACK_STATE_SECRET": "short"}, "at least 16 characters"),
        (OAUTH_ENV | {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both"),
        (OAUTH_ENV | {"SLACK_APP_TOKEN": "xapp-1"}, "not Socket Mode"),
    ],
)
def test_a_half_set_or_clashing_oauth_setting_is_one_clear_line(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError, match=says) as refused:
        load_settings(env)
    assert "\n" not in str(refused.value)
