"""the outbox: Slack side effects written with the change they report, sent after the commit

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("row_kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("tell", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_item")),
    )
    for column in ("row_id", "status", "created_at"):
        op.create_index(f"ix_outbox_item_{column}", "outbox_item", [column])
    op.create_index(
        "uq_outbox_item_inbox_id_kind_seq", "outbox_item", ["inbox_id", "kind", "seq"], unique=True
    )
    # A post in flight is no longer marked on its row ("posting"): the outbox says so.
    for table in ("partner_update", "opportunity"):
        op.execute(f"UPDATE {table} SET ts = NULL WHERE ts = 'posting'")


def downgrade() -> None:
    op.drop_table("outbox_item")
