"""SQLModel tables. Times are aware UTC datetimes (SQLModel's UTCDateTime) on both backends.

The schema itself is owned by Alembic (`bot/migrations/`); these classes describe it for queries.
A generated key is typed `int`, not `int | None`: it is None only between `session.add` and the
flush, and the code reads the ids of stored rows only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    column,
    func,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.partnership_scope import current_partnership

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


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """The column holds one of `values`, exactly those the code writes: the database refuses
    anything else (a typo, a state some code invented), on both backends."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class JSONList(TypeDecorator[list[str]]):
    """A list of strings, stored as a JSON array in a text column: callers read and write
    lists, and an item may hold any character (a comma too)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(list(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        return None if value is None else json.loads(value)


def json_list(*default: str) -> Any:
    """A JSONList column, `default` when not given."""
    return Field(default_factory=lambda: list(default), sa_type=JSONList)


BOOKING_STATUSES = ("pending", "confirmed", "cancelled", "declined", "released")
BOOKING_PARTS = ("am", "pm", "day")
HALVES = ("am", "pm")
COMMITMENT_STATUSES = ("open", "working", "help", "done")
RSVP_ANSWERS = ("coming", "cant", "colleague")
SESSION_KINDS = ("reflective", "operational", "strategic", "training")
OPPORTUNITY_KINDS = ("training", "event", "funding", "vacancy", "volunteering", "other")
OPPORTUNITY_STATUSES = ("open", "closed", "withdrawn")
INBOX_STATUSES = ("working", "done", "failed")
OUTBOX_KINDS = ("post", "redraw", "delete", "dm", "respond", "home", "upload")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "unsure", "retried")
OUTBOX_ROW_KINDS = ("", "update", "opportunity")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")
PRIVACY_POLICIES = ("warn", "block")
REGIONS = ("ENG", "SCT", "WLS", "NIR")
REPORT_FORMATS = ("xlsx", "csv")
EMAIL_STATUSES = ("pending", "sending", "sent", "failed")
STORY_ROLES = ("visitor", "host")


class Stored(SQLModel):
    """Every table's base: says that SQLAlchemy gives each table class its `__table__`, which
    SQLModel's own typing leaves out (statements built on the table, not the class, need it)."""

    __table__: ClassVar[Table]


class InPartnership:
    """What SQLAlchemy's `with_loader_criteria` is given to find every partnership's table
    (bot.scoping): a plain class, since it first reads the criterion's column off the class it
    is given, and a SQLModel base without a table has none."""

    @classmethod
    def partnership_column(cls) -> ColumnElement[int]:
        table = getattr(cls, "__table__", None)
        return column("partnership_id", Integer) if table is None else table.c.partnership_id


class Owned(Stored, InPartnership):
    """A row of one partnership. `partnership_id` is filled from the running work's partnership
    (bot.partnership_scope) on every insert, ORM or Core, and every ORM statement sees only that
    partnership's rows (bot.scoping). A reference to another table's row names the partnership
    too (`within`), so the database refuses a row that points into another partnership."""

    partnership_id: int = Field(
        default_factory=current_partnership,
        foreign_key="partnership.id",
        ondelete="CASCADE",
        index=True,
        sa_column_kwargs={"default": current_partnership},
    )


def partnership_key() -> Any:
    """`partnership_id` as the first part of a table's primary key (a row with no id of its own
    whose natural key is unique within its partnership)."""
    return Field(
        default_factory=current_partnership,
        foreign_key="partnership.id",
        ondelete="CASCADE",
        primary_key=True,
        sa_column_kwargs={"default": current_partnership},
    )


def keyed(table: str) -> Index:
    """(partnership, id) unique: what a reference from another of the partnership's rows names."""
    return Index(f"uq_{table}_partnership_id_id", "partnership_id", "id", unique=True)


def unique_within(table: str, *columns: str) -> Index:
    """`columns` unique within a partnership (another partnership may use the same values)."""
    return Index(f"uq_{table}_{'_'.join(columns)}", "partnership_id", *columns, unique=True)


def within(column: str, table: str) -> ForeignKeyConstraint:
    """`column` refers to a row of `table` of the same partnership (and goes with it)."""
    return ForeignKeyConstraint(
        ["partnership_id", column], [f"{table}.partnership_id", f"{table}.id"], ondelete="CASCADE"
    )


