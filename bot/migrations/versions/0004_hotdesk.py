"""hot desk bookings: bookings, desk holds, closures, bank holiday region

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 06:53:30.866535
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("visitor_organisation_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_desk_booking_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_desk_booking_visitor_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_booking")),
    )
    with op.batch_alter_table("desk_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_booking_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_booking_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_desk_booking_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_booking_visitor_id"), ["visitor_id"], unique=False
        )

    op.create_table(
        "desk_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("half", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["desk_booking.id"],
            name=op.f("fk_desk_hold_booking_id_desk_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_desk_hold_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_hold")),
        sa.UniqueConstraint(
            "organisation_id", "day", "half", "seat", name=op.f("uq_desk_hold_organisation_id")
        ),
        sa.UniqueConstraint("visitor_id", "day", "half", name=op.f("uq_desk_hold_visitor_id")),
    )
    with op.batch_alter_table("desk_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_hold_booking_id"), ["booking_id"], unique=False)

    with op.batch_alter_table("hotdeskoffer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "closures",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "closed_on_bank_holidays", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.add_column(
            sa.Column("max_days_ahead", sa.Integer(), nullable=False, server_default="60")
        )

    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "bank_holidays",
                sqlmodel.sql.sqltypes.AutoString(length=3),
                nullable=False,
                server_default="ENG",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_column("bank_holidays")

    with op.batch_alter_table("hotdeskoffer", schema=None) as batch_op:
        batch_op.drop_column("max_days_ahead")
        batch_op.drop_column("closed_on_bank_holidays")
        batch_op.drop_column("closures")

    with op.batch_alter_table("desk_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_hold_booking_id"))

    op.drop_table("desk_hold")
    with op.batch_alter_table("desk_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_booking_visitor_id"))
        batch_op.drop_index(batch_op.f("ix_desk_booking_status"))
        batch_op.drop_index(batch_op.f("ix_desk_booking_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_desk_booking_day"))

    op.drop_table("desk_booking")
