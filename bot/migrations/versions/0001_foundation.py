"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:02:15.956057
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "visitor_protocol", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_organisation_code")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("privacy_policy", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("updates_channel", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column(
            "opportunities_channel", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True
        ),
        sa.Column("digest_channel", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
    )
    op.create_table(
        "processedevent",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processedevent")),
    )
    with op.batch_alter_table("processedevent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processedevent_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
        sa.UniqueConstraint("name", name=op.f("uq_topic_name")),
    )
    op.create_table(
        "hotdeskoffer",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("desks", sa.Integer(), nullable=False),
        sa.Column("weekdays", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("half_days", sa.Boolean(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_hotdeskoffer_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_hotdeskoffer")),
    )
    op.create_table(
        "keyworker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("slack_user_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_keyworker_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyworker")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_keyworker_organisation_id")),
    )
    with op.batch_alter_table("keyworker", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keyworker_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("tz", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column("profile_fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("joined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_member_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("slack_user_id", name=op.f("uq_member_slack_user_id")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_organisation_id"))

    op.drop_table("member")
    with op.batch_alter_table("keyworker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyworker_organisation_id"))

    op.drop_table("keyworker")
    op.drop_table("hotdeskoffer")
    op.drop_table("topic")
    with op.batch_alter_table("processedevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processedevent_received_at"))

    op.drop_table("processedevent")
    op.drop_table("partnership")
    op.drop_table("organisation")
