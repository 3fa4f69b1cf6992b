"""The Slack workspaces a deployment installed through OAuth ("Add to Slack") serves: one
partnership each (`Partnership.slack_team_id`).

A workspace installing for the first time claims a partnership (`Workspace.claim`), and the
claim outlives an uninstall, so a reinstall finds its data again and no other workspace ever
sees it. The installation itself (its bot token) lives in slack_sdk's store tables
(bot.models): Bolt's OAuth flow writes it; this module reads the token for work done outside a
Slack request (the outbox's sender, the jobs) and removes the installation when Slack says the
app was uninstalled. With a bot token set instead (one workspace, no OAuth) nothing is claimed,
and an uninstall only pauses sending, as before.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, desc, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.db import one_statement, read_scope, session_scope
from bot.models import (
    ConnectedWorkspace,
    Member,
    Partnership,
    slack_bots,
    slack_installations,
    utcnow,
)
from bot.partnership_scope import ONLY, current_partnership, in_partnership
from bot.services import audit, outbox
from bot.services.directory import (
    ProfileLoader,
    coordinators_in,
    ensure_member,
    profiles_ahead,
)
from bot.services.outbox import Notices, Written, no_notices
from bot.services.refusal import Refusal

SLACK = "Slack"  # the audit trail's actor for what Slack told the bot
CLAIM_TRIES = 5  # installs racing for a new partnership's id: each loser looks again
CONNECT_LIFETIME = timedelta(days=7)  # how long a link to connect a workspace works
INSTALL_PATH = "/slack/install"
NOT_OAUTH = (
    "Connecting another Slack workspace needs Partnerbot installed through *Add to Slack*, "
    "and this one runs with a single workspace's token. Ask whoever runs Partnerbot (the "
    "README's _Many workspaces_ says how)."
)
COORDINATORS_ONLY = "Only a coordinator can connect another Slack workspace to the partnership."


class ConnectRefused(Refusal):
    """A workspace that cannot be connected: it is already another partnership's."""


@dataclass(frozen=True)
class Invitations:
    """Links a coordinator sends to a partner organisation's Slack admin: installing
    Partnerbot from one connects that workspace to the partnership (Slack Connect: the
    partner's own workspace, sharing channels with the partnership's) instead of making it a
    partnership of its own. Each names the partnership and its expiry, signed with
    SLACK_STATE_SECRET, so it cannot be made up or moved to another partnership."""

    secret: str
    base: str  # PUBLIC_URL: the web process, which serves the install page

    def url(self, partnership: int, now: datetime) -> str:
        expires = int((now + CONNECT_LIFETIME).timestamp())
        payload = f"{partnership}.{expires}"
        return f"{self.base.rstrip('/')}{INSTALL_PATH}?connect={payload}.{self._sign(payload)}"

    def partnership_of(self, token: str, now: datetime) -> int | None:
        """The partnership a link's token connects to; None when it was not made here, was
        changed, or has expired."""
        payload, _, signature = token.rpartition(".")
        partnership, _, expires = payload.partition(".")
        if not (partnership.isdigit() and expires.isdigit()):
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        return int(partnership) if now.timestamp() < int(expires) else None

    def _sign(self, payload: str) -> str:
        message = f"connect:{payload}".encode()  # not a state's signature, though the same key
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Installed:
    """What an install changed, for the welcome DM."""

    installer_id: str
    partnership: str  # its name
    first_coordinator: bool  # the installer became the partnership's first coordinator
    resumed: bool  # sending had been paused by an uninstall, and is resumed
    notices: tuple[Written, ...] = ()
    connected: bool = False  # the installer's workspace was connected to the partnership


