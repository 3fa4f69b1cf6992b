"""job runs, deliveries, digest preference, schedule

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:10:31.636615
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("job", "scope", "period", name=op.f("uq_job_run_job")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_run_id"],
            ["job_run.id"],
            name=op.f("fk_delivery_job_run_id_job_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("job_run_id", "recipient", name=op.f("uq_delivery_job_run_id")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_job_run_id"), ["job_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_status"), ["status"], unique=False)

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_dm", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "schedule",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_column("schedule")

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("digest_dm")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_job_run_id"))

    op.drop_table("delivery")
    op.drop_table("job_run")
