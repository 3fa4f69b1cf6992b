"""One deployment, many workspaces (OAuth mode): each workspace installed through the real flow
is its own partnership, and nothing one workspace's members do shows them, or changes, anything
of another's.

The sweep plants a word only one workspace's data holds (its member's update, their name), has
each workspace's members run the bot's commands, Home tab and the digest, and looks for every
other workspace's word in everything the bot sent to Slack meanwhile; every Web API call is made
with that workspace's own token. The app serves many partnerships here (`serve_many`), so any
path that forgot its partnership would fail rather than leak.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.fakeslack import TEAM_ID, FakeSlack
from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.state import Call
from bot.models import Member, Partnership, PartnerUpdate, slack_bots
from bot.partnership_scope import in_partnership
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from bot.services.rights import sending_paused
from bot.services.workspace import partnership_of_team
from jobs.clock import job_client, run_job
from jobs.context import JobContext
from jobs.registry import JOBS
from tests.conftest import PUBLIC_URL, SIGNING_SECRET, Bot
from tests.helpers import Page, add_to_slack_link, browse, buttons, form_values, install, shown


@dataclass(frozen=True)
class Workspace:
    team: str
    partnership: int
    installer: str
    member: str
    mark: str  # a word only this workspace's data holds
    slack: SlackDriver
    token: str
    update: str  # the value of its update's Edit button: the update's id


def planted(bot: Bot, number: int) -> Workspace:
    """A workspace installed through the flow, the sample partnership file loaded, and a member
    who joined an organisation and posted an update holding the workspace's word."""
    team = TEAM_ID if number == 0 else f"T0TEAM{number:02d}"
    installer, member = f"U0INST{number:02d}", f"U0MEMB{number:02d}"
    mark = f"Plantword{chr(ord('a') + number)}{chr(ord('a') + number)}"
    bot.fake.add_user(installer, f"Ines {mark}", team_id=team)
    bot.fake.add_user(member, f"Sam {mark}", team_id=team)
    assert install(bot, team, installer).status == 200
    partnership = partnership_of_team(bot.engine, team)
    assert partnership is not None
    with in_partnership(partnership):
        apply_partnership(bot.engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    token = next(
        call.response["access_token"]
        for call in bot.fake.calls_to("oauth.v2.access")
        if call.response.get("team", {}).get("id") == team
    )
    slack = SlackDriver(bot.slack.app_url, SIGNING_SECRET, bot.fake, team)
    workspace = Workspace(team, partnership, installer, member, mark, slack, token, "")
    ask(bot, workspace, "/partners", "join HRS")
    posted = ask(bot, workspace, "/update", f"{mark} drop-in on Saturdays")
    assert "Posted" in shown(posted)
    shared = ask(bot, workspace, "/opportunity", f"funding {mark} hardship grants closes 12/12")
    assert "Shared" in shown(shared) or mark in shown(shared), shown(shared)
    term = ask(bot, workspace, "/jargon", f"add {mark.upper()} {mark} plan — how we work")
    assert mark.upper() in shown(term), shown(term)
    edit = next(b for b in buttons(posted) if b["action_id"] == "update_edit")
    return replace(workspace, update=edit["value"])


def edit_own_update(bot: Bot, workspace: Workspace, text: str) -> None:
    """Click Edit on the workspace's update and submit the form with `text`."""
    seen = len(bot.fake.calls_to("views.open"))
    workspace.slack.block_action(workspace.member, "update_edit", workspace.update)
    view = bot.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    workspace.slack.view_submission(workspace.member, view, form_values(text))
    bot.fake.wait_for("chat.update", lambda call: text in shown(call.args))


def click_edit_on(bot: Bot, workspace: Workspace, update: str) -> None:
    """Click Edit with another's update id in the button (a forged click): told it is not
    there, and no form opens."""

    def gone(call: Call) -> bool:
        return "That update no longer exists" in shown(call.args)

    seen = len([call for call in bot.fake.calls_to("response_url") if gone(call)])
    opened = len(bot.fake.calls_to("views.open"))
    workspace.slack.block_action(workspace.member, "update_edit", update)
    bot.fake.wait_for("response_url", gone, count=seen + 1)
    assert len(bot.fake.calls_to("views.open")) == opened


def ask(bot: Bot, workspace: Workspace, command: str, text: str, user: str = "") -> dict:
    seen = len(bot.fake.calls_to("response_url"))
    reply = workspace.slack.command(command, text, user_id=user or workspace.member)
    assert reply.status == 200, reply
    return bot.fake.wait_for("response_url", count=seen + 1)[-1].args


# What each workspace's members run; each answer, and all it sends, is its workspace's only.
PROBES = (
    ("/partners", "help"),
    ("/partners", "orgs"),
    ("/partners", "org HRS"),
    ("/partners", "whoami"),
    ("/partners", "my-data"),
    ("/update", "search drop-in"),
    ("/update", "search Plantword"),
    ("/hotdesk", "free"),
    ("/opportunity", "list"),
    ("/opportunity", "list funding"),
    ("/jargon", ""),
    ("/jargon", "search plan"),
    ("/session", "list"),
)


UNSIGNED = {"response_url", "file_upload"}


@pytest.mark.parametrize("workspaces", [2, 20])
def test_every_workspace_sees_and_changes_only_its_own_partnership(
    oauth_bot: Bot, fake_slack: FakeSlack, workspaces: int
) -> None:
    bot = oauth_bot
    every = [planted(bot, number) for number in range(workspaces)]
    assert len({workspace.partnership for workspace in every}) == workspaces
    probes = PROBES if workspaces == 2 else PROBES[5:7]  # twenty: the search across them
    for workspace in every:
        others = {other.mark for other in every if other is not workspace}
        start = len(fake_slack.calls)
        for command, text in probes:
            answer = ask(bot, workspace, command, text)
            said = shown(answer)
            assert "isn't installed" not in said and "isn't a command" not in said, said
        found = ask(bot, workspace, "/update", "search drop-in")
        assert workspace.mark in shown(found)
        if workspaces == 2:
            workspace.slack.event({"type": "app_home_opened", "user": workspace.member})
            fake_slack.wait_for("views.publish", lambda call, w=workspace: call.token == w.token)
            run_digest(bot, workspace)
            edit_own_update(bot, workspace, f"{workspace.mark} drop-in on Fridays")
            other = next(o for o in every if o is not workspace)
            click_edit_on(bot, workspace, other.update)
        sent = fake_slack.calls[start:]
        leaked = [call.method for call in sent if any(m in json.dumps(call.args) for m in others)]
        assert leaked == [], f"{workspace.team} was shown another workspace's data"
        # (a response URL and a file's upload URL carry no token: Slack made them for this one)
        tokens = {call.token for call in sent if call.method not in UNSIGNED}
        assert tokens <= {workspace.token}, f"{workspace.team} used another's token"
    for workspace in every:  # what each changed stayed in its own partnership
        with in_partnership(workspace.partnership), Session(bot.engine) as session:
            texts = session.exec(select(PartnerUpdate.text)).scalars().all()
            day = "Fridays" if workspaces == 2 else "Saturdays"  # each edited its own, only
            assert [str(text) for text in texts] == [f"{workspace.mark} drop-in on {day}"]
            people = set(session.exec(select(Member.slack_user_id)).scalars())
            assert {workspace.installer, workspace.member} <= people
            strangers = {o.member for o in every} | {o.installer for o in every}
            assert people & strangers == {workspace.installer, workspace.member}


def run_digest(bot: Bot, workspace: Workspace) -> None:
    """The weekly digest, run as the clock runs it for this workspace's partnership."""
    with in_partnership(workspace.partnership):
        client = job_client(bot.settings, bot.engine)
        jobs = JobContext(engine=bot.engine, zone=bot.settings.zone, client=client)
        assert "failed" not in run_job("digest", jobs)


def test_a_request_from_a_workspace_with_no_partnership_is_refused_plainly(
    oauth_bot: Bot, fake_slack: FakeSlack
) -> None:
    planted(oauth_bot, 0)
    stranger = SlackDriver(oauth_bot.slack.app_url, SIGNING_SECRET, fake_slack, "T0STRANGER")
    before = partnership_count(oauth_bot.engine)
    assert stranger.command("/partners", "help", user_id="U0STRANGE").status == 200
    refusal = fake_slack.wait_for("response_url")[-1].args
    assert "isn't installed in this Slack workspace" in refusal["text"]
    assert stranger.event({"type": "app_home_opened", "user": "U0STRANGE"}).status == 200
    assert partnership_count(oauth_bot.engine) == before


def partnership_count(engine: Engine) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).select_from(Partnership.__table__)
        return int(connection.execute(statement).scalar_one())


