"""connected workspaces: a partner's own Slack workspace joined to a partnership (Slack Connect)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-11 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connected_workspace",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("connected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_index(
        op.f("ix_connected_workspace_partnership_id"), "connected_workspace", ["partnership_id"]
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slack_team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("slack_team_id")
    op.drop_index(op.f("ix_connected_workspace_partnership_id"), table_name="connected_workspace")
    op.drop_table("connected_workspace")