class Partnership(Stored, table=True):
    """A partnership: its channels and policies. Every other table's rows belong to one
    (`Owned`); a deployment serving one workspace has one, id 1 (bot.partnership_scope)."""

    __table_args__ = (
        one_of("privacy_policy", PRIVACY_POLICIES),
        one_of("bank_holidays", REGIONS),
        one_of("report_format", REPORT_FORMATS),
        Index("uq_partnership_slack_team_id", "slack_team_id", unique=True),
    )

    id: int = Field(default=1, primary_key=True)
    name: str = Field(default="Our partnership", max_length=150)
    privacy_policy: str = Field(default="warn", max_length=10)
    updates_channel: str | None = Field(default=None, max_length=30)
    opportunities_channel: str | None = Field(default=None, max_length=30)
    digest_channel: str | None = Field(default=None, max_length=30)
    schedule: str = Field(default="", max_length=2000)  # JSON {job: "mon 09:00"}: services.schedule
    bank_holidays: str = Field(default="ENG", max_length=3)  # ENG, SCT, WLS or NIR
    followup_after: int = Field(default=2)  # working days from a session to its follow-up DMs
    retention: str = Field(
        default="", max_length=500
    )  # JSON {kind: months}; see bot.services.rights
    sending_paused: bool = Field(default=False)  # the app was uninstalled or its token revoked
    report_format: str = Field(default="xlsx", max_length=4)  # the coordinators' report's figures
    emails_per_minute: int = Field(default=30)  # the pace of email sending ([email] per_minute)
    # Capitalised words never suggested for the glossary, beyond the built-in list (the file's)
    jargon_stoplist: list[str] = json_list()
    # OAuth mode: the Slack workspace (team id) that installed the bot first. Kept through an
    # uninstall, so that no other workspace can ever install onto this partnership's data.
    slack_team_id: str | None = Field(default=None, max_length=32)
    # The partnership's time zone (its file's `timezone`); None: the deployment's PARTNERBOT_TZ.
    timezone: str | None = Field(default=None, max_length=64)
    # Moved on by every change to the rows the processes keep between requests, in the change's
    # own transaction (bot.partnership_cache): a process whose copy is older reads them again.
    cache_version: int = Field(default=0)


class ConnectedWorkspace(Stored, table=True):
    """Another Slack workspace connected to a partnership (Slack Connect: a partner
    organisation's own workspace, sharing channels with the partnership's). Installed from a
    coordinator's link, its requests are the partnership's and its people members of it; a
    workspace is one partnership's, home or connected, never two."""

    __tablename__ = "connected_workspace"

    team_id: str = Field(primary_key=True, max_length=32)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    connected_at: datetime = Field(default_factory=utcnow)


class Topic(Owned, table=True):
    __table_args__ = (keyed("topic"), unique_within("topic", "name"))

    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)


class Organisation(Owned, table=True):
    __table_args__ = (
        keyed("organisation"),
        unique_within("organisation", "code"),
        unique_within("organisation", "name"),
    )

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=12)
    name: str = Field(max_length=150)
    description: str = Field(default="", max_length=2000)
    address: str = Field(default="", max_length=500)
    visitor_protocol: str = Field(default="", max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow)


class KeyWorker(Owned, table=True):
    """The person who orients visitors; may not have joined Slack's partnership yet."""

    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    name: str = Field(max_length=150)
    slack_user_id: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)  # for one not on Slack


class PartnerPerson(Owned, table=True):
    """Partner staff not on Slack, from the partnership file's [[people]] (a council's or the
    NHS's contact): listed in the directory, reached by email, may own commitments."""

    __tablename__ = "partner_person"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    name: str = Field(max_length=150)
    email: str = Field(max_length=254)
    role: str = Field(default="", max_length=150)


class EmailCoordinator(Owned, table=True):
    """A coordinator not on Slack, from the partnership file's [[coordinators]] with `email`
    and no `slack`: told by email what the Slack coordinators are told by DM
    (bot.services.coordinators). Coordinators on Slack are `Member`s with `is_coordinator`."""

    __tablename__ = "email_coordinator"
    __table_args__ = (unique_within("email_coordinator", "email"),)

    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=150)
    email: str = Field(max_length=254)


