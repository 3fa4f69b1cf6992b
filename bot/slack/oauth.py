"""Installing through Slack's OAuth flow ("Add to Slack"): Bolt's flow, with slack_sdk's
SQLAlchemy stores on the bot's own database, a partnership for each workspace.

`GET /slack/install` shows the Add to Slack link; Slack sends the installer back to
`GET /slack/oauth_redirect` with a code, which Bolt exchanges (`oauth.v2.access`) for the bot
token. Before the installation is stored, the workspace claims its partnership (its own again
on a reinstall, else a new one: bot.services.workspace). Once stored, the installer becomes
that partnership's first coordinator and gets the welcome DM. The pages are
in plain words: whoever installs is a charity worker, not a developer.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, bindparam, delete, desc, select

from bot.config import Settings
from bot.db import one_statement
from bot.email_pages import PAGE, PAGE_HEADERS
from bot.models import slack_bots, utcnow
from bot.partnership_scope import in_partnership
from bot.services.outbox import Notice
from bot.services.workspace import (
    INSTALL_PATH,
    ConnectRefused,
    Installed,
    of_workspace,
    partnership_of_team,
    partnership_of_workspace,
    workspace_key,
)
from bot.slack.blocks.install import welcome
from bot.slack.client import DependableClient
from bot.slack.profiles import profile_loader
from bot.slack.tenancy import found
from bot.slack.wiring import Services

log = logging.getLogger("partnerbot.oauth")

REDIRECT_PATH = "/slack/oauth_redirect"
# The bot's scopes, exactly manifest.yml's (tests/test_manifest.py); the README says why each.
SCOPES = (
    "commands", "chat:write", "im:write", "users:read", "users:read.email", "files:write",
    "files:read",
)  # fmt: skip
STATE_LIFETIME = 600  # seconds an install link works: Slack's own default
NOT_INSTALLED = (
    "Partnerbot isn't installed in this Slack workspace (or it was removed), so nothing was "
    "done. Someone who may add apps here can install it from {link}; then ask again."
)


def not_installed(settings: Settings) -> str:
    """What a person is told when their workspace has no installation (Bolt answers it)."""
    base = (settings.public_url or "").rstrip("/")
    return NOT_INSTALLED.format(
        link=f"{base}{INSTALL_PATH}" if base else "the bot's install page (/slack/install)"
    )


class SignedStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, stricter in two ways: each state carries an HMAC made with
    SLACK_STATE_SECRET, so a made-up one is refused without asking the database; and a state
    is taken by one DELETE, so the same one sent twice at once (a double click) works once on
    PostgreSQL too, where slack_sdk's select-then-delete could let both through. Expired ones
    are cleared as new ones are issued."""

    def __init__(self, secret: str, engine: Engine) -> None:
        super().__init__(expiration_seconds=STATE_LIFETIME, engine=engine)
        self.secret = secret.encode()

    def issue(self, *args: object, connect: str = "", **kwargs: object) -> str:
        """A new state; one carrying `connect` (a coordinator's link, bot.services.workspace)
        brings it through Slack's redirect, under the state's signature."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(self.oauth_states).where(self.oauth_states.c.expire_at < _now())
            )
        state = super().issue()
        value = f"{state}{CARRIES}{connect}" if connect else state
        return f"{value}.{self._signature(value)}"

    def consume(self, state: str) -> bool:
        value, _, signature = (state or "").rpartition(".")
        if not value or not hmac.compare_digest(signature, self._signature(value)):
            return False
        c = self.oauth_states.c
        stored = value.partition(CARRIES)[0]
        with self.engine.begin() as connection:
            taken = connection.execute(
                delete(self.oauth_states).where(c.state == stored, c.expire_at > _now())
            )
        return taken.rowcount == 1

    def _signature(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()


CARRIES = "~"  # between a state and the coordinator's link it brings back (neither has one)


def carried_link(state: str) -> str:
    """The coordinator's link a state brought back ("" for a plain install); only read once
    the state's signature was checked (`consume`)."""
    value = state.rpartition(".")[0]
    return value.partition(CARRIES)[2]


def connect_link_of(request: BoltRequest) -> str:
    """The `connect` a coordinator's link put on the install page's address."""
    return (request.query.get("connect") or [""])[0]


def _now() -> datetime:
    """Naive UTC, as slack_sdk stores the states' expiry."""
    return datetime.now(UTC).replace(tzinfo=None)


