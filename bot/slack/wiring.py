"""What listeners are given besides Bolt's own arguments (injected as `services`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, select

from bot.db import one_statement
from bot.models import Partnership
from bot.partnership_scope import current_partnership
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
_ZONE = select(Partnership.__table__.c.timezone).where(
    Partnership.__table__.c.id == bindparam("partnership")
)


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
    # The same services in another time zone, made once a zone (see `in_its_zone`).
    in_zone: Callable[[ZoneInfo], Services] | None = field(default=None, repr=False)
    home_zone: ZoneInfo | None = None  # the deployment's (PARTNERBOT_TZ): a partnership's default

    def in_its_zone(self) -> Services:
        """These services in the running work's partnership's time zone (its file's
        `timezone`, else the deployment's), so that the dates people type ("tomorrow", "fri")
        and the times they are shown are the partnership's, as its jobs' are."""
        # One statement, the column alone: bot.partnership_cache would begin a transaction
        # to read the settings' version first: 465 µs of CPU on PostgreSQL, this 232 µs.
        with one_statement(self.engine) as connection:
            name = connection.execute(_ZONE, {"partnership": current_partnership()}).scalar()
        zone = ZoneInfo(name) if name else self.home_zone or self.zone
        if zone == self.zone or self.in_zone is None:
            return self
        return self.in_zone(zone)

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
        zones: dict[str, Services] = {}

        def in_zone(other: ZoneInfo) -> Services:
            if other.key not in zones:  # two threads may both make it: either will do
                zoned_mailing = mailing and replace(mailing, zone=other)  # calendar entries' times
                zones[other.key] = replace(
                    cls.on(engine, other, sender, jobs, clock, zoned_mailing, invitations),
                    in_zone=in_zone,
                    home_zone=zone,
                )
            return zones[other.key]

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
            in_zone,
            zone,
        )
