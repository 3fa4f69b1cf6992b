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

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, and_, delete, desc, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.db import read_scope, session_scope
from bot.models import Partnership, slack_bots, slack_installations
from bot.partnership_scope import ONLY, current_partnership, in_partnership
from bot.services import audit, outbox
from bot.services.directory import (
    ProfileLoader,
    coordinators_in,
    ensure_member,
    profiles_ahead,
)
from bot.services.outbox import Notices, Written, no_notices

SLACK = "Slack"  # the audit trail's actor for what Slack told the bot
CLAIM_TRIES = 5  # installs racing for a new partnership's id: each loser looks again


@dataclass(frozen=True)
class Installed:
    """What an install changed, for the welcome DM."""

    installer_id: str
    partnership: str  # its name
    first_coordinator: bool  # the installer became the partnership's first coordinator
    resumed: bool  # sending had been paused by an uninstall, and is resumed
    notices: tuple[Written, ...] = ()


class Workspace:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
    ) -> Installed:
        """After the installation is stored: the installer becomes the first coordinator if the
        partnership has none on Slack, and sending paused by an uninstall resumes."""
        load_profile = profiles_ahead(self.engine, [installer_id], load_profile)
        with session_scope(self.engine) as session:
            row = _partnership(session)
            first = not coordinators_in(session)
            if first:
                member = ensure_member(session, installer_id, load_profile)
                member.is_coordinator = True
                session.add(member)
            resumed = row.sending_paused
            row.sending_paused = False
            session.add(row)
            detail = "first coordinator" if first else ""
            audit.record(session, installer_id, "installed", detail)
            done = Installed(installer_id, row.name, first, resumed)
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
                return False
            for table in (slack_installations, slack_bots):
                session.connection().execute(delete(table).where(_of_workspace(table, team_id)))
            if row.sending_paused:
                return False
            row.sending_paused = True
            session.add(row)
            audit.record(session, SLACK, "sending paused", reason)
            return True


def bot_token(engine: Engine, client_id: str) -> str | None:
    """The bot token of the partnership's workspace as installed now: None before the first
    install and after an uninstall."""
    table = Partnership.__table__
    with read_scope(engine) as session:
        return (
            session.connection()
            .execute(
                select(slack_bots.c.bot_token)
                .join(table, _of_workspace(slack_bots, table.c.slack_team_id))
                .where(
                    table.c.id == current_partnership(),
                    slack_bots.c.client_id == client_id,
                    slack_bots.c.bot_token.is_not(None),
                )
                .order_by(desc(slack_bots.c.installed_at))
                .limit(1)
            )
            .scalar_one_or_none()
        )


def _of_workspace(store: Any, workspace: Any) -> Any:
    """slack_sdk's rows of a workspace: a team's, or an enterprise's org-wide install."""
    return or_(
        store.c.team_id == workspace,
        and_(store.c.is_enterprise_install.is_(True), store.c.enterprise_id == workspace),
    )


def partnership_of_team(engine: Engine, team_id: str) -> int | None:
    """The partnership whose workspace `team_id` is (the one that installed it): None when no
    partnership has that workspace. One indexed lookup (the team id is unique)."""
    table = Partnership.__table__
    with engine.connect() as connection:
        found = connection.execute(
            select(table.c.id).where(table.c.slack_team_id == team_id)
        ).scalar_one_or_none()
    return None if found is None else int(found)


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
