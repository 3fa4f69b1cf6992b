"""What listeners are given besides Bolt's own arguments (injected as `services`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.services.directory import Directory
from bot.services.email.links import Mailing
from bot.services.email.subscriptions import DigestByEmail
from bot.services.glossary.service import Glossary
from bot.services.home import Home
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.stories import Stories
from bot.services.opportunities.service import Opportunities
from bot.services.partnership_file.from_slack import PartnershipSettings
from bot.services.report import Reports
from bot.services.rights import Rights
from bot.services.sessions import Sessions
from bot.services.updates import Updates
from bot.services.workspace import Invitations, Workspace
from bot.slack.sender import Sender

Clock = Callable[[], datetime]  # the time now, aware


def real_time() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    engine: Engine
    zone: ZoneInfo
    directory: Directory
    updates: Updates
    hotdesk: Hotdesk
    opportunities: Opportunities
    sessions: Sessions
    home: Home
    rights: Rights
    reports: Reports
    glossary: Glossary
    stories: Stories
    sender: Sender  # the one path to Slack: what the services wrote to the outbox, and DMs
    digest_email: DigestByEmail
    workspace: Workspace  # the Slack workspace served: installs, uninstalls
    settings: PartnershipSettings  # the partnership file, exported and loaded by coordinators
    clock: Clock = real_time  # one source of "now" for every listener, so tests can fix it

    def now(self) -> datetime:
        """The time by `clock`, in the partnership's zone."""
        return self.clock().astimezone(self.zone)

    def today(self) -> date:
        return self.now().date()

    @classmethod
    def on(
        cls,
        engine: Engine,
        zone: ZoneInfo,
        sender: Sender,
        jobs: Collection[str],
        clock: Clock = real_time,
        mailing: Mailing | None = None,
        invitations: Invitations | None = None,
    ) -> Services:
        """`jobs`: the job names the partnership file's [schedule] may set (jobs.registry);
        `invitations`: OAuth mode's links connecting a partner's workspace."""
        opportunities = Opportunities(engine, sender)
        updates = Updates(engine, zone, sender)
        return cls(
            engine,
            zone,
            Directory(engine),
            updates,
            Hotdesk(engine, zone, mailing),
            opportunities,
            Sessions(engine, zone, mailing),
            Home(engine, zone, opportunities),
            Rights(engine, zone, mailing),
            Reports(engine),
            Glossary(engine),
            Stories(engine, updates),
            sender,
            DigestByEmail(engine, mailing),
            Workspace(engine, invitations),
            PartnershipSettings(engine, jobs),
            clock,
        )