class HotdeskOffer(Owned, table=True):
    """What an organisation lends to partners' staff: desks, days and whether it approves visits."""

    __table_args__ = (within("organisation_id", "organisation"),)

    organisation_id: int = Field(primary_key=True)
    desks: int = Field(default=1)
    weekdays: list[str] = json_list("mon", "tue", "wed", "thu", "fri")
    half_days: bool = Field(default=True)
    needs_approval: bool = Field(default=False)
    closures: list[str] = json_list()  # ISO dates
    closed_on_bank_holidays: bool = Field(default=True)
    max_days_ahead: int = Field(default=60)


class Member(Owned, table=True):
    """A Slack user known to the bot; the profile is a cache of `users.info`."""

    __table_args__ = (unique_within("member", "slack_user_id"),)

    id: int = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=30)
    name: str = Field(default="", max_length=150)
    display_name: str = Field(default="", max_length=150)
    tz: str | None = Field(default=None, max_length=60)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="SET NULL"
    )
    is_coordinator: bool = Field(default=False)
    profile_fetched_at: datetime | None = None
    joined_at: datetime | None = None
    digest_dm: bool = Field(default=False)
    # Whether the digest may name them as a hot-desk visitor; by default only their organisation.
    name_in_digest: bool = Field(default=False)
    # The digest by email: the address it goes to once confirmed by a link sent to it, and the
    # one asked for and awaiting that confirmation.
    digest_email: str | None = Field(default=None, max_length=254)
    digest_email_asked: str | None = Field(default=None, max_length=254)
    # Whether, the working day after a hot-desk visit, they are asked how it went.
    visit_stories: bool = Field(default=True)
    # Their own Slack workspace (users.info's team id): another than the partnership's for a
    # partner in a Slack Connect channel, whose DMs go with their workspace's installation.
    slack_team_id: str | None = Field(default=None, max_length=32)