class Workspace:
    def __init__(self, engine: Engine, invitations: Invitations | None = None) -> None:
        self.engine, self.invitations = engine, invitations

    def invite(self, user_id: str, now: datetime) -> str:
        """The link that connects a partner's workspace to the running work's partnership, for
        a coordinator to send its Slack admin."""
        if self.invitations is None:
            raise Refusal(NOT_OAUTH)
        with read_scope(self.engine) as session:
            if user_id not in coordinators_in(session):
                raise Refusal(COORDINATORS_ONLY)
        return self.invitations.url(current_partnership(), now)

    def connect(self, workspace: str, partnership: int) -> int:
        """Connect `workspace`, installing from a coordinator's link, to `partnership`;
        ConnectRefused when it is already another partnership's (its own, or connected)."""
        for _ in range(CLAIM_TRIES):
            found = partnership_of_team(self.engine, workspace)
            if found == partnership:
                return partnership
            if found is not None:
                raise ConnectRefused(
                    "That Slack workspace already has Partnerbot for a partnership of its own, "
                    "so it can't be connected to another: a workspace belongs to one."
                )
            try:
                with in_partnership(partnership), self.engine.begin() as connection:
                    connection.execute(
                        insert(ConnectedWorkspace.__table__).values(
                            team_id=workspace, partnership_id=partnership, connected_at=utcnow()
                        )
                    )
                return partnership
            except IntegrityError:  # connected at the same moment, or the partnership is gone
                continue
        raise ConnectRefused("That link's partnership no longer exists.")

    def claim(self, workspace: str, name: str) -> int:
        """The partnership of `workspace` (a team id; an enterprise's for an org-wide install),
        which is installing: its own if it installed before; else the deployment's first
        partnership while no workspace has it (a new deployment's, or the data of one that
        served a workspace with a bot token); else a new partnership named `name`. Installs
        racing each other are settled by the database: a workspace is one partnership's only
        (a unique team id), and a partnership's id is its own (the primary key)."""
        table = Partnership.__table__
        for _ in range(CLAIM_TRIES):
            found = partnership_of_team(self.engine, workspace)
            if found is not None:
                return found
            try:  # as partnership 1's work: its row is the one it may change (its cache's bump)
                with in_partnership(ONLY), self.engine.begin() as connection:
                    first = connection.execute(
                        update(table)
                        .where(table.c.id == ONLY, table.c.slack_team_id.is_(None))
                        .values(slack_team_id=workspace)
                    )
                    if first.rowcount == 1:
                        return ONLY
                    next_id = connection.execute(
                        select(func.coalesce(func.max(table.c.id), 0) + 1)
                    ).scalar_one()
                    connection.execute(
                        insert(table).values(
                            id=next_id,
                            name=name[:150] or "Our partnership",
                            slack_team_id=workspace,
                        )
                    )
                    return int(next_id)
            except IntegrityError:  # another install took the id, or was this workspace's
                continue
        raise RuntimeError(f"could not make a partnership for workspace {workspace}")

    def installed(
        self,
        installer_id: str,
        load_profile: ProfileLoader,
        notices: Notices[Installed] = no_notices,
        connected: bool = False,
    ) -> Installed:
        """After the installation is stored: the installer becomes the first coordinator if the
        partnership has none on Slack, and sending paused by an uninstall resumes. The
        installer of a `connected` workspace becomes a member (known by their own workspace,
        whose installation their DMs go with); the partnership's sending is its own."""
        load_profile = profiles_ahead(self.engine, [installer_id], load_profile)
        with session_scope(self.engine) as session:
            row = _partnership(session)
            first = not coordinators_in(session)
            if first or connected:
                member = ensure_member(session, installer_id, load_profile)
                member.is_coordinator = member.is_coordinator or first
                session.add(member)
            resumed = row.sending_paused and not connected
            if resumed:
                row.sending_paused = False
                session.add(row)
            detail = "first coordinator" if first else "connected workspace" if connected else ""
            audit.record(session, installer_id, "installed", detail)
            done = Installed(installer_id, row.name, first, resumed, connected=connected)
            return replace(done, notices=outbox.write_notices(session, notices(done)))

    def uninstalled(self, team_id: str | None, reason: str) -> bool:
        """Slack says the app was uninstalled from `team_id` or its tokens revoked: scheduled
        sending pauses and that workspace's installation goes (its tokens are dead), in one
        transaction; the partnership's data stays. An event about a workspace the partnership
        is not (one refused at install, whose token was revoked then) changes nothing. Whether
        sending was paused now."""
        with session_scope(self.engine) as session:
            row = _partnership(session)
            if row.slack_team_id is not None and team_id != row.slack_team_id:
                if team_id is not None and team_id in _connected(session):
                    _forget_installation(session, team_id)  # its people's DMs go no more
                    audit.record(session, SLACK, "connected workspace uninstalled", reason)
                return False
            _forget_installation(session, team_id)
            if row.sending_paused:
                return False
            row.sending_paused = True
            session.add(row)
            audit.record(session, SLACK, "sending paused", reason)
            return True


