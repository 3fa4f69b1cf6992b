"""email: deliveries to addresses, single-use links, key workers' and the digest's addresses,
the sending pace

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_email_delivery_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_email_delivery_key")),
    )
    for column in ("recipient", "status", "not_before", "created_at"):
        op.create_index(
            op.f(f"ix_email_delivery_{column}"), "email_delivery", [column], unique=False
        )
    op.create_table(
        "email_link_use",
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_email_link_use")),
    )
    with op.batch_alter_table("keyworker") as batch:
        batch.add_column(
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
        )
    with op.batch_alter_table("partnership") as batch:
        batch.add_column(
            sa.Column("emails_per_minute", sa.Integer(), nullable=False, server_default="30")
        )
    with op.batch_alter_table("member") as batch:
        for column in ("digest_email", "digest_email_asked"):
            batch.add_column(
                sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
            )


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("digest_email_asked")
        batch.drop_column("digest_email")
    with op.batch_alter_table("partnership") as batch:
        batch.drop_column("emails_per_minute")
    with op.batch_alter_table("keyworker") as batch:
        batch.drop_column("email")
    op.drop_table("email_link_use")
    for column in ("recipient", "status", "not_before", "created_at"):
        op.drop_index(op.f(f"ix_email_delivery_{column}"), table_name="email_delivery")
    op.drop_table("email_delivery")