class InboxItem(Owned, table=True):
    """A request Slack was told is accepted, stored before the acknowledgement: its work is done
    from here, and taken up again by any process when the one doing it died (the lease ran
    out). Events keep their id here, unique, so Slack's retries are repeats. The body (which
    holds what was typed) is blanked once the work is done."""

    __tablename__ = "inbox_item"
    __table_args__ = (one_of("status", INBOX_STATUSES),)

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(max_length=80)  # the listener, for logs and the person's answer
    body: str = Field(default="")  # Bolt's request body, JSON; "" once done
    event_id: str | None = Field(default=None, max_length=40, unique=True)
    status: str = Field(default="working", max_length=10, index=True)
    lease_until: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = Field(default=1)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class OutboxItem(Owned, table=True):
    """A Slack side effect, written in the transaction of the change it reports and sent after
    the commit, outside any transaction: pending → sending → sent (with Slack's ts) or failed
    (with Slack's error). A send Slack did not confirm, or one a crash interrupted, is failed
    as `unsure` and reported to `report_to`, never sent again unasked. Once settled it names
    nobody: the message and `report_to` are blanked, and `target` becomes Slack's channel id. A post
    for an update or an opportunity (`row_kind`, `row_id`) records on that row where it went."""

    __tablename__ = "outbox_item"
    __table_args__ = (
        Index("uq_outbox_item_inbox_id_kind_seq", "inbox_id", "kind", "seq", unique=True),
        one_of("kind", OUTBOX_KINDS),
        one_of("status", OUTBOX_STATUSES),
        one_of("row_kind", OUTBOX_ROW_KINDS),
    )

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    target: str = Field(max_length=80)  # a channel (post, redraw, delete), else a person
    inbox_id: int | None = None  # the request whose work wrote it, and its number there:
    seq: int | None = None  # its number among the request's sends of its kind: unique, so a
    # second run of the work sends nothing twice
    ts: str | None = Field(default=None, max_length=30)  # the message changed, or the one made
    message: str = Field(default="")  # JSON {"text": ..., "blocks": [...]}; "" once settled
    row_kind: str = Field(default="", max_length=12)
    row_id: int | None = Field(default=None, index=True)
    report_to: str | None = Field(default=None, max_length=30)  # who hears of a failure
    status: str = Field(default="pending", max_length=10, index=True)
    error: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(Owned, table=True):
    """Event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    event_id: str = Field(primary_key=True, max_length=40)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class PartnerUpdate(Owned, table=True):
    """An update posted on behalf of an organisation; the bot keeps the history Slack hides.

    Full-text search lives beside it: an FTS5 table on SQLite, a generated tsvector column on
    PostgreSQL (both made by migration 0002, used only through `bot.services.search`).
    """

    __tablename__ = "partner_update"
    __table_args__ = (
        Index("uq_partner_update_inbox_id", "inbox_id", unique=True),
        keyed("partner_update"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    author_id: str | None = Field(default=None, max_length=30, index=True)
    text: str = Field(max_length=3000)
    wants_help: bool = Field(default=False)
    channel: str | None = Field(default=None, max_length=80)
    ts: str | None = Field(default=None, max_length=30)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    edited_at: datetime | None = None
    inbox_id: int | None = None  # the request that made it: unique, so a replay makes it once


class UpdateTopic(Owned, table=True):
    __tablename__ = "update_topic"
    __table_args__ = (
        within("update_id", "partner_update"),
        within("topic_id", "topic"),
    )

    update_id: int = Field(primary_key=True)
    topic_id: int = Field(primary_key=True)


class Draft(Owned, table=True):
    """Text held back by the privacy guard until its author edits it or posts it anyway.

    Kept briefly (the clock deletes each before it is a day old): it may hold what it was held
    for.
    """

    __table_args__ = (within("update_id", "partner_update"),)

    id: int = Field(default=None, primary_key=True)
    author_id: str = Field(max_length=30, index=True)
    text: str = Field(max_length=3000)
    topics: list[str] = json_list()
    wants_help: bool = Field(default=False)
    update_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class JobRun(Owned, table=True):
    """A claim on one period of one job for one partnership: the database, not the scheduler,
    is the lock."""

    __tablename__ = "job_run"
    __table_args__ = (keyed("job_run"), unique_within("job_run", "job", "scope", "period"))

    id: int = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    scope: str = Field(max_length=80)
    period: str = Field(max_length=40)
    claimed_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    summary: str = Field(default="", max_length=500)


class JobTurn(Owned, table=True):
    """Whose turn it is to run one of a partnership's jobs (jobs.turns): the latest scheduled
    time whose run finished, and until when a clock holds the run now."""

    __tablename__ = "job_turn"

    partnership_id: int = partnership_key()
    job: str = Field(primary_key=True, max_length=40)
    done_through: datetime | None = None
    held_until: datetime | None = None


class Delivery(Owned, table=True):
    """One message of a job run to one place: pending → sending → sent (with ts) or failed.

    The message is stored rendered, so a resumed run sends exactly what the first one would.
    `channel` is the id Slack answered with (a DM's D…, a channel's C…), which `chat.update`
    needs; `redraw` marks a sent message rewritten since (an erasure removed what it quoted)
    whose copy in Slack is still to be redrawn.
    """

    __table_args__ = (
        UniqueConstraint("job_run_id", "recipient"),
        one_of("status", DELIVERY_STATUSES),
        within("job_run_id", "job_run"),
    )

    id: int = Field(default=None, primary_key=True)
    job_run_id: int = Field(index=True)
    recipient: str = Field(max_length=80)
    message: str  # JSON: {"text": ..., "blocks": [...]}
    status: str = Field(default="pending", max_length=10, index=True)
    ts: str | None = Field(default=None, max_length=30)
    channel: str | None = Field(default=None, max_length=80)
    redraw: bool = Field(default=False)
    error: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class EmailDelivery(Owned, table=True):
    """One email to one address: pending → sending → sent, or failed (a permanent refusal, the
    server's answer in `error`). A temporary refusal puts it back to pending with `not_before`
    later. Written in the transaction of the change it tells of, with `key` unique so work done
    again writes it once; the message is stored rendered, so a resumed run sends exactly it.
    A row a crash left sending is reported, never resent blindly (SMTP has no idempotency)."""

    __tablename__ = "email_delivery"
    __table_args__ = (one_of("status", EMAIL_STATUSES), unique_within("email_delivery", "key"))

    id: int = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)  # what it is for: "D12:request:kw3"
    recipient: str = Field(max_length=254, index=True)
    message: str  # JSON: subject, text, html, calendar, unsubscribe link; "" once settled
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = Field(default=0)
    not_before: datetime = Field(default_factory=utcnow, index=True)
    error: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class EmailLinkUse(Owned, table=True):
    """A signed email link that changed something: its signature, unique, so it works once."""

    __tablename__ = "email_link_use"

    signature: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(default_factory=utcnow)


class DeskBooking(Owned, table=True):
    """A visit to a host agency: pending (awaiting approval) → confirmed, or cancelled, declined
    or released. The desks it takes are its `DeskHold` rows, deleted when it ends."""

    __tablename__ = "desk_booking"
    __table_args__ = (
        one_of("part", BOOKING_PARTS),
        one_of("status", BOOKING_STATUSES),
        keyed("desk_booking"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    visitor_id: str = Field(max_length=30, index=True)
    visitor_organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ondelete="SET NULL"
    )
    day: date = Field(index=True)
    part: str = Field(max_length=3)
    status: str = Field(max_length=10, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=30)
    ended_by: str | None = Field(default=None, max_length=30)
    ended_at: datetime | None = None


class DeskHold(Owned, table=True):
    """One desk for one half-day, held by one booking. The unique constraints are the rules:
    a seat number is held once per half-day (seats are numbered up to the agency's desks), and a
    visitor holds at most one desk per half-day, so no check-then-insert race can break either."""

    __tablename__ = "desk_hold"
    __table_args__ = (
        UniqueConstraint("organisation_id", "day", "half", "seat"),
        unique_within("desk_hold", "visitor_id", "day", "half"),
        one_of("half", HALVES),
        within("booking_id", "desk_booking"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    booking_id: int = Field(index=True)
    organisation_id: int
    visitor_id: str = Field(max_length=30)
    day: date
    half: str = Field(max_length=2)
    seat: int


class Opportunity(Owned, table=True):
    """Training, an event, funding, a vacancy or a volunteering role shared by an organisation.

    Open until its closing date (the job marks it closed), closed early, or withdrawn; closed
    ones are kept, and listed on request."""

    __table_args__ = (
        Index("uq_opportunity_inbox_id", "inbox_id", unique=True),
        one_of("kind", OPPORTUNITY_KINDS),
        one_of("status", OPPORTUNITY_STATUSES),
        keyed("opportunity"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    poster_id: str = Field(max_length=30, index=True)
    kind: str = Field(max_length=12, index=True)
    title: str = Field(max_length=150)
    description: str = Field(default="", max_length=3000)
    link: str | None = Field(default=None, max_length=500)
    closes_on: date | None = Field(default=None, index=True)
    event_on: date | None = None
    places: int | None = None
    status: str = Field(default="open", max_length=10, index=True)
    channel: str | None = Field(default=None, max_length=80)
    ts: str | None = Field(default=None, max_length=30)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    edited_at: datetime | None = None
    ended_by: str | None = Field(default=None, max_length=30)
    inbox_id: int | None = None  # the request that made it: unique, so a replay makes it once


class OpportunityInterest(Owned, table=True):
    """A member's "I'm interested": one row per member and opportunity, so a toggle is atomic."""

    __tablename__ = "opportunity_interest"
    __table_args__ = (within("opportunity_id", "opportunity"),)

    opportunity_id: int = Field(primary_key=True)
    member_id: str = Field(max_length=30, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class PartnershipSession(Owned, table=True):
    """A partnership meeting as the group chose to record it: no transcript, no recording."""

    __tablename__ = "partnership_session"
    __table_args__ = (one_of("kind", SESSION_KINDS), keyed("partnership_session"))

    id: int = Field(default=None, primary_key=True)
    title: str = Field(max_length=150)
    kind: str = Field(max_length=20)
    held_on: date = Field(index=True)
    next_on: date | None = Field(default=None, index=True)
    next_place: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=30)
    created_at: datetime = Field(default_factory=utcnow)


class SessionOrganisation(Owned, table=True):
    """An organisation that attended a session."""

    __tablename__ = "session_organisation"
    __table_args__ = (
        within("session_id", "partnership_session"),
        within("organisation_id", "organisation"),
    )

    session_id: int = Field(primary_key=True)
    organisation_id: int = Field(primary_key=True)


class Commitment(Owned, table=True):
    """Something someone undertook at a session: open → working / help → done.

    `nudges` counts follow-up DMs about it, raised in the same transaction that claims each one,
    so the cap of three holds however many clocks run."""

    __table_args__ = (
        one_of("status", COMMITMENT_STATUSES),
        within("session_id", "partnership_session"),
    )

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(index=True)
    owner_id: str = Field(max_length=30, index=True)  # "" for an owner reached by email
    # A key worker not on Slack (the partnership file's, with an email), followed up by email.
    owner_key_worker_id: int | None = Field(
        default=None, foreign_key="keyworker.id", index=True, ondelete="SET NULL"
    )
    # Or partner staff not on Slack (the file's [[people]]), followed up by email too.
    owner_person_id: int | None = Field(
        default=None, foreign_key="partner_person.id", index=True, ondelete="SET NULL"
    )
    what: str = Field(max_length=500)
    due_on: date | None = None
    status: str = Field(default="open", max_length=10, index=True)
    note: str = Field(default="", max_length=500)
    nudges: int = Field(default=0)
    created_by: str = Field(max_length=30)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Rsvp(Owned, table=True):
    """A member's answer to the invitation to the session after `session_id`."""

    __table_args__ = (
        one_of("answer", RSVP_ANSWERS),
        within("session_id", "partnership_session"),
    )

    session_id: int = Field(primary_key=True)
    member_id: str = Field(max_length=30, primary_key=True)
    answer: str = Field(max_length=10)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEntry(Owned, table=True):
    """Who did what, when: every coordinator action and every erasure. It names an erased
    member by a reference only, never by Slack id, and never holds erased content."""

    __tablename__ = "audit_entry"

    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=40)
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=500)


