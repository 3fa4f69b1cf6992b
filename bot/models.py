"""SQLModel tables. Times are aware UTC datetimes (SQLModel's UTCDateTime) on both backends.

The schema itself is owned by Alembic (`migrations/`); these classes describe it for queries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# Constraint names must be stable for Alembic (and SQLite batch mode) to alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class Partnership(SQLModel, table=True):
    """The one partnership this deployment serves (row id 1): its channels and policies."""

    id: int = Field(default=1, primary_key=True)
    name: str = Field(default="Our partnership", max_length=150)
    privacy_policy: str = Field(default="warn", max_length=10)
    updates_channel: str | None = Field(default=None, max_length=30)
    opportunities_channel: str | None = Field(default=None, max_length=30)
    digest_channel: str | None = Field(default=None, max_length=30)


class Topic(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, unique=True)
    name: str = Field(max_length=150, unique=True)
    description: str = Field(default="", max_length=2000)
    address: str = Field(default="", max_length=500)
    visitor_protocol: str = Field(default="", max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow)


class KeyWorker(SQLModel, table=True):
    """The person who orients visitors; may not have joined Slack's partnership yet."""

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=150)
    slack_user_id: str | None = Field(default=None, max_length=30)


class HotdeskOffer(SQLModel, table=True):
    """What an organisation lends to partners' staff: desks, days and whether it approves visits."""

    organisation_id: int = Field(
        foreign_key="organisation.id", primary_key=True, ondelete="CASCADE"
    )
    desks: int = Field(default=1)
    weekdays: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    half_days: bool = Field(default=True)
    needs_approval: bool = Field(default=False)


class Member(SQLModel, table=True):
    """A Slack user known to the bot; the profile is a cache of `users.info`."""

    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=30, unique=True)
    name: str = Field(default="", max_length=150)
    display_name: str = Field(default="", max_length=150)
    tz: str | None = Field(default=None, max_length=60)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="SET NULL"
    )
    is_coordinator: bool = Field(default=False)
    profile_fetched_at: datetime | None = None
    joined_at: datetime | None = None


class ProcessedEvent(SQLModel, table=True):
    """Event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    event_id: str = Field(primary_key=True, max_length=40)
    received_at: datetime = Field(default_factory=utcnow, index=True)