PARTNER_TEAM = "T0PARTNER"  # a partner organisation's own workspace (Slack Connect)


def connect_link(bot: Bot, coordinator: Workspace) -> str:
    """What `/partners connect` gives the partnership's coordinator (its installer)."""
    answer = shown(ask(bot, coordinator, "/partners", "connect", coordinator.installer))
    return answer[answer.index(PUBLIC_URL) :].split()[0]


def install_from(bot: Bot, link: str, team: str, user: str) -> Page:
    page = browse(bot, link)
    if page.status != 200:
        return page
    back = bot.fake.mint_code(add_to_slack_link(page), team, user, "Partner Org")
    return browse(bot, back, page.cookie)


def test_a_partners_own_workspace_connected_from_a_coordinators_link_is_the_partnerships(
    oauth_bot: Bot, fake_slack: FakeSlack
) -> None:
    bot, home = oauth_bot, planted(oauth_bot, 0)
    refused = shown(ask(bot, home, "/partners", "connect"))  # a member, not a coordinator
    assert "Only a coordinator" in refused
    link = connect_link(bot, home)
    fake_slack.add_user("U0PADMIN", "Pat Admin", team_id=PARTNER_TEAM)
    fake_slack.add_user("U0PMEMBER", "Priya Partner", team_id=PARTNER_TEAM)
    assert "Connect your Slack" in browse(bot, link).body
    page = install_from(bot, link, PARTNER_TEAM, "U0PADMIN")
    assert page.status == 200, page.body
    assert partnership_of_team(bot.engine, PARTNER_TEAM) == home.partnership
    assert partnership_count(bot.engine) == 1
    partner_token = next(
        c.response["access_token"]
        for c in fake_slack.calls_to("oauth.v2.access")
        if c.response.get("team", {}).get("id") == PARTNER_TEAM
    )
    (welcome,) = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0PADMIN"
    ]
    assert welcome.ok and welcome.token == partner_token and "connected to" in shown(welcome.args)
    # The partner's people use the commands from their own workspace, as the partnership's.
    partner = replace(home, team=PARTNER_TEAM, member="U0PMEMBER", installer="U0PADMIN")
    partner = replace(
        partner, slack=SlackDriver(bot.slack.app_url, SIGNING_SECRET, fake_slack, PARTNER_TEAM)
    )
    assert "Harbour Refugee Support" in shown(ask(bot, partner, "/partners", "join HRS"))
    found = shown(ask(bot, partner, "/update", "search drop-in"))
    assert home.mark in found  # the partnership's news, which the partner now belongs to
    ask(bot, partner, "/partners", "my-data")  # sent to their DM: with their workspace's token
    opened = fake_slack.wait_for("conversations.open", lambda c: c.args["users"] == "U0PMEMBER")
    assert opened[-1].ok and opened[-1].token == partner_token
    with in_partnership(home.partnership), Session(bot.engine) as session:
        joined = session.exec(
            select(Member).where(Member.slack_user_id == "U0PMEMBER")
        ).scalar_one()
        assert joined.slack_team_id == PARTNER_TEAM and joined.organisation_id is not None
    # The partner's admin uninstalls the app from their own workspace: its installation goes,
    # and the partnership, whose own workspace still has the app, goes on sending.
    assert partner.slack.event({"type": "app_uninstalled"}).status == 200
    deadline = time.monotonic() + 5
    while installations(bot.engine, PARTNER_TEAM) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert installations(bot.engine, PARTNER_TEAM) == 0
    assert installations(bot.engine, home.team) == 1
    with in_partnership(home.partnership):
        assert not sending_paused(bot.engine)
    assert "Harbour Refugee Support" in shown(ask(bot, home, "/partners", "organisations"))