class PartnershipOAuthFlow(OAuthFlow):
    """Bolt's flow, with the partnership's own install page, each workspace its partnership."""

    def __init__(self, client: WebClient, settings: OAuthSettings, services: Services) -> None:
        super().__init__(client=client, logger=log, settings=settings)
        self.services = services

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        """The install page; from a coordinator's link, only while the link is good."""
        if connect_link_of(request) and self._joining(connect_link_of(request)) is None:
            body = (
                f"<p>{html.escape(EXPIRED_LINK)}</p>"
                '<p>To add Partnerbot for a partnership of your own instead, <a href="'
                f'{INSTALL_PATH}">start here</a>.</p>'
            )
            headers: dict[str, str | Sequence[str]] = dict(PAGE_HEADERS)
            headers["Content-Type"] = "text/html; charset=utf-8"
            return BoltResponse(
                status=400, headers=headers, body=page("This link doesn't work", body)
            )
        return super().handle_installation(request)

    def issue_new_state(self, request: BoltRequest) -> str:
        store = self.settings.state_store
        assert isinstance(store, SignedStateStore)
        return store.issue(connect=connect_link_of(request))

    def _joining(self, link: str) -> int | None:
        invitations = self.services.workspace.invitations
        return invitations.partnership_of(link, utcnow()) if invitations else None

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        if connect_link_of(request):
            return page(
                "Connect your Slack to the partnership",
                "<p>A coordinator of a partnership your organisation belongs to sent you this "
                "link. Adding Partnerbot from it connects your Slack workspace to that "
                "partnership: your people can then use its commands here, and its buttons in "
                "the channels you share, as the partnership's members. Nothing of your "
                "workspace beyond that is shared.</p>"
                f'<p><a href="{html.escape(url)}">Add to Slack</a></p>'
                "<p><small>The link works once, for 10 minutes, in this browser.</small></p>",
            )
        return page(
            "Add Partnerbot to your Slack",
            "<p>Partnerbot keeps a partnership's organisations connected between meetings: "
            "updates, hot desks, opportunities and the follow-up of sessions, in Slack.</p>"
            "<p>The button takes you to Slack, which asks you to allow Partnerbot into your "
            "workspace, then brings you back here. Whoever installs it becomes the "
            "partnership's first coordinator if it has none yet.</p>"
            f'<p><a href="{html.escape(url)}">Add to Slack</a></p>'
            "<p><small>The link works once, for 10 minutes, in this browser.</small></p>",
        )

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        workspace = self.services.workspace
        link = carried_link((request.query.get("state") or [""])[0])
        joining = self._joining(link) if link else None
        if link and joining is None:
            self._uninstall_if_unknown(installation)
            raise NotConnected(EXPIRED_LINK)
        if joining is not None:
            try:
                partnership = workspace.connect(workspace_of(installation), joining)
            except ConnectRefused as refused:
                raise NotConnected(str(refused)) from None
        else:
            name = installation.enterprise_name if installation.is_enterprise_install else None
            partnership = workspace.claim(
                workspace_of(installation), name or installation.team_name or ""
            )
        super().store_installation(request, installation)

        def greeting(done: Installed) -> list[Notice]:
            return [Notice("dm", done.installer_id, welcome(done).rendered(), "welcome")]

        client = DependableClient.like(self.client)
        client.token = installation.bot_token  # the workspace's, just installed
        with in_partnership(partnership):
            done = workspace.installed(
                installation.user_id, profile_loader(client), greeting, joining is not None
            )
            self.services.sender.notices(done.notices)

    def _uninstall_if_unknown(self, installation: Installation) -> None:
        """Slack added the app where the link no longer let it in: a workspace with no
        partnership is left as it was (one with its own keeps its installation)."""
        if partnership_of_team(self.services.workspace.engine, workspace_of(installation)):
            return
        try:
            self.client.apps_uninstall(
                client_id=self.settings.client_id,
                client_secret=self.settings.client_secret,
                token=installation.bot_token,
            )
        except SlackApiError as error:
            log.warning("could not uninstall after an expired link: %s", error)


def workspace_of(installation: Installation) -> str:
    return workspace_key(
        installation.team_id, installation.enterprise_id, installation.is_enterprise_install
    )


def oauth_flow(
    settings: Settings, engine: Engine, client: WebClient, services: Services
) -> OAuthFlow:
    """The flow for `create_app` in OAuth mode (settings.oauth), its stores on `engine`."""
    assert settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    redirect = f"{settings.public_url.rstrip('/')}{REDIRECT_PATH}" if settings.public_url else None
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(SCOPES),
        user_scopes=[],
        redirect_uri=redirect,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=installed_page, failure=failed_page),
        installation_store=SQLAlchemyInstallationStore(
            settings.slack_client_id, engine, logger=log
        ),
        state_store=SignedStateStore(settings.slack_state_secret, engine),
        state_expiration_seconds=STATE_LIFETIME,
        logger=log,
    )
    return PartnershipOAuthFlow(client, oauth_settings, services)