def bot_token(engine: Engine, client_id: str, person: str | None = None) -> str | None:
    """The bot token, as installed now, of the running work's partnership's workspace, or,
    for a call about `person` (a DM, their Home tab, their profile), of their own workspace
    when it is one connected to the partnership: a bot reaches people of its own workspace.
    None before the first install and after an uninstall."""
    about = person is not None and person[:1] in ("U", "W")
    values = {"partnership": current_partnership(), "client_id": client_id, "person": person}
    with one_statement(engine) as connection:  # asked before every Slack call: no transaction
        return connection.execute(_token(about), values).scalar_one_or_none()


@cache
def _token(about_person: bool) -> Any:
    """`bot_token`'s one statement, built once (its values bound at each call): the workspace
    is the person's own when it is connected to the partnership, else the partnership's."""
    table, connected, member = (
        Partnership.__table__, ConnectedWorkspace.__table__, Member.__table__,
    )  # fmt: skip
    partnership: Any = bindparam("partnership")
    workspace: Any = (
        select(table.c.slack_team_id).where(table.c.id == partnership).scalar_subquery()
    )
    if about_person:
        theirs = (
            select(connected.c.team_id)
            .join(member, member.c.slack_team_id == connected.c.team_id)
            .where(
                member.c.partnership_id == partnership,
                member.c.slack_user_id == bindparam("person"),
                connected.c.partnership_id == partnership,
            )
            .scalar_subquery()
        )
        workspace = func.coalesce(theirs, workspace)
    return (
        select(slack_bots.c.bot_token)
        .where(
            of_workspace(slack_bots, workspace),
            slack_bots.c.client_id == bindparam("client_id"),
            slack_bots.c.bot_token.is_not(None),
        )
        .order_by(desc(slack_bots.c.installed_at))
        .limit(1)
    )


def _forget_installation(session: Session, workspace: str | None) -> None:
    for table in (slack_installations, slack_bots):
        session.connection().execute(delete(table).where(of_workspace(table, workspace)))


def _connected(session: Session) -> set[str]:
    """The workspaces connected to the running work's partnership."""
    connected = ConnectedWorkspace.__table__
    found = session.connection().execute(
        select(connected.c.team_id).where(connected.c.partnership_id == current_partnership())
    )
    return set(found.scalars())


def of_workspace(store: Any, workspace: Any) -> Any:
    """slack_sdk's rows of a workspace: a team's, or an enterprise's org-wide install."""
    return or_(
        store.c.team_id == workspace,
        and_(store.c.is_enterprise_install.is_(True), store.c.enterprise_id == workspace),
    )


def workspace_key(team_id: str | None, enterprise_id: str | None, org_wide: bool | None) -> str:
    """The id a workspace is known by, for an install and for the requests from it alike: its
    team's, or the enterprise's when installed across an Enterprise Grid organisation."""
    return (enterprise_id if org_wide and enterprise_id else team_id) or ""


def partnership_of_team(engine: Engine, team_id: str) -> int | None:
    """The partnership whose workspace `team_id` is (the one that installed it, or one
    connected to it): None when no partnership has that workspace."""
    with one_statement(engine) as connection:  # before each acknowledgement: no transaction
        found = connection.execute(_PARTNERSHIP_OF_TEAM, {"team": team_id}).scalar()
    return None if found is None else int(found)


def partnership_of_workspace(workspace: Any) -> Any:
    """`partnership_of_team` as an expression, for a statement that reads it with more."""
    table, connected = Partnership.__table__, ConnectedWorkspace.__table__
    return func.coalesce(
        select(table.c.id).where(table.c.slack_team_id == workspace).scalar_subquery(),
        select(connected.c.partnership_id)
        .where(connected.c.team_id == workspace)
        .scalar_subquery(),
    )


_PARTNERSHIP_OF_TEAM = select(partnership_of_workspace(bindparam("team")))


def partnership_ids(engine: Engine) -> list[int]:
    """Every partnership this deployment serves, in the order they were made."""
    table = Partnership.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id).order_by(table.c.id)).scalars()
        return [int(partnership) for partnership in rows]


def _partnership(session: Session) -> Partnership:
    """The partnership's row, made with its defaults if the partnership file was never loaded
    (a workspace may install before it is)."""
    row = session.get(Partnership, current_partnership())
    if row is None:
        row = Partnership(id=current_partnership())
        session.add(row)
        session.flush()
    return row