def installations(engine: Engine, team_id: str) -> int:
    """The workspace's stored bot installations (slack_sdk's store)."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(slack_bots).where(slack_bots.c.team_id == team_id)
        ).scalar_one()


def test_a_connect_link_changed_or_for_a_workspace_with_a_partnership_connects_nothing(
    oauth_bot: Bot, fake_slack: FakeSlack
) -> None:
    bot = oauth_bot
    home, other = planted(bot, 0), planted(bot, 1)
    link = connect_link(bot, home)
    changed = link.replace("connect=1.", "connect=2.")
    page = browse(bot, changed if changed != link else link + "0")
    assert page.status == 400 and "expired" in page.body
    refused = install_from(bot, link, other.team, other.installer)
    assert refused.status == 403 and "partnership of its own" in refused.body
    assert partnership_of_team(bot.engine, other.team) == other.partnership
    assert fake_slack.calls_to("apps.uninstall") == []  # its own installation stays


def test_an_enterprise_grid_organisation_installed_across_it_is_one_partnership(
    oauth_bot: Bot, fake_slack: FakeSlack
) -> None:
    """Installed org-wide, the app is the organisation's: its workspaces' people are one
    partnership's, known by the enterprise id, answered with the organisation's token."""
    bot = oauth_bot
    planted(bot, 0)  # another partnership beside it
    for user in ("U0GRIDADMIN", "U0GRIDMEMBER"):
        fake_slack.add_user(user, f"Grid {user}", team_id="E0GRID")
    page = browse(bot, "/slack/install")
    back = fake_slack.mint_code(
        add_to_slack_link(page), "T0GRIDWS1", "U0GRIDADMIN", "Grid Org", enterprise_id="E0GRID"
    )
    assert browse(bot, back, page.cookie).status == 200
    partnership = partnership_of_team(bot.engine, "E0GRID")
    assert partnership is not None and partnership != 1
    assert (
        partnership_of_team(bot.engine, "T0GRIDWS1") is None
    )  # the organisation's, not one workspace's
    token = fake_slack.calls_to("oauth.v2.access")[-1].response["access_token"]
    with in_partnership(partnership):
        apply_partnership(bot.engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    driver = SlackDriver(bot.slack.app_url, SIGNING_SECRET, fake_slack, "T0GRIDWS2", "E0GRID")
    grid = Workspace(
        "T0GRIDWS2", partnership, "U0GRIDADMIN", "U0GRIDMEMBER", "Gridword", driver, token, ""
    )
    assert "Harbour Refugee Support" in shown(ask(bot, grid, "/partners", "join HRS"))
    ask(bot, grid, "/partners", "my-data")  # to their DM, with the organisation's token
    opened = fake_slack.wait_for("conversations.open", lambda c: c.args["users"] == "U0GRIDMEMBER")
    assert opened[-1].ok and opened[-1].token == token
    with in_partnership(partnership), Session(bot.engine) as session:
        people = set(session.exec(select(Member.slack_user_id)).scalars())
    assert {"U0GRIDADMIN", "U0GRIDMEMBER"} <= people
