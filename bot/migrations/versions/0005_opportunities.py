"""opportunities and interest in them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:13:49.377700
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opportunity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("poster_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("event_on", sa.Date(), nullable=True),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_opportunity_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_closes_on"), ["closes_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_opportunity_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_opportunity_poster_id"), ["poster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_status"), ["status"], unique=False)

    op.create_table(
        "opportunity_interest",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_interest_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "opportunity_id", "member_id", name=op.f("pk_opportunity_interest")
        ),
    )


def downgrade() -> None:
    op.drop_table("opportunity_interest")
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_status"))
        batch_op.drop_index(batch_op.f("ix_opportunity_poster_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_kind"))
        batch_op.drop_index(batch_op.f("ix_opportunity_created_at"))
        batch_op.drop_index(batch_op.f("ix_opportunity_closes_on"))

    op.drop_table("opportunity")
