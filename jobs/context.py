"""What every job is given: the database, Slack, the partnership's zone, and dry-run output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.services.email.links import Mailing


@dataclass(frozen=True)
class JobContext:
    engine: Engine
    zone: ZoneInfo
    client: WebClient | None  # None only for dry runs
    dry_run: bool = False
    show: Callable[[str], None] = print  # where a dry run says what it would send
    smtp_url: str | None = None  # email: None when it is off (bot.config.Settings.email_on)
    mailing: Mailing | None = None  # the links' secret and base, the sender; None when off
