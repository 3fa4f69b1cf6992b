"""What listeners are given besides Bolt's own arguments (injected as `services`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.services.directory import Directory
from bot.services.home import Home
from bot.services.hotdesk.service import Hotdesk
from bot.services.opportunities.service import Opportunities
from bot.services.rights import Rights
from bot.services.sessions import Sessions
from bot.services.updates import Updates
from bot.slack.sender import Sender


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
    sender: Sender  # the one path to Slack: what the services wrote to the outbox, and DMs

    @classmethod
    def on(cls, engine: Engine, zone: ZoneInfo, sender: Sender) -> Services:
        opportunities = Opportunities(engine, sender)
        return cls(
            engine,
            zone,
            Directory(engine),
            Updates(engine, zone, sender),
            Hotdesk(engine, zone),
            opportunities,
            Sessions(engine, zone),
            Home(engine, zone, opportunities),
            Rights(engine, zone),
            sender,
        )


def today_in(services: Services) -> date:
    """Today, in the partnership's time zone."""
    return datetime.now(services.zone).date()