class Erasure(Owned, table=True):
    """Someone whose data was erased from a partnership, as a keyed hash of their Slack id and
    nothing else, so a reload of the partnership file does not bring them back
    (see bot.services.rights)."""

    partnership_id: int = partnership_key()
    fingerprint: str = Field(primary_key=True, max_length=64)  # HMAC-SHA256, hex


class Secret(Stored, table=True):
    """A key the bot made for itself, once, at random (the erasure fingerprints' HMAC key)."""

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=128)


class GlossaryTerm(Owned, table=True):
    """One meaning of a term in the partnership's glossary, from one organisation (none: the
    partnership file). `key` is the term normalised: an organisation gives a term one meaning,
    another organisation may give it a second."""

    __tablename__ = "glossary_term"
    __table_args__ = (
        unique_within("glossary_term", "key", "organisation_id"),
        within("organisation_id", "organisation"),
    )

    id: int = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, index=True)
    term: str = Field(max_length=40)
    meaning: str = Field(max_length=150)
    description: str = Field(default="", max_length=500)
    organisation_id: int | None = Field(default=None, index=True)
    added_by: str | None = Field(default=None, max_length=30, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class GlossarySynonym(Owned, table=True):
    """Two terms (normalised) that name the same thing; `first` sorts before `second`."""

    __tablename__ = "glossary_synonym"

    partnership_id: int = partnership_key()
    first: str = Field(max_length=40, primary_key=True)
    second: str = Field(max_length=40, primary_key=True)
    added_by: str | None = Field(default=None, max_length=30)
    created_at: datetime = Field(default_factory=utcnow)


class VisitStory(Owned, table=True):
    """The one "how was your visit?" DM to one person about one visit, claimed by its insert
    (unique per booking and person, so however often the job runs it is sent once), and their
    answer: kept for the coordinators unless its author shares it as an update (`update_id`)."""

    __tablename__ = "visit_story"
    __table_args__ = (
        UniqueConstraint("booking_id", "person_id"),
        one_of("role", STORY_ROLES),
        within("booking_id", "desk_booking"),
    )

    id: int = Field(default=None, primary_key=True)
    booking_id: int = Field(index=True)
    person_id: str = Field(max_length=30, index=True)
    role: str = Field(max_length=10)
    answer: str = Field(default="", max_length=3000)
    asked_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = Field(default=None, index=True)
    update_id: int | None = Field(
        default=None, foreign_key="partner_update.id", ondelete="SET NULL"
    )


# slack_sdk's SQLAlchemy installation and OAuth state stores (OAuth mode), column for column as
# slack_sdk 3.48's `SQLAlchemyInstallationStore.build_*_table` and
# `SQLAlchemyOAuthStateStore.build_oauth_states_table` build them (tests/test_oauth.py compares
# them), so that Alembic makes them (migration 0017) and the services can read the token.
# Their times are naive UTC, as slack_sdk writes them.


def _installed_at() -> Column[datetime]:
    return Column("installed_at", DateTime, nullable=False, default=func.now())


def _team_and_bot() -> list[Column[Any]]:
    """The columns both installation tables have between enterprise and installer."""
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    "slack_installations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    *_team_and_bot(),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    _installed_at(),
    Index(
        "slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id",
        "installed_at",
    ),
)  # fmt: skip

slack_bots = Table(
    "slack_bots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    *_team_and_bot(),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    _installed_at(),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