class StoredBot(Authorize):
    """How Bolt authorises each request in OAuth mode: the workspace's bot as the install
    stored it (its token, bot and bot user ids, scopes), read in one statement. Bolt's own
    asks Slack's `auth.test` about the token before every acknowledgement (a Web API round
    trip: 150 ms here, in each request) after reading the store through slack_sdk; what it
    learns is what the install stored. A workspace that uninstalled has no bot stored, so it
    is refused, as one that never installed. The same statement finds the workspace's
    partnership for bot.slack.tenancy, which then need not ask again."""

    def __init__(self, engine: Engine, client_id: str) -> None:
        super().__init__()
        self.engine, self.client_id = engine, client_id

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: str | None,
    ) -> AuthorizeResult | None:
        workspace = workspace_key(team_id, enterprise_id, context.is_enterprise_install)
        if not workspace:
            return None
        with one_statement(self.engine) as connection:
            bot = connection.execute(
                _STORED_BOT, {"workspace": workspace, "client_id": self.client_id}
            ).first()
        if bot is None:
            return None
        found(context, workspace, bot.partnership)  # the tenancy middleware's, in this read
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id, bot_token=bot.bot_token, bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )  # fmt: skip


_STORED_BOT = (
    select(slack_bots.c.bot_token, slack_bots.c.bot_id, slack_bots.c.bot_user_id,
           slack_bots.c.bot_scopes,
           partnership_of_workspace(bindparam("workspace")).label("partnership"))
    .where(
        of_workspace(slack_bots, bindparam("workspace")),
        slack_bots.c.client_id == bindparam("client_id"),
        slack_bots.c.bot_token.is_not(None),
    )
    .order_by(desc(slack_bots.c.installed_at))
    .limit(1)
)  # fmt: skip


def installed_page(args: SuccessArgs) -> BoltResponse:
    team = args.installation.team_name or "your workspace"
    slack = f"https://app.slack.com/client/{args.installation.team_id}"
    body = (
        f"<p>Partnerbot is now in {html.escape(team)}'s Slack.</p>"
        "<p>It has sent you a direct message there with the first steps: open Slack and look "
        "for <strong>Partnerbot</strong> under <em>Apps</em>. You can close this page.</p>"
        f'<p><a href="{html.escape(slack)}">Open Slack</a></p>'
    )
    return _answer(args, 200, page("Partnerbot is installed", body))


# Why an install did not happen, in plain words, by Bolt's reason (else Slack's error code).
FAILURES = {
    "access_denied": "You chose not to add Partnerbot in Slack, so nothing was installed.",
    "invalid_browser": (
        "This page was opened in a different browser from the one that started installing, "
        "or it was reloaded, so nothing was installed."
    ),
    "invalid_state": (
        "This install link was already used, has expired (each works once, for 10 minutes), "
        "or did not come from this Partnerbot, so nothing was installed."
    ),
    "missing_code": "Slack did not send what completes the install, so nothing was installed.",
    "invalid_code": (
        "Slack did not accept the install (its one-time code was refused or already used), "
        "so nothing was installed."
    ),
}
START_AGAIN = f'<p><a href="{INSTALL_PATH}">Start again</a></p>'


class NotConnected(BoltError):
    """An install from a coordinator's link that could not connect the workspace."""


EXPIRED_LINK = (
    "This link to connect your Slack workspace to a partnership has expired (each works for "
    "7 days) or was changed, so nothing was connected. Ask the coordinator who sent it for a "
    "new one: they type /partners connect."
)


def failed_page(args: FailureArgs) -> BoltResponse:
    if isinstance(args.error, NotConnected):
        body = f"<p>{html.escape(str(args.error))}</p>"
        return _answer(args, 403, page("Your workspace was not connected", body))
    if args.reason == "storage_error":
        log.error("installing failed: %s", args.error)
        body = (
            "<p>Slack allowed the install, but Partnerbot could not save it.</p>"
            "<p>Ask whoever runs Partnerbot to look at its logs, then start again.</p>"
        )
    else:
        reason = FAILURES.get(
            args.reason,
            f"Slack stopped the install ({html.escape(args.reason)}), so nothing was installed.",
        )
        body = f"<p>{reason}</p><p>To try again, start from the beginning.</p>"
    return _answer(
        args, args.suggested_status_code, page("Partnerbot was not installed", body + START_AGAIN)
    )


def _answer(args: SuccessArgs | FailureArgs, status: int, body: str) -> BoltResponse:
    """The page, with the state's cookie cleared (it was for this one attempt)."""
    cookie = args.settings.state_utils.build_set_cookie_for_deletion()
    headers: dict[str, str | Sequence[str]] = dict(PAGE_HEADERS)
    headers |= {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": cookie}
    return BoltResponse(status=status, headers=headers, body=body)


def page(title: str, body: str) -> str:
    """A page as the web process's others look (bot.email_pages); `body` is HTML, escaped."""
    return PAGE.format(title=html.escape(title), body=body)
