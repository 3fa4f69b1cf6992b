"""the inbox: requests stored before they are acknowledged; what they made, unique on them

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 23:58:32.272549
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_item")),
        sa.UniqueConstraint("event_id", name=op.f("uq_inbox_item_event_id")),
    )
    for column in ("lease_until", "received_at", "status"):
        op.create_index(f"ix_inbox_item_{column}", "inbox_item", [column])
    # Plain ADD COLUMN and a unique index: no table rebuild, so partner_update's full-text
    # triggers (migration 0002) stay as they are.
    for table in ("partner_update", "opportunity"):
        op.add_column(table, sa.Column("inbox_id", sa.Integer(), nullable=True))
        op.create_index(f"uq_{table}_inbox_id", table, ["inbox_id"], unique=True)


def downgrade() -> None:
    for table in ("partner_update", "opportunity"):
        op.drop_index(f"uq_{table}_inbox_id", table_name=table)
        op.drop_column(table, "inbox_id")
    op.drop_table("inbox_item")
